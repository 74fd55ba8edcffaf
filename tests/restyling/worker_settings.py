"""Settings for a subprocess RQ worker in the pipeline tests: the test database and media folder."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["STYLEREC_TEST_DB_NAME"]
MEDIA_ROOT = os.environ["STYLEREC_TEST_MEDIA_ROOT"]
STYLEREC = {  # noqa: F405
    **STYLEREC,  # noqa: F405
    "MAX_SIDE": 256,
    "RETRY_BACKOFF": [0],
    "MAX_RETRIES": 2,
}
