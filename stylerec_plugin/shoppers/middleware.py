"""``ShopperMiddleware``: puts ``request.shopper`` on every request.

    MIDDLEWARE += ["stylerec_plugin.shoppers.ShopperMiddleware"]  # after auth (and sessions, if any)

With ``GUEST_IDENTITY = "cookie"`` it also sets the guest cookie on the response of a
request that made a guest a shopper, and removes it once the guest signed in.
"""

from __future__ import annotations

from django.conf import settings as django_settings

from ..conf import settings
from .identity import (
    FORGET_GUEST_ATTR,
    GUEST_COOKIE_SALT,
    NEW_GUEST_ATTR,
    SESSION_SHOPPER_KEY,
    Shopper,
    current_request,
)


class ShopperMiddleware:
    """Puts ``request.shopper`` on each request and remembers anonymous keys for login merge."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        shopper = Shopper.from_request(request, create=False)
        request.shopper = shopper
        session = getattr(request, "session", None)
        if shopper is not None and shopper.is_anonymous and session is not None:
            if session.get(SESSION_SHOPPER_KEY) != shopper.key:
                session[SESSION_SHOPPER_KEY] = shopper.key
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        self._guest_cookie(request, response)
        return response

    @staticmethod
    def _guest_cookie(request, response) -> None:
        name = settings.GUEST_COOKIE_NAME
        if getattr(request, FORGET_GUEST_ATTR, False):
            response.delete_cookie(name, samesite="Lax")
            return
        made = getattr(request, NEW_GUEST_ATTR, None)
        if made:
            response.set_signed_cookie(
                name,
                made,
                salt=GUEST_COOKIE_SALT,
                max_age=settings.GUEST_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=getattr(django_settings, "SESSION_COOKIE_SECURE", False),
            )
