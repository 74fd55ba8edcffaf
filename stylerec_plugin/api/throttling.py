from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .permissions import request_shopper

DEFAULT_EVENT_RATE = "120/min"


class ShopperEventThrottle(SimpleRateThrottle):
    """Bounds interaction events per shopper (and per address for anyone without one).

    The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["stylerec_events"]``,
    120 per minute when the project does not set it.
    """

    scope = "stylerec_events"

    def get_rate(self) -> str | None:
        return self.THROTTLE_RATES.get(self.scope, DEFAULT_EVENT_RATE)

    def get_cache_key(self, request, view) -> str:
        shopper = request_shopper(request)
        ident = shopper.key if shopper is not None else f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
