from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import request_shopper

DEFAULT_EVENT_RATE = "120/min"
DEFAULT_ADDRESS_EVENT_RATE = "240/min"


class _ConfiguredRate(SimpleRateThrottle):
    """A rate from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]``, read per request, or a default."""

    default_rate: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope, self.default_rate)


class ShopperEventThrottle(_ConfiguredRate):
    """Bounds interaction events per shopper (and per address for anyone without one).

    The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["stylerec_events"]``,
    120 per minute when the project does not set it.
    """

    scope = "stylerec_events"
    default_rate = DEFAULT_EVENT_RATE

    def get_cache_key(self, request, view) -> str:
        shopper = request_shopper(request)
        ident = shopper.key if shopper is not None else f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressEventThrottle(_ConfiguredRate):
    """A ceiling on events per client address, whatever sessions it rotates through.

    Any page view starts a session, so a per-shopper limit alone is bypassed by
    dropping the cookie. The rate is ``DEFAULT_THROTTLE_RATES["stylerec_events_address"]``
    (240 per minute when unset: twice one shopper's allowance, for shoppers sharing an
    address). Behind a proxy, set DRF's ``NUM_PROXIES`` so the address is the client's.
    """

    scope = "stylerec_events_address"
    default_rate = DEFAULT_ADDRESS_EVENT_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
