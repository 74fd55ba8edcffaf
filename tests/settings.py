"""Test settings: the demo shop on PostgreSQL and a dedicated Redis database.

STYLEREC_TEST_DATABASE_URL, STYLEREC_TEST_DB_NAME and STYLEREC_TEST_REDIS_URL
override the defaults (parallel runs on one machine need their own names).
"""

import os
import tempfile

import dj_database_url

from demo_shop.settings import *  # noqa: F403
from demo_shop.settings import BASE_DIR

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("STYLEREC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("STYLEREC_TEST_DB_NAME", "test_stylerec")}

REDIS_URL = os.environ.get("STYLEREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RQ_QUEUES = {"stylerec": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}

MEDIA_ROOT = tempfile.mkdtemp(prefix="stylerec-test-media-")
STATIC_ROOT = os.path.join(MEDIA_ROOT, "static")
os.makedirs(STATIC_ROOT, exist_ok=True)  # WhiteNoise looks for it at start-up
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
STYLEREC = {
    "PRODUCT_MODEL": "catalog.Product",
    "PRODUCT_IMAGE_FIELD": "image",
    "QUEUE_MODE": "rq",
}
TEST_ARTIFACTS_DIR = os.environ.get("STYLEREC_TEST_ARTIFACTS", str(BASE_DIR / "test-artifacts"))
LOGGING = {"version": 1, "disable_existing_loggers": False}
