"""Which variants should exist, which are stale, and the bookkeeping around a job's rows.

Pure Django (no torch): the signal receivers, the commands and the admin call this,
and so do the jobs in :mod:`stylerec_plugin.restyling.rendering`, which add the engine.

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
row whose job died is found by :func:`recover_stuck_variants`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from ..conf import get_product_model, settings
from ..models import ProductPhoto, RestyledImage, Style, VariantStatus
from ..storage import rendition_name, rendition_names, rendition_parent, variant_storage

logger = logging.getLogger("stylerec_plugin.restyling.planning")

RESTYLE_JOB = "stylerec_plugin.restyling.rendering.restyle_variants"
SYNC_PRODUCT_JOB = "stylerec_plugin.restyling.rendering.sync_product"
SYNC_STYLE_JOB = "stylerec_plugin.restyling.rendering.sync_style"
STYLE_VECTOR_JOB = "stylerec_plugin.restyling.rendering.update_style_vector"

# A job claims this many rows of one style at most (one RQ job, one engine batch).
DEFAULT_CHUNK = 8
TERMINAL = (VariantStatus.READY, VariantStatus.REJECTED)


# --------------------------------------------------------------------------- basics


def engine_version(kind: str) -> str:
    """The engine version string for a style kind (the engine package import is light)."""
    from ..engine import ENGINE_VERSIONS

    return ENGINE_VERSIONS[kind]


def active_styles(style_ids: Iterable[int] | None = None) -> list[Style]:
    queryset = Style.objects.filter(is_active=True)
    if style_ids is not None:
        queryset = queryset.filter(pk__in=list(style_ids))
    return list(queryset)


def image_field_name() -> str:
    return settings.PRODUCT_IMAGE_FIELD


def chunk_size() -> int:
    return max(1, int(getattr(settings, "BATCH_SIZE", None) or DEFAULT_CHUNK))


def chunked(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def inline_token() -> str:
    """The claim token of a job run outside RQ: host and pid let recovery see it died."""
    return f"inline:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def current_job_token() -> str:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        job = None
    return job.id if job is not None else inline_token()


# --------------------------------------------------------------------------- planning


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
        version = engine_version(style.kind)
        existing = {
            (row.product_id, row.source_hash): row
            for row in RestyledImage.objects.filter(
                style=style, style_version=style.version, engine_version=version, product_id__in=list(hashes)
            ).only("pk", "product_id", "source_hash", "status")
        }
        missing = [pid for pid, digest in hashes.items() if (pid, digest) not in existing]
        if missing:
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
            for row in RestyledImage.objects.filter(
                style=style, style_version=style.version, engine_version=version, product_id__in=missing
            ).only("pk", "product_id", "source_hash", "status"):
                if hashes.get(row.product_id) == row.source_hash:
                    existing[(row.product_id, row.source_hash)] = row
        reset_ids = []
        for (pid, _digest), row in existing.items():
            if pid in errors and not regenerate:
                continue
            if row.status == VariantStatus.PENDING:
                plan.to_queue[style.pk].append(row.pk)
            elif row.status in (VariantStatus.FAILED, VariantStatus.REJECTED) and (include_failed or regenerate):
                reset_ids.append(row.pk)
                plan.to_queue[style.pk].append(row.pk)
            elif row.status == VariantStatus.READY:
                if regenerate:
                    plan.to_queue[style.pk].append(row.pk)
                else:
                    plan.already_ready += 1
        if reset_ids:
            RestyledImage.objects.filter(pk__in=reset_ids).update(
                status=VariantStatus.PENDING, attempts=0, last_error="", job_id="", updated_at=timezone.now()
            )
    return plan


def queue_plan(plan: Plan, *, regenerate: bool = False, progress=None) -> int:
    """Enqueue one restyle job per chunk of rows of one style; returns the number of jobs."""
    from ..queue import enqueue

    jobs = 0
    size = chunk_size()
    for pks in plan.to_queue.values():
        for chunk in chunked(sorted(set(pks)), size):
            if regenerate:
                job_id = enqueue(RESTYLE_JOB, chunk, regenerate=True)
            else:
                job_id = enqueue(RESTYLE_JOB, chunk)
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


# --------------------------------------------------------------------------- claims and results


def claim_variants(pks: Sequence[int], token: str, *, regenerate: bool = False, extra: int = 0) -> list[RestyledImage]:
    """Take the rows this job will render; rows another job already claimed are left out.

    A pending row becomes ``running`` with ``job_id=token``. With ``regenerate`` a ready
    row is claimed too but stays ``ready`` (its old file keeps showing). ``extra`` more
    pending rows of the same style are claimed for a bigger engine batch (GPU).

    The job's own rows are locked waiting (not skip_locked): a lock may be a short
    bookkeeping update, and skipping it would leave the row pending with its job gone.
    After the wait the database re-checks the status, so a row another job claimed
    meanwhile drops out. Locks are taken in pk order (no deadlocks); the optional extra
    rows use skip_locked, since they are only a bonus.
    """
    now = timezone.now()
    claimable = Q(status=VariantStatus.PENDING) | Q(status=VariantStatus.RUNNING, job_id=token)
    if regenerate:
        claimable |= Q(status=VariantStatus.READY)
    with transaction.atomic():
        rows = list(
            RestyledImage.objects.select_for_update(of=("self",))
            .filter(claimable, pk__in=list(pks))
            .select_related("style")
            .order_by("pk")
        )
        if rows and extra > 0:
            style_ids = {row.style_id for row in rows}
            if len(style_ids) == 1:
                rows += list(
                    RestyledImage.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(status=VariantStatus.PENDING, style_id=rows[0].style_id)
                    .exclude(pk__in=[row.pk for row in rows])
                    .select_related("style")
                    .order_by("pk")[:extra]
                )
        for row in rows:
            row.attempts += 1
            row.job_id = token
            row.started_at = now
            if row.status != VariantStatus.READY:
                row.status = VariantStatus.RUNNING
            row.save(update_fields=["attempts", "job_id", "started_at", "status", "updated_at"])
    return rows


def _locked_claim(pk: int, token: str) -> RestyledImage | None:
    """The row, locked, if this job still holds its claim; None when it lost it."""
    row = RestyledImage.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if row is None or row.job_id != token or row.status not in (VariantStatus.RUNNING, VariantStatus.READY):
        return None
    return row


def mark_failed(row: RestyledImage, token: str, error: str) -> bool:
    """A permanent failure (bad photo): ``failed`` at once, no retry."""
    with transaction.atomic():
        fresh = _locked_claim(row.pk, token)
        if fresh is None:
            return False
        if fresh.status == VariantStatus.READY:
            # A regenerate of a ready row failed: keep what shoppers see, note why.
            fresh.last_error = error[:2000]
            fresh.save(update_fields=["last_error", "updated_at"])
            return True
        fresh.status = VariantStatus.FAILED
        fresh.last_error = error[:2000]
        fresh.finished_at = timezone.now()
        fresh.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
    return True


def backoff_seconds(attempt: int) -> float:
    backoff = list(settings.RETRY_BACKOFF or [0])
    return float(backoff[min(max(attempt - 1, 0), len(backoff) - 1)])


def mark_transient_failure(row: RestyledImage, token: str, error: str, *, regenerate: bool = False) -> str:
    """A transient failure: back to ``pending`` with a delayed retry, or ``failed`` when retries are spent."""
    from ..queue import enqueue_in

    with transaction.atomic():
        fresh = _locked_claim(row.pk, token)
        if fresh is None:
            return "lost"
        if fresh.attempts > settings.MAX_RETRIES:
            fresh.last_error = f"Gave up after {fresh.attempts} attempts. Last error: {error}"[:2000]
            if fresh.status != VariantStatus.READY:
                fresh.status = VariantStatus.FAILED
            fresh.finished_at = timezone.now()
            fresh.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
            return "failed"
        delay = backoff_seconds(fresh.attempts)
        fresh.last_error = f"Attempt {fresh.attempts} failed, retrying in {delay:g}s: {error}"[:2000]
        if fresh.status != VariantStatus.READY:
            fresh.status = VariantStatus.PENDING
        fresh.save(update_fields=["status", "last_error", "updated_at"])
        if regenerate:
            job_id = enqueue_in(delay, RESTYLE_JOB, [fresh.pk], regenerate=True)
        else:
            job_id = enqueue_in(delay, RESTYLE_JOB, [fresh.pk])
        if job_id:
            RestyledImage.objects.filter(pk=fresh.pk, status=VariantStatus.PENDING).update(job_id=job_id)
    return "retry"


def release_stale_claim(row: RestyledImage, token: str) -> None:
    """The photo changed since the row was planned: the row is stale; drop it unless it is shown."""
    with transaction.atomic():
        fresh = _locked_claim(row.pk, token)
        if fresh is None:
            return
        if fresh.status == VariantStatus.READY:
            fresh.job_id = ""
            fresh.save(update_fields=["job_id", "updated_at"])
        else:
            fresh.delete()


def store_result(
    row: RestyledImage,
    token: str,
    *,
    data: bytes,
    ext: str,
    fields: dict[str, Any],
    renditions: dict[int, bytes] | None = None,
) -> bool:
    """Save the output file (and its smaller copies), then record them on the row if this
    job still holds the claim.

    The file name comes from the identity; the claim makes it ours, so a leftover
    from a job that died after saving is overwritten, not doubled. ``renditions``
    maps a width to the encoded smaller copy; their names derive from the saved
    name. A replaced file (regenerate) and its copies are deleted after commit.
    Returns False when the claim was lost (the files just written are removed again).
    """
    from django.core.files.base import ContentFile

    storage = variant_storage()
    field_file = row.image
    target = field_file.field.generate_filename(row, f"variant{ext}")
    previous = row.image.name or ""
    if not previous:
        storage.delete(target)  # a dead attempt's leftover; deleting a missing name is a no-op
    saved_name = storage.save(target, ContentFile(data))
    widths: list[int] = []
    for width, copy in sorted((renditions or {}).items()):
        wanted = rendition_name(saved_name, width)
        storage.delete(wanted)  # a leftover would make storage pick another name
        if storage.save(wanted, ContentFile(copy)) == wanted:
            widths.append(int(width))
    written = [saved_name, *rendition_names(saved_name, widths)]
    with transaction.atomic():
        fresh = _locked_claim(row.pk, token)
        if fresh is None:
            schedule_file_deletion(written)
            return False
        replaced = fresh.image.name or ""
        replaced_copies = rendition_names(replaced, fresh.rendition_widths)
        fresh.image.name = saved_name
        fresh.rendition_widths = widths
        for key, value in fields.items():
            setattr(fresh, key, value)
        fresh.last_error = fields.get("last_error", "")
        fresh.finished_at = timezone.now()
        fresh.save()
        if replaced and replaced != saved_name:
            schedule_file_deletion([replaced, *replaced_copies])
        prune_superseded(fresh.product_id, fresh.style_id)
    return True


# --------------------------------------------------------------------------- stale rows and files


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


class _DeleteBatch:
    """File names to delete once the transaction commits, checked against the DB then."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __call__(self) -> None:
        delete_unreferenced_files(sorted(self.names))


