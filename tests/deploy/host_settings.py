"""Settings of a worker "host" in the two-host test: it shares only PostgreSQL, Redis and S3.

No MEDIA_ROOT of its own (a local write would fail), the test's database, queue and bucket.
"""

import os

from demo_shop.s3 import s3_storages
from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, STYLEREC

DATABASES["default"]["NAME"] = os.environ["STYLEREC_TEST_DB_NAME"]
MEDIA_ROOT = "/nonexistent/stylerec-host-media"
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    **s3_storages(
        os.environ["STYLEREC_TEST_S3_BUCKET"],
        endpoint_url=os.environ["STYLEREC_TEST_S3_ENDPOINT"],
        region_name="us-east-1",
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    ),
}
STYLEREC = {
    **STYLEREC,
    "STORAGE": "stylerec_variants",
    "MAX_SIDE": 256,
    "RETRY_BACKOFF": [0],
    "MAX_RETRIES": 2,
    "BATCH_SIZE": 2,
    # RQ keeps a busy worker registered for its job's timeout + 60 s: short here, so the test is.
    "JOB_TIMEOUT": int(os.environ.get("STYLEREC_TEST_JOB_TIMEOUT", "10")),
}
