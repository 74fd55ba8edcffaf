"""Storefront: what a shopper sees (photos, the per-request state, grids).

- :mod:`.photos`  which photo (restyled or original) each product shows, as ``<img>`` markup
- :mod:`.state`   the request's shopper, experiment treatment and style, decided once
- :mod:`.grid`    "state → recommend → photos → record exposure" for the tag, the API and shop views
"""

from .._lazy import lazy_exports

__all__ = [
    "Grid",
    "GridItem",
    "Photo",
    "StorefrontState",
    "facts_and_variants",
    "forget_storefront_state",
    "original_photo",
    "photo_for",
    "photos_for",
    "product_grid",
    "ready_variants",
    "recommended_grid",
    "storefront_state",
    "variant_photo",
    "variant_statuses",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(
            [
                "Photo",
                "facts_and_variants",
                "original_photo",
                "photo_for",
                "photos_for",
                "ready_variants",
                "variant_photo",
                "variant_statuses",
            ],
            ".photos",
        ),
        **dict.fromkeys(["StorefrontState", "forget_storefront_state", "storefront_state"], ".state"),
        **dict.fromkeys(["Grid", "GridItem", "product_grid", "recommended_grid"], ".grid"),
    },
)