def schedule_file_deletion(names: Iterable[str], using: str | None = None) -> None:
    """Delete variant files after commit (never before: a rollback would leave rows without files).

    Names still used by a row at that point are kept, and so is any file that is a
    product photo or a style reference: the original is never touched.
    """
    names = {name for name in names if name}
    if not names:
        return
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        delete_unreferenced_files(sorted(names))
        return
    batch = getattr(connection, "_stylerec_delete_batch", None)
    registered = batch is not None and any(callback is batch for _sids, callback, _robust in connection.run_on_commit)
    if not registered:
        batch = _DeleteBatch()
        connection._stylerec_delete_batch = batch
        transaction.on_commit(batch, using=using, robust=True)
    batch.names.update(names)


def protected_names(names: Sequence[str]) -> set[str]:
    """Names among ``names`` that rows, product photos or style references still use."""
    used: set[str] = set()
    for chunk in chunked(list(names), 500):
        used.update(RestyledImage.objects.filter(image__in=chunk).values_list("image", flat=True))
        # A smaller copy is in use while a row uses its parent with that width.
        parents = {parent for parent in map(rendition_parent, chunk) if parent}
        if parents:
            for parent, widths in RestyledImage.objects.filter(image__in=parents).values_list(
                "image", "rendition_widths"
            ):
                used.update(rendition_names(parent, widths))
        used.update(
            get_product_model()._default_manager.filter(**{f"{image_field_name()}__in": chunk}).values_list(
                image_field_name(), flat=True
            )
        )
        used.update(Style.objects.filter(reference_image__in=chunk).values_list("reference_image", flat=True))
    return used


