"""What the Oscar tier's tests read off real pages and API answers."""

from __future__ import annotations

import hashlib
import re

from django.test import Client

API = "/stylerec/api"
STYLE = "hokusai"


def imgs(html: str, style: str | None = None) -> list[str]:
    """The StyleRec ``<img>`` tags in ``html`` (those in ``style`` only, when given)."""
    tags = re.findall(r"<img [^>]*class=\"[^\"]*stylerec-photo[^>]*>", html)
    if style is not None:
        tags = [tag for tag in tags if f'data-stylerec-style="{style}"' in tag]
    return tags


def attr(tag: str, name: str) -> str:
    match = re.search(rf'\b{name}="([^"]*)"', tag)
    return match.group(1) if match else ""


def grid_product_ids(html: str) -> list[int]:
    """Products in the StyleRec grid of a page (``stylerec/oscar/grid.html``), in order."""
    section = re.search(r'<section class="stylerec-grid".*?</section>', html, re.S)
    return [int(pk) for pk in re.findall(r'data-product-id="(\d+)"', section.group(0))] if section else []


def guest() -> Client:
    """A visitor with no cookies at all, whose unsafe requests need the CSRF token (like a browser)."""
    return Client(enforce_csrf_checks=True)


def csrf_headers(client: Client) -> dict:
    if "csrftoken" not in client.cookies:
        client.get("/catalogue/")  # Oscar's pages carry forms, so they set the token
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def pick_style(client: Client, slug: str = STYLE):
    return client.put(
        f"{API}/me/preferences/", {"styles": [slug]}, content_type="application/json", **csrf_headers(client)
    )


def sha256(field_file) -> str:
    with field_file.storage.open(field_file.name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()
