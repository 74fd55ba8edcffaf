"""Experiments: A/B tests that show whether restyled photos and personalisation sell.

- :mod:`.assignment`  which arm (treatment) a shopper gets; sticky, deterministic buckets
- :mod:`.tracking`    exposures (what an enrolled shopper was shown) and outcomes (what followed)
- :mod:`.receivers`   outcomes from saved interactions; caches kept right
- :mod:`.stats`       the statistics (pure Python, no Django)
- :mod:`.report`      an experiment's report from the database
- :mod:`.render`      the report as a chart (matplotlib) or a text table

The names below keep the paths ``stylerec_plugin.experiments.<name>`` working; the
dataclasses a cache holds (``Treatment`` and the running-experiment snapshots) stay
importable from here, so entries pickled before the move still load.
"""

from .._lazy import lazy_exports

__all__ = [
    "ACTIVE_CACHE_KEY",
    "BUCKETS",
    "DEFAULT_TREATMENT",
    "EXPOSURES_SEARCHED",
    "NO_SHOPPER_TREATMENT",
    "OPTED_OUT_TREATMENT",
    "OUTCOME_FOR_INTERACTION",
    "Treatment",
    "arm_for_bucket",
    "assign",
    "attribute_interaction",
    "bucket_for",
    "connect",
    "forget_treatment",
    "has_live_experiment",
    "live_experiment",
    "live_experiment_by_id",
    "move_assignments",
    "record_exposure",
    "treatment_for",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(
            [
                "ACTIVE_CACHE_KEY",
                "BUCKETS",
                "DEFAULT_TREATMENT",
                "NO_SHOPPER_TREATMENT",
                "OPTED_OUT_TREATMENT",
                "Treatment",
                "_Arm",
                "_LiveExperiment",
                "arm_for_bucket",
                "assign",
                "bucket_for",
                "forget_treatment",
                "has_live_experiment",
                "live_experiment",
                "live_experiment_by_id",
                "move_assignments",
                "treatment_for",
            ],
            ".assignment",
        ),
        **dict.fromkeys(
            ["EXPOSURES_SEARCHED", "OUTCOME_FOR_INTERACTION", "attribute_interaction", "record_exposure"], ".tracking"
        ),
        "connect": ".receivers",
    },
    deprecated={"forget_shopper": ".assignment:forget_treatment", "connect_signals": ".receivers:connect"},
)
