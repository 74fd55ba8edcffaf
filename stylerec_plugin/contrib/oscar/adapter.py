"""``OscarProductAdapter``: how StyleRec reads an Oscar catalogue.

Photos, children, visibility and categories come from settings the app supplies (see
:mod:`.apps`): the first ``ProductImage`` by ``display_order`` (a child without images
shows its parent's), ``Product.objects.browsable()`` (public, no children) and the
``categories`` tree with its descendants. What settings cannot say lives here:

- the title (``get_title()``: a child without one has its parent's);
- the price through the request's strategy (``request.strategy``, which Oscar's
  ``BasketMiddleware`` sets; without a request, the default strategy), parents priced
  from their children, written with Oscar's ``currency`` filter;
- listings fetch stock records and public children in a constant number of queries;
- Oscar's hand-picked ``recommended_products`` (by ranking) boost recommendations next
  to what the shopper looked at, and stand in before the first model is trained.

A shop that set ``PRODUCT_NAME_FIELD`` or ``PRODUCT_PRICE_FIELD`` itself gets those.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models

from ...conf import settings
from ...products import Price, ProductAdapter


class OscarProductAdapter(ProductAdapter):
    def name(self, product: Any, request: Any = None) -> str:
        if settings.is_set("PRODUCT_NAME_FIELD"):
            return super().name(product, request)
        return str(product.get_title() or product)

    def price(self, product: Any, request: Any = None) -> Price | None:
        if settings.is_set("PRODUCT_PRICE_FIELD"):
            return super().price(product, request)
        strategy = getattr(request, "strategy", None) if request is not None else None
        if strategy is None:
            from oscar.core.loading import get_class

            user = getattr(request, "user", None) if request is not None else None
            strategy = get_class("partner.strategy", "Selector")().strategy(request=request, user=user)
        info = strategy.fetch_for_parent(product) if product.is_parent else strategy.fetch_for_product(product)
        price = info.price
        if not price.exists:
            return None
        amount = price.incl_tax if price.is_tax_known else price.excl_tax
        return Price(amount=amount, currency=price.currency, text=_currency(amount, price.currency))

    def for_listing(self, queryset: models.QuerySet) -> models.QuerySet:
        public_children = self.model._default_manager.public().prefetch_related("stockrecords")
        return (
            super()
            .for_listing(queryset)
            .select_related("product_class", "parent__product_class")
            .prefetch_related("stockrecords")
            .prefetch_public_children(queryset=public_children)
        )

    def hand_picked(self, product_ids: Iterable[Any]) -> dict[Any, list[Any]]:
        from oscar.core.loading import get_model

        ids = list(product_ids)
        if not ids:
            return {}
        picked: dict[Any, list[Any]] = defaultdict(list)
        rows = (
            get_model("catalogue", "ProductRecommendation")
            .objects.filter(primary_id__in=ids)
            .order_by("primary_id", "-ranking", "pk")
            .values_list("primary_id", "recommendation_id")
        )
        for primary, recommended in rows:
            picked[primary].append(recommended)
        return dict(picked)


def _currency(amount, currency: str | None) -> str:
    from oscar.templatetags.currency_filters import currency as format_currency

    return str(format_currency(amount, currency))
