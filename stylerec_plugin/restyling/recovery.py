"""Recovery: rows left ``running`` by a job that died (killed worker, out of memory, timeout).

Called when a StyleRec worker starts, on its maintenance ticks, and by
``stylerec_restyle`` and ``stylerec_cleanup``. A row is only touched when its job
is certainly dead or older than STALE_RUNNING_AFTER.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..conf import settings
from ..models import RestyledImage, VariantStatus
from .jobs import queue_restyle
from .variants import chunk_size, chunked

logger = logging.getLogger(__name__)

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
                queue_restyle(chunk)
    return report

