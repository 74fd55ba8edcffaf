"""Status: where the pipeline stands (``stylerec_status``, the admin) and each variant's best status.

:func:`best_variant_rows` is the one ranking of a (product, style)'s rows: the
storefront's product page and the API's variants endpoint both read it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.db import models
from django.db.models import BooleanField, Count, ExpressionWrapper, Min
from django.utils import timezone

from ..conf import settings
from ..models import ProductPhoto, RestyledImage, Review, Style, VariantStatus, shown_condition
from ..products import get_product_adapter
from .variants import engine_version

# The status a shopper-facing page reports for a (product, style) is its best row's:
# ready beats work in progress, which beats a failure.
STATUS_RANK = {
    VariantStatus.READY: 0,
    VariantStatus.RUNNING: 1,
    VariantStatus.PENDING: 2,
    VariantStatus.FAILED: 3,
    VariantStatus.REJECTED: 4,
}
_UNKNOWN_RANK = 9
GATE_FIELDS = ("colour_mean_de", "colour_dominant_de", "region_ssim", "scene_change", "mask_confidence")


def _rank(row: dict[str, Any]) -> int:
    # What shoppers can see wins; a withdrawn row ranks last (it is never shown).
    if row["shown"]:
        return -1
    if row["review"] == Review.WITHDRAWN and row["status"] == VariantStatus.READY:
        return _UNKNOWN_RANK + 1
    return STATUS_RANK.get(row["status"], _UNKNOWN_RANK)


def best_variant_rows(product_ids: Iterable[Any], styles: Sequence[Style]) -> dict[tuple[Any, int], dict[str, Any]]:
    """Each (product, style)'s best row as a dict, one query.

    Keys: status, image, width, height, style_version, the gate scores, review and
    ``shown`` (shoppers see it: ready and not withdrawn, or rejected and approved).
    A ready row whose file name is empty counts as failed: there is nothing to show.
    Between rows of the same rank the newest style version, then the newest row, wins.
    """
    rows = (
        RestyledImage.objects.filter(product_id__in=list(product_ids), style_id__in=[s.pk for s in styles])
        .annotate(shown=ExpressionWrapper(shown_condition(), output_field=BooleanField()))
        .order_by("-style_version", "-pk")
        .values("product_id", "style_id", "status", "image", "width", "height", "style_version", "shown",
                "review", "last_error", *GATE_FIELDS)
    )
    best: dict[tuple[Any, int], dict[str, Any]] = {}
    for row in rows:
        if row["status"] == VariantStatus.READY and not row["image"]:
            row["status"] = VariantStatus.FAILED
        key = (row["product_id"], row["style_id"])
        current = best.get(key)
        if current is None or _rank(row) < _rank(current):
            best[key] = row
    return best


def pipeline_status(*, failures: int = 20) -> dict[str, Any]:
    """Counts per style and status, ages, recent failures and photo quality, for commands and admin."""
    now = timezone.now()
    styles = {style.pk: style for style in Style.objects.all()}
    oldest_pending = RestyledImage.objects.filter(status=VariantStatus.PENDING).aggregate(t=Min("created_at"))["t"]
    oldest_running = RestyledImage.objects.filter(status=VariantStatus.RUNNING).aggregate(t=Min("started_at"))["t"]
    return {
        "generated_at": now.isoformat(),
        "styles": sorted(_per_style(styles).values(), key=lambda e: e["style"]),
        "totals": dict(
            RestyledImage.objects.values_list("status").annotate(n=Count("pk")).order_by().values_list("status", "n")
        ),
        "oldest_pending_seconds": (now - oldest_pending).total_seconds() if oldest_pending else None,
        "oldest_running_seconds": (now - oldest_running).total_seconds() if oldest_running else None,
        "failures": _recent_failures(styles, failures),
        "photos": _photo_status(),
        "queue": queue_status(),
    }


def _per_style(styles: dict[int, Style]) -> dict[int, dict[str, Any]]:
    """Row counts by status per style, and how many current variants each active style lacks."""
    per_style: dict[int, dict[str, Any]] = {}
    for style_id, status, count in (
        RestyledImage.objects.values_list("style_id", "status").annotate(n=Count("pk")).order_by()
    ):
        style = styles.get(style_id)
        entry = per_style.setdefault(
            style_id,
            {
                "style": style.slug if style else str(style_id),
                "active": bool(style and style.is_active),
                "version": style.version if style else None,
                "counts": {},
            },
        )
        entry["counts"][status] = count
    for style in styles.values():
        per_style.setdefault(
            style.pk, {"style": style.slug, "active": style.is_active, "version": style.version, "counts": {}}
        )
    analysed = ProductPhoto.objects.exclude(source_hash="")
    for style_id, entry in per_style.items():
        style = styles.get(style_id)
        expected = analysed.count() if style and style.is_active else 0
        current = 0
        if style and style.is_active:
            current = RestyledImage.objects.filter(
                style=style,
                style_version=style.version,
                engine_version=engine_version(style.kind),
                product__stylerec_photo__source_hash=models.F("source_hash"),
            ).count()
        entry["missing"] = max(expected - current, 0)
    return per_style


def _recent_failures(styles: dict[int, Style], limit: int) -> list[dict[str, Any]]:
    return [
        {
            "variant": row.pk,
            "product": row.product_id,
            "style": styles[row.style_id].slug if row.style_id in styles else row.style_id,
            "attempts": row.attempts,
            "error": row.last_error,
            "at": row.finished_at.isoformat() if row.finished_at else None,
        }
        for row in RestyledImage.objects.filter(status=VariantStatus.FAILED).order_by("-finished_at", "-pk")[:limit]
    ]


def _photo_status() -> dict[str, Any]:
    products_total = get_product_adapter().restyled().count()
    analysed = ProductPhoto.objects.exclude(source_hash="").count()
    photos: dict[str, Any] = {
        "products": products_total,
        "analysed": analysed,
        "not_analysed": max(products_total - analysed, 0),
        "weak": ProductPhoto.objects.filter(is_weak=True).count(),
        "unreadable": ProductPhoto.objects.exclude(last_error="").count(),
    }
    reasons: dict[str, int] = defaultdict(int)
    for reason_list in ProductPhoto.objects.filter(is_weak=True).values_list("quality_reasons", flat=True):
        for reason in reason_list or []:
            key = reason.get("code") if isinstance(reason, dict) else str(reason)
            reasons[str(key)] += 1
    photos["weak_reasons"] = dict(sorted(reasons.items(), key=lambda kv: -kv[1]))
    return photos


def queue_status() -> dict[str, Any]:
    from ..queue import effective_mode, get_queue, redis_available

    info: dict[str, Any] = {"name": settings.QUEUE_NAME, "mode": settings.QUEUE_MODE, "effective": effective_mode()}
    if settings.QUEUE_MODE == "inline" or not redis_available():
        info["redis"] = False
        return info
    try:
        from rq.worker import Worker

        queue = get_queue()
        beating, silent = _workers_by_heartbeat(Worker.all(queue=queue))
        info.update(
            redis=True,
            queued=queue.count,
            started=queue.started_job_registry.count,
            scheduled=queue.scheduled_job_registry.count,
            failed=queue.failed_job_registry.count,
            workers=beating,
            silent_workers=silent,
        )
    except Exception as exc:
        info.update(redis=False, error=str(exc))
    return info


def _workers_by_heartbeat(workers) -> tuple[int, int]:
    """(beating, silent): registered workers whose last heartbeat is recent, and the others.

    RQ keeps a worker's registration for ``worker_ttl + 60`` s (8 minutes by default) after
    its last beat, so a killed worker still looks registered. A StyleRecWorker beats at
    least every 30 s, idle or busy; one silent for ``recovery_interval`` is not counted.
    """
    from ..queue import WORKER_RECOVERY_INTERVAL

    cutoff = timezone.now() - timedelta(seconds=WORKER_RECOVERY_INTERVAL)
    beating = sum(1 for worker in workers if worker.last_heartbeat is not None and worker.last_heartbeat >= cutoff)
    return beating, len(workers) - beating
