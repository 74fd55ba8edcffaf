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
every StyleRecWorker checks for dead jobs when it starts and on each maintenance
tick, and ``stylerec_restyle`` / ``stylerec_cleanup`` do too (see docs/pipeline.md).
"""

from __future__ import annotations

import logging
import time

from rq.worker import SimpleWorker

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

    #: Seconds between maintenance ticks, which also look for dead jobs (RQ's default is 10 minutes).
    recovery_interval = 120

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("maintenance_interval", self.recovery_interval)
        super().__init__(*args, **kwargs)

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

    def execute_job(self, job, queue):
        from django.db import close_old_connections

        # A long-lived process: drop connections the database closed meanwhile.
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()
