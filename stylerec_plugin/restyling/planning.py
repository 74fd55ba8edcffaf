"""Planning: which variant rows should exist, which need a job, and which are superseded.

Pure Django (no torch): the receivers, the commands and the admin call this, and so
do the jobs. See :mod:`.variants` for a variant's identity and the row's life.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..models import ProductPhoto, RestyledImage, Review, Style, VariantStatus
from ..products import get_product_adapter
from .jobs import queue_restyle, queue_sync_product
from .variants import TERMINAL, active_styles, chunk_size, chunked, engine_version, reset_to_pending

logger = logging.getLogger(__name__)


@dataclass
class Plan:
    """What planning did: rows it created and rows that should be (re)queued, by style."""

    created: int = 0
    to_queue: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    already_ready: int = 0
    failed_at_once: int = 0

    @property
    def queued_rows(self) -> int:
        return sum(len(pks) for pks in self.to_queue.values())

    def merge(self, other: Plan) -> None:
        self.created += other.created
        self.already_ready += other.already_ready
        self.failed_at_once += other.failed_at_once
        for style_id, pks in other.to_queue.items():
            self.to_queue[style_id].extend(pks)


def plan_variants(
    product_ids: Iterable[int] | None = None,
    styles: Sequence[Style] | None = None,
    *,
    include_failed: bool = False,
    regenerate: bool = False,
) -> Plan:
    """Make sure a current-identity row exists for every (analysed product, active style).

    Products without an analysed photo are skipped (``sync_product`` analyses them and
    plans their variants). A product whose photo could not be read gets ``failed`` rows
    at once, carrying the reason. Returns the rows that need a job: pending ones, and
    with ``include_failed`` failed/rejected ones (reset to pending), and with
    ``regenerate`` every current row (ready rows stay ready while re-rendering).
    """
    styles = list(styles) if styles is not None else active_styles()
    photos = ProductPhoto.objects.exclude(source_hash="")
    if product_ids is not None:
        photos = photos.filter(product_id__in=list(product_ids))
    photo_rows = list(photos.values_list("product_id", "source_hash", "last_error"))
    plan = Plan()
    if not photo_rows or not styles:
        return plan
    hashes = {pid: h for pid, h, _ in photo_rows}
    errors = {pid: err for pid, _, err in photo_rows if err}
    for style in styles:
        existing = _current_rows(style, hashes, errors, plan)
        reset_ids = []
        for (pid, _digest), row in existing.items():
            if pid in errors and not regenerate:
                continue
            if row.status == VariantStatus.PENDING:
                plan.to_queue[style.pk].append(row.pk)
            elif row.status == VariantStatus.REJECTED and regenerate:
                # Re-rendered in place: an approved one keeps showing meanwhile (variants.TERMINAL).
                plan.to_queue[style.pk].append(row.pk)
            elif row.status == VariantStatus.REJECTED and row.review == Review.APPROVED:
                plan.already_ready += 1  # an admin chose to show it: retrying the failures leaves it be
            elif row.status in (VariantStatus.FAILED, VariantStatus.REJECTED) and (include_failed or regenerate):
                reset_ids.append(row.pk)
                plan.to_queue[style.pk].append(row.pk)
            elif row.status == VariantStatus.READY:
                if regenerate:
                    plan.to_queue[style.pk].append(row.pk)
                else:
                    plan.already_ready += 1
        if reset_ids:
            reset_to_pending(reset_ids)
    return plan


def _current_rows(
    style: Style, hashes: dict[int, str], errors: dict[int, str], plan: Plan
) -> dict[tuple[int, str], RestyledImage]:
    """The style's current-identity rows by (product, hash), creating the missing ones (counted in ``plan``)."""
    version = engine_version(style.kind)

    def rows(product_ids) -> models.QuerySet:
        return RestyledImage.objects.filter(
            style=style, style_version=style.version, engine_version=version, product_id__in=list(product_ids)
        ).only("pk", "product_id", "source_hash", "status", "review")

    existing = {(row.product_id, row.source_hash): row for row in rows(hashes)}
    missing = [pid for pid, digest in hashes.items() if (pid, digest) not in existing]
    if not missing:
        return existing
    new_rows = []
    for pid in missing:
        error = errors.get(pid, "")
        new_rows.append(
            RestyledImage(
                product_id=pid,
                style=style,
                style_version=style.version,
                engine=style.kind,
                engine_version=version,
                source_hash=hashes[pid],
                status=VariantStatus.FAILED if error else VariantStatus.PENDING,
                last_error=error,
                finished_at=timezone.now() if error else None,
            )
        )
    # Another job may plan the same rows at the same moment: the unique
    # constraint keeps one, ignore_conflicts keeps both jobs going.
    RestyledImage.objects.bulk_create(new_rows, ignore_conflicts=True, batch_size=500)
    plan.created += len(new_rows)
    plan.failed_at_once += sum(1 for pid in missing if pid in errors)
    for row in rows(missing):
        if hashes.get(row.product_id) == row.source_hash:
            existing[(row.product_id, row.source_hash)] = row
    _carry_reviews(style, [existing[(pid, hashes[pid])] for pid in missing if (pid, hashes[pid]) in existing])
    return existing


