"""Photos: which photo (restyled or original) a shopper sees for a product, and how to show it.

Shared by the grid service, the template tags, the API and the demo views. The rules:

- a restyled variant is shown only when a *shown* row with a stored file exists:
  ready and not withdrawn by an admin, or rejected by the gates and approved by an
  admin (``models.shown_condition``); the newest such row per (product, style) wins,
  so an older version keeps showing while a new one is being made;
- anything else (pending, running, failed, rejected, withdrawn, no row) falls back to
  the original photo — never an error;
- building a page costs a constant number of queries (one for variants, one for
  photo sizes) and no storage calls beyond ``storage.url()``, which only joins
  strings for file-system and most cloud backends (no ``exists``/``open``/``size``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, DateTimeField, IntegerField, Value
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..conf import settings
from ..models import ProductPhoto, RestyledImage, Style, StyleKind, shown_condition
from ..products import get_product_adapter
from ..restyling.status import best_variant_rows
from ..signals import variants_missing
from ..storage import rendition_name, variant_storage


@dataclass(frozen=True)
class VariantFile:
    name: str
    width: int | None
    height: int | None
    style_version: int
    rendition_widths: tuple[int, ...] = ()


@dataclass
class Photo:
    """One product photo ready to render: ``<img src srcset width height alt>``."""

    url: str
    alt: str
    width: int | None = None
    height: int | None = None
    srcset: str = ""
    style: Style | None = None  # None: the original photo
    is_original: bool = True
    # Why the original is shown although a style was asked for ("pending", "failed", ...).
    fallback_reason: str = ""
    candidates: list[tuple[str, int]] = field(default_factory=list)

    @property
    def style_slug(self) -> str:
        return self.style.slug if self.style is not None else "original"

    def img_tag(self, *, sizes: str = "", css_class: str = "", loading: str = "lazy") -> SafeString:
        """The same markup as ``stylerec/photo.html``, built in Python: grids render many of these.

        Every value is escaped for a double-quoted attribute (stdlib ``html.escape``
        with quotes: the same characters Django's ``escape`` handles, a lot faster).
        """
        classes = f"stylerec-photo {css_class}".strip()
        if not self.url:
            return mark_safe(  # noqa: S308 - every value below is escaped
                f'<span class="{_attr(classes)} stylerec-photo--missing" role="img" aria-label="{_attr(self.alt)}">'
                "</span>"
            )
        parts = [f'<img src="{_attr(self.url)}"']
        if self.srcset:
            parts.append(f' srcset="{_attr(self.srcset)}"')
            if sizes:
                parts.append(f' sizes="{_attr(sizes)}"')
        if self.width:
            parts.append(f' width="{int(self.width)}"')
        if self.height:
            parts.append(f' height="{int(self.height)}"')
        parts.append(
            f' alt="{_attr(self.alt)}" loading="{"eager" if loading == "eager" else "lazy"}" decoding="async"'
            f' class="{_attr(classes)}" data-stylerec-style="{_attr(self.style_slug)}"'
        )
        if self.fallback_reason:
            parts.append(f' data-stylerec-fallback="{_attr(self.fallback_reason)}"')
        parts.append(">")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _attr(value: Any) -> str:
    return html.escape(str(value), quote=True)


def ready_variants(product_ids: Iterable[int], styles: Iterable[Style]) -> dict[tuple[int, int], VariantFile]:
    """The newest ready variant per (product, style), in one query (see ``facts_and_variants``)."""
    ids, wanted = list(product_ids), [style for style in styles if style is not None]
    return facts_and_variants(ids, wanted)[1] if ids and wanted else {}


def variant_statuses(product_ids: Iterable[int], styles: Sequence[Style]) -> dict[tuple[int, int], str]:
    """The best status per (product, style): ready > running > pending > failed > rejected (one query)."""
    return {key: row["status"] for key, row in best_variant_rows(product_ids, styles).items()}


@dataclass(frozen=True)
class PhotoFacts:
    width: int | None
    height: int | None
    source_hash: str
    # Smaller copies of the original made by the worker, {"320": name}: the original's srcset.
    copies: dict[str, str] = field(default_factory=dict)


def photo_facts(product_ids: Iterable[int]) -> dict[int, PhotoFacts]:
    """What the pipeline recorded about each original photo, without opening any file (one query)."""
    rows = ProductPhoto.objects.filter(product_id__in=list(product_ids)).values_list(
        "product_id", "width", "height", "source_hash", "original_copies"
    )
    return {
        product_id: PhotoFacts(width, height, source_hash or "", copies or {})
        for product_id, width, height, source_hash, copies in rows
    }


def enhance_style() -> Style | None:
    """The active "enhance" style used for enhanced originals, when the setting is on."""
    if not settings.ENHANCED_ORIGINALS:
        return None
    return Style.objects.filter(kind=StyleKind.ENHANCE, is_active=True).order_by("sort_order", "pk").first()


def _srcset(candidates: list[tuple[str, int]]) -> str:
    return ", ".join(f"{url} {width}w" for url, width in candidates if width)


def original_photo(
    product: Any,
    size: tuple[int | None, int | None] | None = None,
    *,
    reason: str = "",
    copies: dict[str, str] | None = None,
) -> Photo:
    """The product's own photo; ``copies`` (``PhotoFacts.copies``) make its srcset responsive."""
    url = get_product_adapter().photo_url(product)
    width, height = size or (None, None)
    candidates = []
    if url and width:
        storage = variant_storage()
        # Smaller copies first (names are stored, so no storage call), then the original itself.
        candidates = [
            (storage.url(name), int(copy_width))
            for copy_width, name in sorted((copies or {}).items(), key=lambda item: int(item[0]))
            if int(copy_width) < width
        ]
        candidates.append((url, width))
    return Photo(
        url=url,
        alt=get_product_adapter().name(product),
        width=width,
        height=height,
        srcset=_srcset(candidates),
        fallback_reason=reason,
        candidates=candidates,
    )


def variant_photo(product: Any, style: Style, variant: VariantFile) -> Photo:
    storage = variant_storage()
    url = storage.url(variant.name)
    # Smaller copies first, then the full-size file; sizes are known, no storage call.
    candidates = [
        (storage.url(rendition_name(variant.name, width)), width)
        for width in sorted(variant.rendition_widths)
        if variant.width and width < variant.width
    ]
    if variant.width:
        candidates.append((url, variant.width))
    name = get_product_adapter().name(product)
    if style.kind == StyleKind.ENHANCE:
        alt = name
    else:
        alt = _("%(product)s in the %(style)s style") % {"product": name, "style": style.display_name}
    return Photo(
        url=url,
        alt=alt,
        width=variant.width,
        height=variant.height,
        srcset=_srcset(candidates),
        style=style,
        is_original=False,
        candidates=candidates,
    )


def photos_for(
    products: Sequence[Any],
    style: Style | None,
    *,
    fallback_style: Style | None = None,
    notify_missing: bool = True,
) -> list[Photo]:
    """One ``Photo`` per product in ``style`` (or ``fallback_style``, then the original).

    One query whatever the number of products; ``fallback_style`` is how
    enhanced originals are shown to shoppers who have no style.
    """
    if not products:
        return []
    # A child showing its parent's photo shows the parent's variants too.
    adapter = get_product_adapter()
    owners = adapter.photo_owner_ids(products)
    ids = list(dict.fromkeys(owners.values()))
    wanted = [s for s in (style, fallback_style) if s is not None]
    facts, variants = facts_and_variants(ids, wanted)
    photos: list[Photo] = []
    missing: list[int] = []
    if style is None or len(variants) < len(products) * len(wanted):
        adapter.prefetch_photos(products)  # originals will be shown: their photos in a few queries
    for product in products:
        owner = owners[product.pk]
        chosen = None
        for candidate in wanted:
            variant = variants.get((owner, candidate.pk))
            if variant is not None:
                chosen = variant_photo(product, candidate, variant)
                break
        if chosen is None:
            if style is not None:
                missing.append(owner)
            known = facts.get(owner)
            size = (known.width, known.height) if known is not None else None
            chosen = original_photo(
                product, size, reason="not_ready" if style else "", copies=known.copies if known else None
            )
        photos.append(chosen)
    if missing and notify_missing and style is not None:
        variants_missing.send(sender=Photo, style=style, product_ids=list(dict.fromkeys(missing)))
    return photos


def facts_and_variants(
    product_ids: list[int], styles: list[Style]
) -> tuple[dict[int, PhotoFacts], dict[tuple[int, int], VariantFile]]:
    """Each product's photo facts and its newest ready variant per style, in one round trip
    (a UNION ALL; on a busy database the round trip, not the work, is what a query costs).

    A variant made from an older photo (its source hash differs from the product's
    analysed photo) is skipped, so a changed photo never shows a stale restyle.
    """
    if not styles:
        return photo_facts(product_ids), {}
    facts_rows = ProductPhoto.objects.filter(product_id__in=product_ids).values_list(
        "product_id",
        Value(None, output_field=IntegerField()),
        Value("", output_field=CharField()),
        "width",
        "height",
        Value(0, output_field=IntegerField()),
        "source_hash",
        Value(None, output_field=DateTimeField()),
        "pk",
        "original_copies",
    )
    variant_rows = (
        RestyledImage.objects.filter(
            shown_condition(), product_id__in=product_ids, style_id__in=[s.pk for s in styles]
        )
        .values_list("product_id", "style_id", "image", "width", "height", "style_version", "source_hash",
                     "finished_at", "pk", "rendition_widths")
    )
    facts: dict[int, PhotoFacts] = {}
    candidates = []
    for product_id, style_id, name, width, height, version, source_hash, finished_at, pk, renditions in (
        facts_rows.union(variant_rows, all=True)
    ):
        if style_id is None:
            facts[product_id] = PhotoFacts(width, height, source_hash or "", renditions or {})
        else:
            candidates.append(
                (product_id, style_id, name, width, height, version, source_hash, finished_at, pk, renditions)
            )
    # Newest first: style version, finish time (unfinished last), row id.
    candidates.sort(key=lambda row: (-row[5], -(row[7].timestamp() if row[7] else 0.0), -row[8]))
    variants: dict[tuple[int, int], VariantFile] = {}
    for product_id, style_id, name, width, height, version, source_hash, _finished, _pk, renditions in candidates:
        known = facts.get(product_id)
        if known is not None and known.source_hash and known.source_hash != source_hash:
            continue  # made from an older photo
        variants.setdefault(
            (product_id, style_id), VariantFile(name, width, height, version, tuple(renditions or ()))
        )
    return facts, variants


def photo_for(product: Any, style: Style | None, *, fallback_style: Style | None = None) -> Photo:
    return photos_for([product], style, fallback_style=fallback_style)[0]
