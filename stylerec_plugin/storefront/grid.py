"""The grid service: "state → recommend → photos → record exposure", written once.

The ``{% stylerec_grid %}`` tag, the recommendations API and a shop's own views
(the demo's product lists) all show products this way:

1. the request's :class:`~.state.StorefrontState` (shopper, experiment arm, style);
2. which products: recommended ones (:func:`recommended_grid`) or a list the caller
   already has (:func:`product_grid`);
3. one photo per product in the shopper's style, falling back to the original
   (a constant number of queries for the whole grid);
4. each card's reason in words for the page it is on (:mod:`.reasons`), and whether the
   grid is personal at all;
5. an exposure recorded for an enrolled shopper, so experiments count what was shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString

from ..experiments.tracking import record_exposure
from ..models import Style
from ..products import get_product_adapter
from ..recommendations.serving import Recommendation, recommend
from .photos import Photo, photos_for
from .reasons import card_reason, is_personal
from .state import StorefrontState, storefront_state


@dataclass
class GridItem:
    product: Any
    photo: Photo
    img: SafeString | str  # the ready-made <img> tag (same markup as stylerec/photo.html); "" if not asked for
    name: str
    price: Any
    url: str
    reason: str
    reason_code: str
    score: float
    position: int


@dataclass
class Grid:
    """What a grid shows, and the state it was decided under."""

    items: list[GridItem]
    state: StorefrontState
    style: Style | None  # the style the photos were asked in (None: originals or the shopper has none)
    products: list[Any] = field(init=False)
    # True only when some card is there because of the shopper (what they looked at, shoppers
    # like them, styles they chose): the one honest condition for a "Picked for you" heading.
    personal: bool = field(init=False)

    def __post_init__(self) -> None:
        self.products = [item.product for item in self.items]
        self.personal = any(is_personal(item.reason_code, self.state.personalise) for item in self.items)


def recommended_grid(
    request,
    count: int,
    *,
    shopper=None,
    category: Any = None,
    exclude_ids: Iterable[Any] = (),
    style: Style | None = None,
    originals: bool = False,
    surface: str = "grid",
    sizes: str | None = None,
) -> Grid:
    """The shopper's ``count`` recommended products with their photos; the exposure is recorded.

    ``style`` shows the photos in that style instead of the shopper's; ``originals``
    shows untouched photos. ``shopper`` overrides the request's (the API passes the
    shopper DRF authenticated). ``sizes`` builds each item's ``<img>`` tag.
    """
    state = storefront_state(request, shopper=shopper)
    shown = None if originals else (style or state.style)
    fallback = None if originals else state.fallback_style
    recommendations = recommend(
        state.shopper, n=count, category=category, exclude_ids=exclude_ids, personalised=state.personalise
    )
    items = _items(request, recommendations, shown, fallback, sizes, in_category=category is not None)
    return _shown(Grid(items=items, state=state, style=shown), surface)


def product_grid(request, products: Sequence[Any], *, surface: str, sizes: str | None = None) -> Grid:
    """``products`` (a page of a category, search results...) with the shopper's photos; the exposure is recorded."""
    state = storefront_state(request)
    rows = [Recommendation(product=product, score=0.0, reason="", reason_code="") for product in products]
    items = _items(request, rows, state.style, state.fallback_style, sizes)
    return _shown(Grid(items=items, state=state, style=state.style), surface)


def _items(
    request,
    recommendations: list[Recommendation],
    style: Style | None,
    fallback: Style | None,
    sizes: str | None,
    *,
    in_category: bool = False,
) -> list[GridItem]:
    products = get_product_adapter()
    photos = photos_for([rec.product for rec in recommendations], style, fallback_style=fallback)
    return [
        GridItem(
            product=rec.product,
            photo=photo,
            img=photo.img_tag(sizes=sizes) if sizes is not None else "",
            name=products.name(rec.product, request),
            price=products.price(rec.product, request),
            url=products.url(rec.product, request),
            reason=card_reason(rec.product, str(rec.reason), rec.reason_code, in_category=in_category),
            reason_code=rec.reason_code,
            score=rec.score,
            position=position,
        )
        for position, (rec, photo) in enumerate(zip(recommendations, photos, strict=True), start=1)
    ]


def _shown(grid: Grid, surface: str) -> Grid:
    """Record that the grid's products were shown to its (enrolled) shopper on ``surface``."""
    state = grid.state
    if state.shopper is not None and grid.products:
        record_exposure(state.shopper, state.treatment, [product.pk for product in grid.products], surface)
    return grid
