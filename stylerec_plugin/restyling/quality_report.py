"""What shoppers are shown, per active style, measured from the gate scores stored on the rows.

Read by ``manage.py stylerec_quality_report``. Only current rows count (the product's
current photo, the style's current version and engine version): stale rows waiting to be
replaced would count a (product, style) twice. "Shown" is what the storefront shows
(:func:`stylerec_plugin.models.shown_condition`): ready and not withdrawn, or rejected and
approved by an admin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from statistics import mean
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F

from ..models import ProductPhoto, RenderMode, RestyledImage, Style, VariantStatus, shown_condition
from .variants import engine_version


def scene_change_floor() -> float | None:
    """The engine's "visibly styled" floor on scene change, when its gates module names one."""
    try:
        from ..engine import gates
    except ImportError:
        return None
    value = getattr(gates, "DEFAULT_MIN_SCENE_CHANGE", None)  # mean ΔE per scene pixel
    return float(value) if isinstance(value, int | float) else None


@dataclass
class StyleQuality:
    style: str
    name: str
    kind: str
    render_mode: str
    colour_limit: float
    shown: int = 0
    rejected: int = 0
    failed: int = 0
    waiting: int = 0
    withdrawn: int = 0
    approved: int = 0
    within_limit_share: float | None = None  # of shown variants with a measured colour shift
    max_mean_de: float | None = None
    max_dominant_de: float | None = None
    visibly_styled_share: float | None = None
    mean_mask_confidence: float | None = None
    # Shown product-true variants rendered over the whole frame, colours kept, because the photo's
    # mask is not trusted: the scene got texture and light only (an admin's mask fixes that).
    whole_frame: int = 0
    rejected_share: float | None = None  # of the finished (product, style) pairs
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rows")
        return data


def current_rows(style: Style):
    """The style's rows made from each product's current photo, at its current version and engine."""
    return (
        RestyledImage.objects.filter(
            style=style,
            style_version=style.version,
            engine_version=engine_version(style.kind),
            source_hash=F("product__stylerec_photo__source_hash"),
        )
        .annotate(shown=ExpressionWrapper(shown_condition(), output_field=BooleanField()))
        .select_related("product")
        .order_by("product_id")
    )


def photos_without_a_trusted_mask() -> int:
    """Product photos that every product-true style renders over the whole frame, colours kept."""
    from .masks import untrusted_mask_condition

    return ProductPhoto.objects.filter(untrusted_mask_condition()).count()


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def style_quality(style: Style, floor: float | None) -> StyleQuality:
    report = StyleQuality(style.slug, style.name, style.kind, style.render_mode, float(style.colour_limit))
    shown_rows = []
    for row in current_rows(style):
        report.rows.append(row)
        if row.shown:
            report.shown += 1
            shown_rows.append(row)
            report.approved += row.status == VariantStatus.REJECTED
        elif row.status == VariantStatus.REJECTED:
            report.rejected += 1
        elif row.status == VariantStatus.FAILED:
            report.failed += 1
        elif row.status == VariantStatus.READY:
            report.withdrawn += 1
        else:
            report.waiting += 1
    measured = [row for row in shown_rows if row.colour_mean_de is not None]
    limit = report.colour_limit
    report.within_limit_share = _share(sum(row.colour_mean_de <= limit for row in measured), len(measured))
    if measured:
        report.max_mean_de = round(max(row.colour_mean_de for row in measured), 2)
        dominant = [row.colour_dominant_de for row in measured if row.colour_dominant_de is not None]
        report.max_dominant_de = round(max(dominant), 2) if dominant else None
    scenes = [row.scene_change for row in shown_rows if row.scene_change is not None]
    if floor is not None:
        report.visibly_styled_share = _share(sum(value >= floor for value in scenes), len(scenes))
    confidences = [row.mask_confidence for row in shown_rows if row.mask_confidence is not None]
    if style.render_mode == RenderMode.PRODUCT_TRUE:
        from ..engine.segment import LOW_CONFIDENCE  # numpy/scipy only, no torch

        report.whole_frame = sum((row.mask_confidence or 0.0) < LOW_CONFIDENCE for row in shown_rows)
    report.mean_mask_confidence = round(mean(confidences), 4) if confidences else None
    finished = report.shown + report.rejected + report.withdrawn
    report.rejected_share = _share(report.rejected + report.withdrawn, finished)
    return report


def quality_report(styles: list[Style] | None = None) -> tuple[list[StyleQuality], float | None]:
    """Per active style (or ``styles``), and the scene-change floor used for "visibly styled"."""
    floor = scene_change_floor()
    styles = styles if styles is not None else list(Style.objects.filter(is_active=True))
    return [style_quality(style, floor) for style in styles], floor
