"""A variant's identity and the row basics every restyling step shares.

A variant's identity is (product, photo content hash, style, style version, engine
version): one row per identity (a unique constraint), one file per row. The
*current* identity of a (product, style) uses the hash in the product's
``ProductPhoto`` (written by the ``sync_product`` job), the style's ``version`` and
``ENGINE_VERSIONS[style.kind]``. Rows with any other identity are stale: a stale
ready row keeps being shown until the current one is ready (no holes), then it and
its file go.

Row life: ``pending`` (planned, maybe queued) -> ``running`` (claimed by one job,
``job_id`` is its token) -> ``ready`` | ``rejected`` | ``failed``; a transient error
sends it back to ``pending`` with a delayed retry until ``MAX_RETRIES`` is spent; a
row whose job died is found by :func:`.recovery.recover_stuck_variants`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from ..conf import settings
from ..models import RestyledImage, Style, VariantStatus

# A job claims this many rows of one style at most (one RQ job, one engine batch).
DEFAULT_CHUNK = 8
# Finished rows; a regenerate re-renders them in place (they keep their status and file meanwhile).
TERMINAL = (VariantStatus.READY, VariantStatus.REJECTED)


def engine_version(kind: str) -> str:
    """The engine version string for a style kind (the engine package import is light)."""
    from ..engine import ENGINE_VERSIONS

    return ENGINE_VERSIONS[kind]


def active_styles(style_ids: Iterable[int] | None = None) -> list[Style]:
    queryset = Style.objects.filter(is_active=True)
    if style_ids is not None:
        queryset = queryset.filter(pk__in=list(style_ids))
    return list(queryset)


def chunk_size() -> int:
    return max(1, int(getattr(settings, "BATCH_SIZE", None) or DEFAULT_CHUNK))


def chunked(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def reset_to_pending(pks: Iterable[int], *, last_error: str = "", clear_image: bool = False) -> int:
    """Send rows back to ``pending`` with a fresh retry budget (to be queued again); returns how many.

    ``clear_image`` also forgets the row's file name (the file is gone from storage).
    """
    fields: dict[str, Any] = {
        "status": VariantStatus.PENDING,
        "attempts": 0,
        "last_error": last_error,
        "job_id": "",
        "updated_at": timezone.now(),
    }
    if clear_image:
        fields["image"] = ""
    return RestyledImage.objects.filter(pk__in=list(pks)).update(**fields)


def current_rows_of_product(product_id: Any):
    """The product's rows made from its current photo and each style's current version (any status)."""
    from django.db.models import F

    return RestyledImage.objects.filter(
        product_id=product_id,
        style_version=F("style__version"),
        source_hash=F("product__stylerec_photo__source_hash"),
    )
