"""Previewing a style before it goes live: its variants of a few sample products.

The samples are the best photos by the analysis' quality score (weak and unreadable
photos last), one per category where the shop has categories, then the next best.
Their rows are ordinary variant rows of the style's current version: workers render
them although the style is inactive (``Style.preview_products``), nothing shows them to
shoppers while it is, and they are reused when the style goes live.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from ..models import ProductPhoto, RestyledImage, Style
from ..products import get_product_adapter
from .planning import plan_variants, queue_plan
from .variants import engine_version

DEFAULT_SAMPLES = 8
MIN_SAMPLES, MAX_SAMPLES = 6, 12


def _categories(product_ids: list[Any]) -> dict[Any, Any]:
    """Each product's (first) category, or {} when the shop has no category field."""
    adapter = get_product_adapter()
    field = adapter.category_field()
    if field is None:
        return {}
    categories: dict[Any, Any] = {}
    for pk, category in adapter.queryset().filter(pk__in=product_ids).values_list("pk", field.name):
        categories.setdefault(pk, category)
    return categories


def choose_samples(count: int = DEFAULT_SAMPLES) -> list[Any]:
    """Up to ``count`` (6-12) product ids with the best photos, one per category first."""
    count = max(MIN_SAMPLES, min(MAX_SAMPLES, int(count)))
    restyled = get_product_adapter().restyled().values("pk")
    ranked = list(
        ProductPhoto.objects.filter(product_id__in=restyled, last_error="")
        .exclude(source_hash="")
        .order_by("is_weak", F("quality_score").desc(nulls_last=True), "product_id")
        .values_list("product_id", flat=True)[:500]
    )
    categories = _categories(ranked)
    chosen: list[Any] = []
    seen: set[Any] = set()
    for product_id in ranked:
        category = categories.get(product_id)
        if category is not None and category not in seen:
            seen.add(category)
            chosen.append(product_id)
        if len(chosen) == count:
            return chosen
    chosen += [pk for pk in ranked if pk not in chosen][: count - len(chosen)]
    return chosen


def request_preview(style: Style, count: int = DEFAULT_SAMPLES) -> list[Any]:
    """Choose the samples, record them on the style and queue their renders (after commit); returns the ids."""
    samples = choose_samples(count)
    Style.objects.filter(pk=style.pk).update(preview_products=samples, preview_requested_at=timezone.now())
    style.preview_products = samples
    plan = plan_variants(samples, [style], include_failed=True)
    queue_plan(plan)
    return samples


def preview_rows(style: Style) -> list[dict[str, Any]]:
    """The samples with their current-version variant row (None until planned), in sample order."""
    samples = list(style.preview_products or [])
    products = get_product_adapter().in_bulk(samples)
    rows = {
        row.product_id: row
        for row in RestyledImage.objects.filter(
            style=style,
            product_id__in=samples,
            style_version=style.version,
            engine_version=engine_version(style.kind),
            source_hash=F("product__stylerec_photo__source_hash"),
        )
    }
    return [
        {"product": products[pk], "variant": rows.get(pk)}
        for pk in samples
        if pk in products
    ]
