"""Claims: the row state machine a restyle job drives (claim, then ready, rejected, failed or retry).

A job claims rows by writing its token into ``job_id`` (``running``); every later
write re-checks under a row lock that the job still holds that claim, so a job that
was taken for dead and re-queued never overwrites the newer job's result.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..conf import settings
from ..models import RestyledImage, VariantStatus
from ..storage import content_addressed_name, rendition_name, rendition_names, variant_storage
from .files import schedule_file_deletion
from .jobs import queue_restyle
from .planning import prune_superseded
from .recovery import host_identity
from .variants import TERMINAL


def inline_token() -> str:
    """The claim token of a job run outside RQ: host identity and pid let recovery see it died."""
    return f"inline:{host_identity()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def current_job_token() -> str:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        job = None
    return job.id if job is not None else inline_token()


def claim_variants(pks: Sequence[int], token: str, *, regenerate: bool = False, extra: int = 0) -> list[RestyledImage]:
    """Take the rows this job will render; rows another job already claimed are left out.

    A pending row becomes ``running`` with ``job_id=token``. With ``regenerate`` a ready
    or rejected row is claimed too but keeps its status (its old file keeps showing, and an
    admin's approval of a rejected one keeps holding). ``extra`` more
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
        claimable |= Q(status__in=TERMINAL)
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
            if row.status not in TERMINAL:
                row.status = VariantStatus.RUNNING
            row.save(update_fields=["attempts", "job_id", "started_at", "status", "updated_at"])
    return rows


def _locked_claim(pk: int, token: str) -> RestyledImage | None:
    """The row, locked, if this job still holds its claim; None when it lost it."""
    row = RestyledImage.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if row is None or row.job_id != token or row.status not in (VariantStatus.RUNNING, *TERMINAL):
        return None
    return row


def mark_failed(row: RestyledImage, token: str, error: str) -> bool:
    """A permanent failure (bad photo): ``failed`` at once, no retry."""
    with transaction.atomic():
        fresh = _locked_claim(row.pk, token)
        if fresh is None:
            return False
        if fresh.status in TERMINAL:
            # A regenerate of a finished row failed: keep what shoppers see, note why, release the claim.
            fresh.last_error = error[:2000]
            fresh.job_id = ""
            fresh.save(update_fields=["last_error", "job_id", "updated_at"])
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
    with transaction.atomic():
        fresh = _locked_claim(row.pk, token)
        if fresh is None:
            return "lost"
        if fresh.attempts > settings.MAX_RETRIES:
            fresh.last_error = f"Gave up after {fresh.attempts} attempts. Last error: {error}"[:2000]
            if fresh.status not in TERMINAL:
                fresh.status = VariantStatus.FAILED
            fresh.finished_at = timezone.now()
            fresh.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
            return "failed"
        delay = backoff_seconds(fresh.attempts)
        fresh.last_error = f"Attempt {fresh.attempts} failed, retrying in {delay:g}s: {error}"[:2000]
        if fresh.status not in TERMINAL:
            fresh.status = VariantStatus.PENDING
        fresh.save(update_fields=["status", "last_error", "updated_at"])
        job_id = queue_restyle([fresh.pk], regenerate=regenerate, delay=delay)
        if job_id:
            # The retry job holds the row now (a finished row too: recovery must not take it for dead).
            RestyledImage.objects.filter(pk=fresh.pk, status__in=[VariantStatus.PENDING, *TERMINAL]).update(
                job_id=job_id
            )
    return "retry"


def release_stale_claim(row: RestyledImage, token: str) -> None:
    """The photo changed since the row was planned: the row is stale; drop it unless it is shown."""
    with transaction.atomic():
        fresh = _locked_claim(row.pk, token)
        if fresh is None:
            return
        if fresh.status in TERMINAL:
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

    The file name comes from the identity and a digest of the bytes
    (:func:`~stylerec_plugin.storage.content_addressed_name`), so a URL never changes
    content and a CDN may cache it for ever. A re-render that gives the same bytes keeps
    the same name and writes nothing; a leftover of the same name from a job that died
    while saving is replaced (it may be cut short). ``renditions`` maps a width to the
    encoded smaller copy; their names derive from the saved name. A replaced file
    (regenerate) and its copies are deleted after commit. Returns False when the claim
    was lost (the files just written are removed again, unless a row uses them).
    """
    from django.core.files.base import ContentFile

    storage = variant_storage()
    field_file = row.image
    target = content_addressed_name(field_file.field.generate_filename(row, f"variant{ext}"), data)
    previous = row.image.name or ""
    # The very same bytes already shown (a regenerate that changed nothing): keep the file.
    unchanged = previous == target and storage.exists(target)
    if unchanged:
        saved_name = target
    else:
        storage.delete(target)  # a dead attempt's leftover; deleting a missing name is a no-op
        saved_name = storage.save(target, ContentFile(data))
    widths: list[int] = []
    for width, copy in sorted((renditions or {}).items()):
        wanted = rendition_name(saved_name, width)
        if unchanged and storage.exists(wanted):  # same name, same bytes
            widths.append(int(width))
            continue
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
        if replaced:
            # After commit, only what no row uses any more goes (not the file just kept).
            schedule_file_deletion([replaced, *replaced_copies])
        prune_superseded(fresh.product_id, fresh.style_id)
    return True