def delete_unreferenced_files(names: Sequence[str]) -> list[str]:
    """Delete the files no row, product or style uses; returns the deleted names."""
    if not names:
        return []
    keep = protected_names(names)
    storage = variant_storage()
    deleted = []
    for name in names:
        if name in keep:
            continue
        try:
            storage.delete(name)
            deleted.append(name)
        except Exception:
            logger.exception("StyleRec: could not delete variant file %s (stylerec_cleanup retries)", name)
    return deleted


# --------------------------------------------------------------------------- dead jobs


@dataclass
class Recovery:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _pid_gone(hostname: str | None, pid: int | None) -> bool:
    """True only when the process is certainly gone: same host and no such pid."""
    if not pid or hostname != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _rq_death_reason(job_id: str) -> str | None:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.worker import Worker

    from ..queue import get_connection

    connection = get_connection()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return f"its RQ job {job_id} no longer exists"
    status = str(getattr(job.get_status(), "value", job.get_status()))
    if status in ("failed", "stopped", "canceled", "finished"):
        info = ""
        if status == "failed":
            result = job.latest_result()
            exc = getattr(result, "exc_string", "") if result is not None else ""
            info = f": {exc.strip().splitlines()[-1]}" if exc else ""
        return f"its RQ job {job_id} ended ({status}) without recording a result{info}"
    if status in ("queued", "scheduled", "deferred"):
        return None
    worker_name = job.worker_name
    if worker_name:
        worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name, connection=connection)
        if worker is None:
            return f"its worker {worker_name} is gone"
        if _pid_gone(worker.hostname, worker.pid):
            return f"its worker process {worker.pid} on {worker.hostname} died"
        current = worker.get_current_job_id()
        if current is not None and current != job_id:
            return f"its worker {worker_name} moved on to another job"
    return None


