"""Recommendations: the Django side of the pure ``stylerec_plugin.recommender``.

- :mod:`.serving`   ``recommend()``: per request, from precomputed lists (a constant number of queries)
- :mod:`.training`  ``train()``, the RQ job ``train_job``: fit in a worker, write lists, swap the model in

``stylerec_plugin.recommendations.train_job`` (a job path RQ may have stored) and the
names below keep working from here.
"""

from .._lazy import lazy_exports

__all__ = [
    "Recommendation",
    "TrainingData",
    "active_payload",
    "enqueue_training",
    "invalidate_cache",
    "read_training_data",
    "reason_text",
    "recommend",
    "train",
    "train_job",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(
            [
                "ACTIVE_CACHE_KEY",
                "ITEM_KEY_PREFIX",
                "LEARNED_STYLES_PER_SHOPPER",
                "POPULAR_KEY",
                "SESSION_EVENTS",
                "STYLE_KEY_PREFIX",
                "Recommendation",
                "active_payload",
                "invalidate_cache",
                "reason_text",
                "recommend",
            ],
            ".serving",
        ),
        **dict.fromkeys(
            [
                "MODELS_KEPT",
                "NEIGHBOURS_PER_ITEM",
                "TRAIN_JOB",
                "TrainingData",
                "enqueue_training",
                "read_training_data",
                "train",
                "train_job",
            ],
            ".training",
        ),
    },
)
