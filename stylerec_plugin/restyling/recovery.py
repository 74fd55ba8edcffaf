"""Recovery: rows whose job died (killed worker, out of memory, timeout) while it held them.

A job holds a ``running`` row, or a ``ready`` row it is regenerating (the old file keeps
showing meanwhile). Called when a StyleRec worker starts, on its maintenance ticks, and
by ``stylerec_restyle`` and ``stylerec_cleanup``. A row is only touched when its job is
certainly dead or older than STALE_RUNNING_AFTER.

The evidence is RQ's: the job's status, and its worker's registration, which lapses
when the worker stops beating. A worker's pid is checked only from the same machine
*and* pid namespace (:func:`host_identity`): two containers may share a hostname and
still have different process tables, so a hostname alone proves nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..conf import settings
from ..models import RestyledImage, VariantStatus
from .jobs import queue_restyle
from .variants import TERMINAL, chunk_size, chunked

logger = logging.getLogger(__name__)

#: The field a StyleRecWorker adds to its RQ worker hash: its :func:`host_identity`.
HOST_IDENTITY_FIELD = "stylerec_host"


@dataclass
class Recovery:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@cache
def host_identity() -> str:
    """``hostname@digest`` of this kernel's boot id and this process's pid namespace.

    Two processes with the same identity see the same process table, so one may check
    the other's pid. Where either is unknown (no /proc), the hostname alone is not
    enough: the identity ends in ``@unknown`` and is never taken as the same machine.
    """
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            boot_id = handle.read().strip()
        pid_namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        boot_id = pid_namespace = ""
    hostname = socket.gethostname()[:24]
    if not boot_id or not pid_namespace:
        return f"{hostname}@unknown"
    return f"{hostname}@{hashlib.sha256(f'{boot_id} {pid_namespace}'.encode()).hexdigest()[:10]}"


def _pid_gone(identity: str | None, pid: int | None) -> bool:
    """True only when the process is certainly gone: same machine and pid namespace, no such pid."""
    if not pid or not identity or identity.endswith("@unknown") or identity != host_identity():
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
        identity = connection.hget(worker.key, HOST_IDENTITY_FIELD)
        if _pid_gone(identity.decode() if identity else None, worker.pid):
            return f"its worker process {worker.pid} on {worker.hostname} died"
        current = worker.get_current_job_id()
        if current is not None and current != job_id:
            return f"its worker {worker_name} moved on to another job"
    return None


def _retire_dead_rq_job(job_id: str) -> bool:
    """Record in RQ that a job found dead is over: out of the started registry, failed, with the reason.

    RQ would only notice at a registry cleaning: after its last heartbeat lapses, at some
    worker's next maintenance (every 10 minutes), and never while a worker killed during
    a cleaning still holds the queue's 15-minute cleaning lock. Meanwhile ``stylerec_status``
    and RQ's dashboards would count the dead job as started. Only a job RQ still calls
    started, whose worker is gone or moved on (the RQ evidence, not the age limit), is retired.
    """
    from rq.defaults import DEFAULT_FAILURE_TTL
    from rq.job import Job, JobStatus
    from rq.registry import FailedJobRegistry, StartedJobRegistry
    from rq.results import Result

    from ..queue import get_connection

    connection = get_connection()
    try:
        job = Job.fetch(job_id, connection=connection)
    except Exception:  # gone already, or unreadable: nothing of it to tidy
        return False
    if job.get_status() != JobStatus.STARTED:
        return False
    reason = _rq_death_reason(job_id)
    if reason is None:
        return False
    why = f"StyleRec recovery: the job died ({reason}); its variants were recovered on their rows"
    started = StartedJobRegistry(job.origin, connection=connection)
    # Entries are "job id:execution id"; the killed execution's own record may have expired
    # already, so its entries are found in the registry, not through job.get_executions().
    entries = [
        entry for entry in connection.zrange(started.key, 0, -1)
        if entry.decode() == job_id or entry.decode().startswith(f"{job_id}:")
    ]
    with connection.pipeline() as pipeline:
        if entries:
            pipeline.zrem(started.key, *entries)
        job.set_status(JobStatus.FAILED, pipeline=pipeline)
        ttl = job.failure_ttl or DEFAULT_FAILURE_TTL
        FailedJobRegistry(job.origin, connection=connection).add(job, ttl=ttl, exc_string=why, pipeline=pipeline)
        Result.create_failure(job, ttl, exc_string=why, pipeline=pipeline)  # what RQ's dashboards show
        pipeline.execute()
    return True


def death_reason(row: RestyledImage, now=None) -> str | None:
    """Why the job holding a row is certainly dead, or None while it may still be working."""
    from ..queue import redis_available

    now = now or timezone.now()
    limit = settings.STALE_RUNNING_AFTER
    if row.started_at is None or row.started_at < now - timedelta(seconds=limit):
        return f"no result {limit}s after the job started (the worker was killed, ran out of memory or timed out)"
    token = row.job_id or ""
    if token.startswith("inline:"):
        _prefix, host, pid, _suffix = (token.split(":") + ["", "", ""])[:4]
        if _pid_gone(host, int(pid) if pid.isdigit() else None):
            return f"the process {pid} on {host.partition('@')[0]} that ran it inline died"
        return None
    if token and redis_available():
        try:
            return _rq_death_reason(token)
        except Exception:
            logger.exception("StyleRec: could not inspect RQ job %s", token)
    return None


def held_rows():
    """Rows a job holds: ``running`` ones, and finished (``ready`` or ``rejected``) ones claimed
    by a regenerate that has not finished (claimed after the row's last render finished)."""
    regenerating = Q(status__in=TERMINAL) & ~Q(job_id="") & (
        Q(finished_at__isnull=True) | Q(started_at__gt=F("finished_at"))
    )
    return RestyledImage.objects.filter(Q(status=VariantStatus.RUNNING) | regenerating)


def recover_stuck_variants(*, requeue: bool = True) -> Recovery:
    """Find rows whose job died; re-queue them (or give up when retries are spent).

    A ``running`` row goes back to ``pending`` (or ``failed``); a ``ready`` row whose
    regenerate died keeps its file and is regenerated again (or keeps it for good, with
    the reason in ``last_error``). Safe to run anywhere, any time: a row is only touched
    when its job is certainly dead or older than STALE_RUNNING_AFTER.
    """
    report = Recovery()
    regenerate: set[int] = set()
    dead_rq_jobs: set[str] = set()
    now = timezone.now()
    for row in held_rows().only("pk", "job_id", "started_at", "status"):
        reason = death_reason(row, now)
        if reason is None:
            continue
        if row.job_id and not row.job_id.startswith("inline:"):
            dead_rq_jobs.add(row.job_id)
        with transaction.atomic():
            fresh = (
                RestyledImage.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=row.pk, status=row.status, job_id=row.job_id)
                .first()
            )
            if fresh is None:
                continue
            # A regenerate's finished row keeps its status and file (ready or rejected) meanwhile.
            shown = fresh.status in TERMINAL
            if fresh.attempts > settings.MAX_RETRIES or not requeue:
                fresh.last_error = f"The job died: {reason}. Gave up after {fresh.attempts} attempts."
                if shown:
                    fresh.last_error += " Shoppers keep the previous file."
                else:
                    fresh.status = VariantStatus.FAILED
                    fresh.finished_at = now
                report.failed.append(fresh.pk)
            else:
                if not shown:
                    fresh.status = VariantStatus.PENDING
                fresh.last_error = f"The job died: {reason}. Re-queued (attempt {fresh.attempts} of "
                fresh.last_error += f"{settings.MAX_RETRIES + 1})."
                report.requeued.append(fresh.pk)
                if shown:
                    regenerate.add(fresh.pk)
            fresh.job_id = ""  # the dead job's claim is released
            fresh.save(update_fields=["status", "last_error", "finished_at", "job_id", "updated_at"])
        logger.warning("StyleRec: variant %s was held by a dead job: %s", row.pk, reason)
    from ..queue import redis_available

    for job_id in sorted(dead_rq_jobs) if dead_rq_jobs and redis_available() else ():
        try:
            _retire_dead_rq_job(job_id)
        except Exception:  # the rows are recovered either way; RQ's own cleaning comes later
            logger.exception("StyleRec: could not record RQ job %s as failed", job_id)
    if report.requeued:
        by_job: dict[tuple[int, bool], list[int]] = defaultdict(list)
        for pk, style_id in RestyledImage.objects.filter(pk__in=report.requeued).values_list("pk", "style_id"):
            by_job[(style_id, pk in regenerate)].append(pk)
        for (_style_id, is_regenerate), pks in by_job.items():
            for chunk in chunked(pks, chunk_size()):
                queue_restyle(chunk, regenerate=is_regenerate)
    return report