def death_reason(row: RestyledImage, now=None) -> str | None:
    """Why a ``running`` row's job is certainly dead, or None while it may still be working."""
    from ..queue import redis_available

    now = now or timezone.now()
    limit = settings.STALE_RUNNING_AFTER
    if row.started_at is None or row.started_at < now - timedelta(seconds=limit):
        return f"no result {limit}s after the job started (the worker was killed, ran out of memory or timed out)"
    token = row.job_id or ""
    if token.startswith("inline:"):
        _prefix, host, pid, _suffix = (token.split(":") + ["", "", ""])[:4]
        if _pid_gone(host, int(pid) if pid.isdigit() else None):
            return f"the process {pid} on {host} that ran it inline died"
        return None
    if token and redis_available():
        try:
            return _rq_death_reason(token)
        except Exception:
            logger.exception("StyleRec: could not inspect RQ job %s", token)
    return None


def recover_stuck_variants(*, requeue: bool = True) -> Recovery:
    """Find ``running`` rows whose job died; re-queue them (or fail them when retries are spent).

    Called when a StyleRec worker starts, on its maintenance ticks, and by
    ``stylerec_restyle`` and ``stylerec_cleanup``. Safe to run anywhere, any time: a row
    is only touched when its job is certainly dead or older than STALE_RUNNING_AFTER.
    """
    from ..queue import enqueue

    report = Recovery()
    now = timezone.now()
    for row in RestyledImage.objects.filter(status=VariantStatus.RUNNING).only("pk", "job_id", "started_at"):
        reason = death_reason(row, now)
        if reason is None:
            continue
        with transaction.atomic():
            fresh = (
                RestyledImage.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=row.pk, status=VariantStatus.RUNNING, job_id=row.job_id)
                .first()
            )
            if fresh is None:
                continue
            if fresh.attempts > settings.MAX_RETRIES or not requeue:
                fresh.status = VariantStatus.FAILED
                fresh.last_error = f"The job died: {reason}. Gave up after {fresh.attempts} attempts."
                fresh.finished_at = now
                report.failed.append(fresh.pk)
            else:
                fresh.status = VariantStatus.PENDING
                fresh.last_error = f"The job died: {reason}. Re-queued (attempt {fresh.attempts} of "
                fresh.last_error += f"{settings.MAX_RETRIES + 1})."
                report.requeued.append(fresh.pk)
            fresh.job_id = ""
            fresh.save(update_fields=["status", "last_error", "finished_at", "job_id", "updated_at"])
        logger.warning("StyleRec: variant %s was stuck running: %s", row.pk, reason)
    if report.requeued:
        by_style: dict[int, list[int]] = defaultdict(list)
        for pk, style_id in RestyledImage.objects.filter(pk__in=report.requeued).values_list("pk", "style_id"):
            by_style[style_id].append(pk)
        for pks in by_style.values():
            for chunk in chunked(pks, chunk_size()):
                enqueue(RESTYLE_JOB, chunk)
    return report


