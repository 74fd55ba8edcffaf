"""The RQ worker class for StyleRec jobs.

    python manage.py rqworker stylerec --with-scheduler \\
        --worker-class stylerec_plugin.restyling.worker.StyleRecWorker

``StyleRecWorker`` runs jobs in its own process (like RQ's ``SimpleWorker``, no fork
per job), so the engines it loads at start-up (the 26-preset and arbitrary-style
networks, on CUDA when there is a GPU) serve every job of that process; a forked
job would lose a CUDA context and pay the load again. On a GPU a restyle job also
takes more pending rows of the same style, so the networks see full batches.

Because a job runs in the worker process itself, a job that kills it (out of memory,
SIGKILL) takes the worker down; the rows it held stay ``running`` until recovery:
every StyleRecWorker checks for dead jobs when it starts and at least every
``recovery_interval`` seconds, and ``stylerec_restyle`` / ``stylerec_cleanup`` do too
(see docs/pipeline.md and docs/deploy.md).

Two of RQ's defaults are too slow for that, and this class changes them with RQ's own
hooks:

- RQ's ``SimpleWorker`` beats once when a job starts, for the job's whole timeout + 60 s,
  so a killed busy worker and its job stay registered for 11 minutes. Here a thread
  calls RQ's ``maintain_heartbeats`` every ``job_monitoring_interval`` (30 s) while the job
  runs, as the forking ``Worker`` does from its parent process, and each beat lasts
  that interval + 60 s (:meth:`get_heartbeat_ttl`): a killed worker lapses within 90 s.
- An idle RQ worker blocks on the queue for ``worker_ttl - 15`` s (405 s), and
  maintenance only runs between waits. Here the wait is at most ``idle_wait`` (30 s),
  so maintenance, which looks for dead jobs, runs every ``recovery_interval`` at most.
"""

from __future__ import annotations

import logging
import threading
import time

from rq.worker import BaseWorker, SimpleWorker, WorkerStatus

from ..queue import WORKER_RECOVERY_INTERVAL

logger = logging.getLogger(__name__)


def preload_engines() -> float:
    """Create the process's Stylizer and load the networks active styles need; returns seconds."""
    from ..models import Style
    from .rendering import get_stylizer

    started = time.perf_counter()
    stylizer = get_stylizer()
    kinds = set(Style.objects.filter(is_active=True).values_list("kind", flat=True))
    # Photo analysis always needs the style predictor (the "reference" networks).
    wanted = [kind for kind in ("preset", "reference") if kind in kinds or kind == "reference"]
    stylizer.preload(wanted)
    return time.perf_counter() - started


class StyleRecWorker(SimpleWorker):
    """Preloads the engines once per worker process and recovers dead jobs' rows."""

    #: At most this many seconds between two looks for dead jobs (RQ's maintenance is every 10 minutes).
    recovery_interval = WORKER_RECOVERY_INTERVAL
    #: The longest an idle worker blocks on the queue before it beats and checks for maintenance.
    idle_wait = 30

    def __init__(self, *args, **kwargs) -> None:
        # Maintenance runs at the first wake after maintenance_interval, so it comes at most
        # one idle wait later: together never more than recovery_interval.
        kwargs.setdefault("maintenance_interval", max(1, self.recovery_interval - self._idle_wait_seconds()))
        super().__init__(*args, **kwargs)

    @classmethod
    def _idle_wait_seconds(cls) -> int:
        return max(1, min(int(cls.idle_wait), int(cls.recovery_interval) // 2))

    @property
    def dequeue_timeout(self) -> int:
        return min(super().dequeue_timeout, self._idle_wait_seconds())

    def register_birth(self) -> None:
        from .recovery import HOST_IDENTITY_FIELD, host_identity

        super().register_birth()
        # Lets recovery elsewhere tell whether this worker's pid can be checked from there
        # (same kernel and pid namespace); a hostname alone cannot tell.
        self.connection.hset(self.key, HOST_IDENTITY_FIELD, host_identity())

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        # RQ's general rule (a beat lasts job_monitoring_interval + 60 s, less near the job's
        # timeout), not SimpleWorker's whole-timeout beat: our beats keep coming while a job runs.
        return max(1, BaseWorker.get_heartbeat_ttl(self, job, working_time))

    def bootstrap(self, *args, **kwargs):
        super().bootstrap(*args, **kwargs)
        seconds = preload_engines()
        import torch

        from .rendering import get_stylizer

        stylizer = get_stylizer()
        self.log.info(
            "StyleRec worker %s: engines loaded on %s (%s, %d torch threads) in %.1fs",
            self.name,
            stylizer.device,
            getattr(stylizer, "precision", "?"),
            torch.get_num_threads(),
            seconds,
        )
        self._recover()

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        self._recover()

    def _recover(self) -> None:
        from django.db import close_old_connections

        from .recovery import recover_stuck_variants

        close_old_connections()
        try:
            report = recover_stuck_variants()
        except Exception:
            self.log.exception("StyleRec worker %s: recovering dead jobs failed", self.name)
            return
        if report.requeued or report.failed:
            self.log.warning(
                "StyleRec worker %s: re-queued %d and failed %d variants whose job had died",
                self.name,
                len(report.requeued),
                len(report.failed),
            )

    def execute_job(self, job, queue) -> None:
        """SimpleWorker's execute_job, with heartbeats while the job runs in this process."""
        from django.db import close_old_connections

        # A long-lived process: drop connections the database closed meanwhile.
        close_old_connections()
        execution = self.prepare_execution(job)
        beats = _JobHeartbeats(self, job, execution)
        beats.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            beats.stop()
            close_old_connections()
        self.set_state(WorkerStatus.IDLE)


class _JobHeartbeats(threading.Thread):
    """Calls RQ's ``maintain_heartbeats`` every ``job_monitoring_interval`` until stopped.

    The forking ``Worker`` does this from its parent while the horse works; a worker that
    runs jobs in-process needs a thread for it. A beat that fails (Redis away for a moment)
    is logged and the next one tried: the job itself goes on.
    """

    def __init__(self, worker: StyleRecWorker, job, execution) -> None:
        super().__init__(name=f"rq-heartbeat-{job.id}", daemon=True)
        self.worker, self.job, self.execution = worker, job, execution
        self._stopped = threading.Event()

    def run(self) -> None:
        interval = max(1.0, float(self.worker.job_monitoring_interval))
        while not self._stopped.wait(interval):
            try:
                self.worker.maintain_heartbeats(self.job, self.execution)
            except Exception:
                self.worker.log.warning("StyleRec worker %s: heartbeat failed", self.worker.name, exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)