def _carry_reviews(style: Style, new_rows: list[RestyledImage]) -> None:
    """An admin's decision holds for the photo and style version it was made for, whatever the engine
    version: new rows of a new engine version inherit it from an older row of the same photo and version."""
    if not new_rows:
        return
    wanted = {(row.product_id, row.source_hash): row.pk for row in new_rows}
    reviewed = (
        RestyledImage.objects.filter(style=style, style_version=style.version, product_id__in=[p for p, _ in wanted])
        .exclude(review="")
        .exclude(pk__in=list(wanted.values()))
        .order_by("-reviewed_at")  # the latest decision wins
        .values("product_id", "source_hash", "review", "reviewed_by", "reviewed_at", "review_source_hash",
                "review_style_version")
    )
    for decision in reviewed:
        pk = wanted.get((decision.pop("product_id"), decision.pop("source_hash")))
        if pk is not None and decision["review_style_version"] == style.version:
            RestyledImage.objects.filter(pk=pk, review="").update(**decision)


def plan_stale(product_ids: list[int], styles: list[Style], *, include_failed: bool = False) -> Plan:
    """Plan only the (product, style) pairs whose variant is out of date (photo, style or engine changed)."""
    plan = Plan()
    photo_hash = dict(ProductPhoto.objects.filter(product_id__in=product_ids).values_list("product_id", "source_hash"))
    for style in styles:
        version = engine_version(style.kind)
        stale_products = set()
        rows = RestyledImage.objects.filter(product_id__in=product_ids, style=style).exclude(
            Q(style_version=style.version) & Q(engine_version=version)
        )
        stale_products.update(rows.values_list("product_id", flat=True))
        for pid, digest in RestyledImage.objects.filter(product_id__in=product_ids, style=style).values_list(
            "product_id", "source_hash"
        ):
            if photo_hash.get(pid) and digest != photo_hash[pid]:
                stale_products.add(pid)
        if stale_products:
            plan.merge(plan_variants(sorted(stale_products), [style], include_failed=include_failed))
    return plan


def queue_plan(plan: Plan, *, regenerate: bool = False, progress: Callable[[int], Any] | None = None) -> int:
    """Enqueue one restyle job per chunk of rows of one style; returns the number of jobs."""
    jobs = 0
    size = chunk_size()
    for pks in plan.to_queue.values():
        for chunk in chunked(sorted(set(pks)), size):
            job_id = queue_restyle(chunk, regenerate=regenerate)
            if job_id:
                # Remembered so the heal command can tell a queued row from a lost one.
                RestyledImage.objects.filter(pk__in=chunk, status=VariantStatus.PENDING).update(job_id=job_id)
            jobs += 1
            if progress is not None:
                progress(len(chunk))
    logger.debug("StyleRec: queued %d restyle jobs for styles %s", jobs, sorted(plan.to_queue))
    return jobs


def lost_pending_rows(queryset: models.QuerySet | None = None) -> list[int]:
    """Pending rows whose RQ job is not queued, scheduled or running (e.g. Redis was down)."""
    from ..queue import get_connection, redis_available

    queryset = queryset if queryset is not None else RestyledImage.objects.all()
    rows = list(queryset.filter(status=VariantStatus.PENDING).values_list("pk", "job_id"))
    if not rows:
        return []
    with_job = [(pk, job_id) for pk, job_id in rows if job_id and not job_id.startswith("inline:")]
    lost = [pk for pk, job_id in rows if not job_id or job_id.startswith("inline:")]
    if with_job and redis_available():
        from rq.job import Job

        connection = get_connection()
        alive_states = {"queued", "scheduled", "started", "deferred"}
        for chunk in chunked(with_job, 500):
            jobs = Job.fetch_many([job_id for _, job_id in chunk], connection=connection)
            for (pk, _job_id), job in zip(chunk, jobs, strict=True):
                status = job.get_status(refresh=False) if job is not None else None
                if status is None or str(getattr(status, "value", status)) not in alive_states:
                    lost.append(pk)
    else:
        lost.extend(pk for pk, _ in with_job)
    return lost


