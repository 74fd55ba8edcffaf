"""Re-rendering chosen rows: the admin's regenerate, re-run at a strength, a new mask, a preview.

Shown rows (ready, or rejected with their file) re-render in place with ``regenerate``:
they keep their status and file until the new file is committed, so an approved variant
does not vanish while it is re-run. Failed rows go back to pending. Jobs are queued
after commit, with primary keys only (:func:`.planning.queue_plan`).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from ..models import RestyledImage, VariantStatus
from .planning import Plan, queue_plan
from .variants import reset_to_pending


def requeue_rows(rows: QuerySet | Iterable[RestyledImage]) -> int:
    """Queue the rows for rendering again (running ones are left to their job); returns how many were queued."""
    if isinstance(rows, QuerySet):
        triples = list(rows.values_list("pk", "style_id", "status"))
    else:
        triples = [(row.pk, row.style_id, row.status) for row in rows]
    reset_to_pending(pk for pk, _style, status in triples if status == VariantStatus.FAILED)
    in_place, fresh = Plan(), Plan()
    for pk, style_id, status in triples:
        if status in (VariantStatus.READY, VariantStatus.REJECTED):
            in_place.to_queue[style_id].append(pk)
        elif status != VariantStatus.RUNNING:
            fresh.to_queue[style_id].append(pk)
    queue_plan(in_place, regenerate=True)
    queue_plan(fresh)
    return in_place.queued_rows + fresh.queued_rows


def rerun_at_strength(rows: QuerySet, strength: float) -> int:
    """Re-render the rows at ``strength`` only (no retries); the choice stays on the row for later re-runs."""
    RestyledImage.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
        strength_override=round(float(strength), 4)
    )
    return requeue_rows(rows)
