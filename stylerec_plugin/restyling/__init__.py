"""Restyling: every product photo in every active style, made by background jobs.

- :mod:`.receivers`  product and style saves queue work; deleted rows take their files along
- :mod:`.jobs`       the RQ jobs and their dotted paths (the only place naming them)
- :mod:`.analysis`   a photo's hash, size, quality check and style vector
- :mod:`.planning`   which variant rows should exist, which need a job, which are superseded
- :mod:`.variants`   a variant's identity and the row basics every step shares
- :mod:`.claims`     the row state machine a job drives (claim, ready/rejected/failed, retry)
- :mod:`.rendering`  the process's Stylizer and the restyle job's work (imports torch lazily)
- :mod:`.files`      variant files, deleted after commit and never an original
- :mod:`.recovery`   rows whose job died
- :mod:`.status`     counts for ``stylerec_status`` and the best status per variant
- :mod:`.worker`     ``StyleRecWorker``, the RQ worker class that preloads the engines
"""

from .._lazy import lazy_exports

__all__ = [
    "Plan",
    "StyleRecWorker",
    "best_variant_rows",
    "connect",
    "delete_unreferenced_files",
    "pipeline_status",
    "plan_variants",
    "queue_plan",
    "recover_stuck_variants",
    "schedule_file_deletion",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Plan": ".planning",
        "plan_variants": ".planning",
        "queue_plan": ".planning",
        "best_variant_rows": ".status",
        "pipeline_status": ".status",
        "recover_stuck_variants": ".recovery",
        "delete_unreferenced_files": ".files",
        "schedule_file_deletion": ".files",
        "StyleRecWorker": ".worker",
        "connect": ".receivers",
    },
)
