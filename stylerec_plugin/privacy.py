"""Deprecated: moved to :mod:`stylerec_plugin.shoppers.privacy` (the public names are
also in :mod:`stylerec_plugin.shoppers`). This alias goes in the next release."""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.shoppers.privacy")

from .shoppers.privacy import APP_LABEL, delete_shopper_data, export_shopper_data, shopper_models  # noqa: E402, F401
