"""Deprecated: moved to :mod:`stylerec_plugin.shoppers.preferences` (the public names are
also in :mod:`stylerec_plugin.shoppers`). This alias goes in the next release."""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.shoppers.preferences")

from .shoppers.preferences import (  # noqa: E402, F401
    explicit_styles,
    forget_request_style,
    set_explicit_styles,
    shopper_style,
    shopper_styles,
    style_for_request,
)
