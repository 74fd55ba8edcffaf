"""Findings from the attacker's drill (issue 14): NUL bytes, rotated sessions, form posts, the schema."""

from __future__ import annotations

import base64
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from stylerec_plugin.models import Interaction, Style, StylePreference

from .test_api import API, csrf, put_prefs, session_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_only(settings):
    """Without the site-wide middleware: the API must refuse NUL on its own (a shop may not add it)."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "stylerec_plugin.middleware.RejectNulBytesMiddleware"]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- NUL bytes: a 400 before any query, never a 500 -------------------------------------


def test_nul_in_a_style_slug_of_the_url_is_not_found(api_only, wave):
    client = APIClient()
    assert client.get(f"{API}/styles/%00/").status_code == 404
    assert client.get(f"{API}/styles/great-wave%00/").status_code == 404
    assert client.get(f"{API}/styles/great-wave/").status_code == 200


def test_nul_in_an_event_or_a_preference_is_refused_and_nothing_is_stored(api_only, products, wave):
    client = session_client()
    response = client.post(f"{API}/events/", {"product": products[0].pk, "kind": "view", "style": "\u0000"},
                           format="json", **csrf(client))
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    response = put_prefs(client, styles=["great-wave\u0000"])
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    multipart = client.post(f"{API}/events/", {"product": products[0].pk, "kind": "view\x00"}, **csrf(client))
    assert multipart.status_code == 400
    assert not Interaction.objects.exists() and not StylePreference.objects.exists()
    # The same shopper's clean requests still work.
    assert put_prefs(client, styles=["great-wave"]).status_code == 200


def test_nul_in_query_parameters_is_refused(api_only, products):
    client = session_client()
    assert client.get(f"{API}/me/recommendations/", {"category": "\x00"}).status_code == 400
    assert client.get(f"{API}/styles/", {"search": "\x00"}).status_code == 400


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_nul_in_basic_auth_credentials_is_refused(api_only, db, accept):
    get_user_model().objects.create_user("alice", password="pw-alice-123")
    client = APIClient()
    for header in (_basic("\x00", "x"), _basic("alice\x00", "pw-alice-123"), _basic("alice", "pw\x00")):
        response = client.get(f"{API}/me/preferences/", HTTP_AUTHORIZATION=header, HTTP_ACCEPT=accept)
        assert response.status_code == 400, header
    assert client.get(f"{API}/me/preferences/", HTTP_AUTHORIZATION=_basic("alice", "pw-alice-123")).status_code == 200


def test_the_site_refuses_nul_in_cookies_urls_and_credentials_before_any_query(products, django_assert_num_queries):
    """The plugin's middleware (first in MIDDLEWARE): a NUL session key would crash the session lookup."""
    nul_cookie = Client()
    nul_cookie.cookies["sessionid"] = "\x00" * 32
    with django_assert_num_queries(0):
        assert nul_cookie.get("/").status_code == 400
        assert Client().get("/products/?page=%00").status_code == 400
        assert Client().get("/", HTTP_AUTHORIZATION=_basic("\x00", "x")).status_code == 400
    response = Client().get(f"/product/{products[0].slug}%00/")
    assert response.status_code == 400 and b"Traceback" not in response.content
    assert Client().get("/").status_code == 200


# --- the events throttle cannot be bypassed by rotating sessions ------------------------


def test_events_have_a_ceiling_per_address_whatever_the_sessions(products, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"stylerec_events": "3/min", "stylerec_events_address": "5/min"},
    }
    codes = []
    for _ in range(8):
        client = session_client()  # a new visitor each time: a fresh session and allowance
        codes.append(client.post(f"{API}/events/", {"product": products[0].pk, "kind": "view"}, format="json",
                                 **csrf(client)).status_code)
    assert codes == [201] * 5 + [429] * 3
    assert Interaction.objects.count() == 5
    other_address = session_client()
    response = other_address.post(f"{API}/events/", {"product": products[0].pk, "kind": "view"}, format="json",
                                  REMOTE_ADDR="192.0.2.7", **csrf(other_address))
    assert response.status_code == 201, "another address has its own ceiling"


# --- a multipart form POST makes an active style, as JSON and the admin do ----------------


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 90, 160)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "reference.png"
    return buffer


def test_a_multipart_style_post_without_is_active_creates_an_active_style(db, media_root):
    staff = get_user_model().objects.create_user("staff", password="pw-staff-123", is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    response = client.post(f"{API}/styles/", {"name": "Blue", "slug": "blue", "kind": "tone",
                                              "reference_image": _png()}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is True and Style.objects.get(slug="blue").is_active
    unchecked = client.post(f"{API}/styles/", {"name": "Off", "slug": "off", "kind": "tone", "is_active": "false",
                                               "reference_image": _png()}, format="multipart")
    assert unchecked.status_code == 201 and Style.objects.get(slug="off").is_active is False


# --- the OpenAPI schema documents refusals and public reads ---------------------------------


def _schema() -> dict:
    return APIClient().get(f"{API}/schema/", {"format": "json"}).json()


def test_schema_documents_the_4xx_answers():
    paths = _schema()["paths"]
    expected = {
        ("/events/", "post"): {"400", "403", "429"},
        ("/me/preferences/", "put"): {"400", "403"},
        ("/me/recommendations/", "get"): {"400"},
        ("/styles/", "post"): {"400", "403"},
        ("/styles/{slug}/", "get"): {"404"},
        ("/styles/{slug}/", "patch"): {"400", "403", "404"},
        ("/styles/{slug}/", "delete"): {"403", "404"},
        ("/products/{product_id}/variants/", "get"): {"404"},
        ("/me/data/", "delete"): {"403"},
    }
    for (path, method), codes in expected.items():
        answered = set(paths[path][method]["responses"])
        assert codes <= answered, (path, method, answered)
        for code in codes:
            assert paths[path][method]["responses"][code]["description"], (path, method, code)


def test_schema_marks_public_reads_as_needing_no_credentials():
    paths = _schema()["paths"]
    for path in ("/styles/", "/styles/{slug}/", "/products/{product_id}/variants/", "/me/preferences/",
                 "/me/recommendations/"):
        assert {} in paths[path]["get"].get("security", [{}]), path
    # Writes still need someone: staff for styles, a shopper session for preferences.
    assert {} not in paths["/styles/"]["post"].get("security", [])
    assert {} not in paths["/me/preferences/"]["put"].get("security", [])