# --------------------------------------------------------------------------- what the sync jobs plan


def plan_product(product_pk: int) -> dict[str, int]:
    """After a product's photo was analysed: plan and queue its variants, prune what they supersede."""
    planned = plan_variants([product_pk], active_styles())
    queue_plan(planned)
    pruned = prune_products([product_pk], list(Style.objects.values_list("pk", flat=True)))
    return {"created": planned.created, "queued": planned.queued_rows, "pruned": pruned}


def sync_style_variants(style_pk: int, *, regenerate: bool = False) -> dict[str, Any]:
    """Bring a style's variants in line with it: plan/queue for an active style, drop unstarted work otherwise."""
    style = Style.objects.filter(pk=style_pk).first()
    if style is None:
        return {"style": style_pk, "skipped": "deleted"}
    if not style.is_active:
        # Unstarted work for a style nobody sees; ready variants stay for a re-activation, and
        # so does the preview's work on its samples (the admin is looking at it).
        dropped, _ = (
            RestyledImage.objects.filter(style=style, status__in=[VariantStatus.PENDING, VariantStatus.FAILED])
            .exclude(product_id__in=list(style.preview_products or []), style_version=style.version)
            .delete()
        )
        return {"style": style_pk, "skipped": "inactive", "dropped": dropped}
    if style.style_vector_version != style.version:
        from .rendering import update_style_vector

        update_style_vector(style.pk)
    missing_photos = list(
        get_product_adapter().restyled().filter(stylerec_photo__isnull=True).values_list("pk", flat=True)
    )
    for product_pk in missing_photos:
        queue_sync_product(product_pk)
    plan = plan_variants(None, [style], regenerate=regenerate)
    jobs = queue_plan(plan, regenerate=regenerate)
    product_ids = set(RestyledImage.objects.filter(style=style).values_list("product_id", flat=True))
    pruned = prune_products(product_ids, [style.pk])
    return {
        "style": style_pk,
        "created": plan.created,
        "queued": plan.queued_rows,
        "jobs": jobs,
        "photos_to_analyse": len(missing_photos),
        "pruned": pruned,
    }


# --------------------------------------------------------------------------- superseded rows


def prune_superseded(product_id: int, style_id: int) -> int:
    """Delete rows of (product, style) that the current one makes useless; returns how many.

    When the current row is ready (or rejected), every other row goes. Until then the
    newest ready row stays as the fallback shoppers see, and other stale rows that are
    not running go. Files follow their rows after commit (the post_delete receiver).
    """
    style = Style.objects.filter(pk=style_id).first()
    photo_hash = ProductPhoto.objects.filter(product_id=product_id).values_list("source_hash", flat=True).first()
    rows = list(RestyledImage.objects.filter(product_id=product_id, style_id=style_id).order_by("-finished_at", "-pk"))
    if style is None or not rows:
        return 0
    version = engine_version(style.kind)

    def is_current(row: RestyledImage) -> bool:
        return (row.source_hash, row.style_version, row.engine_version) == (photo_hash, style.version, version)

    current = [row for row in rows if is_current(row)]
    others = [row for row in rows if not is_current(row)]
    if current and current[0].status in TERMINAL:
        doomed = others
    else:
        fallback = next((row for row in others if row.status == VariantStatus.READY and row.image), None)
        doomed = [row for row in others if row is not fallback and row.status != VariantStatus.RUNNING]
    if doomed:
        RestyledImage.objects.filter(pk__in=[row.pk for row in doomed]).delete()
    return len(doomed)


def prune_products(product_ids: Iterable[int], style_ids: Iterable[int]) -> int:
    pairs = set(
        RestyledImage.objects.filter(product_id__in=list(product_ids), style_id__in=list(style_ids))
        .values_list("product_id", "style_id")
        .distinct()
    )
    return sum(prune_superseded(pid, sid) for pid, sid in pairs)
