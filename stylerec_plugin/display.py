"""Deprecated: moved to :mod:`stylerec_plugin.storefront` (``photos`` and ``state``) and
:mod:`stylerec_plugin.products` (the product fields). This alias goes in the next release."""

from __future__ import annotations

from typing import Any

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.storefront")

from .products import get_product_adapter  # noqa: E402
from .signals import variants_missing  # noqa: E402, F401
from .storefront.photos import (  # noqa: E402, F401
    Photo,
    PhotoFacts,
    VariantFile,
    enhance_style,
    facts_and_variants,
    original_photo,
    photo_facts,
    photo_for,
    photos_for,
    ready_variants,
    variant_photo,
    variant_statuses,
)
from .storefront.state import StorefrontState, forget_storefront_state, storefront_state  # noqa: E402, F401


def product_image_field(product: Any):
    """Use ``get_product_adapter().photo_file(product)``."""
    return get_product_adapter().photo_file(product)


def product_name(product: Any) -> str:
    """Use ``get_product_adapter().name(product)``."""
    return get_product_adapter().name(product)


def product_price(product: Any) -> Any:
    """Use ``get_product_adapter().price(product, request)``."""
    return get_product_adapter().price(product)


def product_url(product: Any) -> str:
    """Use ``get_product_adapter().url(product)``."""
    return get_product_adapter().url(product)
