"""``ShopperMiddleware``: puts ``request.shopper`` on every request.

    MIDDLEWARE += ["stylerec_plugin.shoppers.ShopperMiddleware"]  # after auth and sessions
"""

from __future__ import annotations

from .identity import SESSION_SHOPPER_KEY, Shopper


class ShopperMiddleware:
    """Puts ``request.shopper`` on each request and remembers anonymous keys for login merge."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        shopper = Shopper.from_request(request, create=False)
        request.shopper = shopper
        if shopper is not None and shopper.is_anonymous:
            if request.session.get(SESSION_SHOPPER_KEY) != shopper.key:
                request.session[SESSION_SHOPPER_KEY] = shopper.key
        return self.get_response(request)
