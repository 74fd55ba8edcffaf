"""``RejectNulBytesMiddleware``: answer 400 to a request whose URL, cookies or credentials hold a NUL.

PostgreSQL cannot store or compare a string with a NUL character (U+0000): the
driver raises, and a lookup such as a session key, a slug or a user name taken from
the request becomes an HTTP 500 (with DEBUG on, a traceback for the visitor).
No legitimate browser sends one, so the middleware refuses the request before any
query. Put it first in ``MIDDLEWARE`` (before ``SessionMiddleware``). The plugin's API
refuses NUL in request bodies and parameters by itself (``stylerec_plugin.api.errors``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponseBadRequest

NUL = "\x00"
NUL_MESSAGE = "Requests may not contain NUL characters (U+0000)."


def contains_nul(value) -> bool:
    """True when ``value`` (a string, bytes, or nested lists / dicts of them) holds a NUL.

    Uploaded files are data, not text, and are not looked at.
    """
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, bytes):
        return b"\x00" in value
    if isinstance(value, Mapping):
        getlist = getattr(value, "getlist", None)
        items = ((key, getlist(key)) for key in value) if getlist else value.items()
        return any(contains_nul(key) or contains_nul(item) for key, item in items)
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


def credentials_contain_nul(header: str) -> bool:
    """The Authorization header, and for Basic auth its decoded user name and password."""
    if NUL in header:
        return True
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return False
    try:
        return b"\x00" in base64.b64decode(token.strip(), validate=False)
    except (binascii.Error, ValueError):
        return False


def request_has_nul(request: HttpRequest) -> bool:
    """NUL in the path, the query string, a cookie or the credentials of ``request``."""
    meta = request.META
    return (
        NUL in request.path_info
        or b"\x00" in unquote_to_bytes(meta.get("QUERY_STRING", ""))
        or NUL in meta.get("HTTP_COOKIE", "")
        or contains_nul(request.COOKIES)  # as parsed: a quoted cookie may spell it "\000"
        or credentials_contain_nul(meta.get("HTTP_AUTHORIZATION", ""))
    )


class RejectNulBytesMiddleware:
    """400 for any request with a NUL in its URL, cookies or credentials; see the module docstring."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request_has_nul(request):
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
