"""Deprecated: moved to :mod:`stylerec_plugin.shoppers.cache` (the cache itself is
``stylerec_plugin.conf.get_cache``). This alias goes in the next release."""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.shoppers.cache")

from .conf import get_cache as cache  # noqa: E402, F401
from .shoppers.cache import (  # noqa: E402, F401
    PREFERENCES_KEY,
    STYLES_KEY,
    bump,
    cached,
    session_key,
    style_key,
)
from .shoppers.cache import forget_style_and_events as forget_shopper  # noqa: E402, F401
from .shoppers.receivers import connect as connect_signals  # noqa: E402, F401
