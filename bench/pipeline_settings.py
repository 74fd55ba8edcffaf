"""Settings for the pipeline throughput bench: the demo shop on a scratch database and media folder."""

import os

from demo_shop.settings import *  # noqa: F403
from demo_shop.settings import REDIS_URL, STYLEREC

# A queue of its own: a demo worker on the same Redis must not take the bench's jobs.
RQ_QUEUES = {"stylerec-bench": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 900}}
STYLEREC = {
    **STYLEREC,
    "QUEUE_NAME": "stylerec-bench",
    "QUEUE_MODE": "rq",
    "MAX_SIDE": int(os.environ.get("STYLEREC_BENCH_MAX_SIDE", "1024")),
    "BATCH_SIZE": int(os.environ.get("STYLEREC_BENCH_BATCH", "4")),
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