# --------------------------------------------------------------------------- status


def pipeline_status(*, failures: int = 20) -> dict[str, Any]:
    """Counts per style and status, ages, recent failures and photo quality, for commands and admin."""
    now = timezone.now()
    per_style: dict[int, dict[str, Any]] = {}
    styles = {style.pk: style for style in Style.objects.all()}
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
    products_total = get_product_model()._default_manager.count()
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
    oldest_pending = RestyledImage.objects.filter(status=VariantStatus.PENDING).aggregate(t=Min("created_at"))["t"]
    oldest_running = RestyledImage.objects.filter(status=VariantStatus.RUNNING).aggregate(t=Min("started_at"))["t"]
    recent_failures = [
        {
            "variant": row.pk,
            "product": row.product_id,
            "style": styles[row.style_id].slug if row.style_id in styles else row.style_id,
            "attempts": row.attempts,
            "error": row.last_error,
            "at": row.finished_at.isoformat() if row.finished_at else None,
        }
        for row in RestyledImage.objects.filter(status=VariantStatus.FAILED).order_by("-finished_at", "-pk")[:failures]
    ]
    photos = {
        "products": products_total,
        "analysed": analysed.count(),
        "not_analysed": max(products_total - analysed.count(), 0),
        "weak": ProductPhoto.objects.filter(is_weak=True).count(),
        "unreadable": ProductPhoto.objects.exclude(last_error="").count(),
    }
    reasons: dict[str, int] = defaultdict(int)
    for reason_list in ProductPhoto.objects.filter(is_weak=True).values_list("quality_reasons", flat=True):
        for reason in reason_list or []:
            key = reason.get("code") if isinstance(reason, dict) else str(reason)
            reasons[str(key)] += 1
    photos["weak_reasons"] = dict(sorted(reasons.items(), key=lambda kv: -kv[1]))
    return {
        "generated_at": now.isoformat(),
        "styles": sorted(per_style.values(), key=lambda e: e["style"]),
        "totals": dict(
            RestyledImage.objects.values_list("status").annotate(n=Count("pk")).order_by().values_list("status", "n")
        ),
        "oldest_pending_seconds": (now - oldest_pending).total_seconds() if oldest_pending else None,
        "oldest_running_seconds": (now - oldest_running).total_seconds() if oldest_running else None,
        "failures": recent_failures,
        "photos": photos,
        "queue": queue_status(),
    }


def queue_status() -> dict[str, Any]:
    from ..queue import effective_mode, get_queue, redis_available

    info: dict[str, Any] = {"name": settings.QUEUE_NAME, "mode": settings.QUEUE_MODE, "effective": effective_mode()}
    if settings.QUEUE_MODE == "inline" or not redis_available():
        info["redis"] = False
        return info
    try:
        from rq.worker import Worker

        queue = get_queue()
        info.update(
            redis=True,
            queued=queue.count,
            started=queue.started_job_registry.count,
            scheduled=queue.scheduled_job_registry.count,
            failed=queue.failed_job_registry.count,
            workers=Worker.count(queue=queue),
        )
    except Exception as exc:
        info.update(redis=False, error=str(exc))
    return info
