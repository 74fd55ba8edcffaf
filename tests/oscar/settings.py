"""A real django-oscar 4.2 shop with StyleRec, set up as the README's Oscar section says.

Its own test tier (``make test`` runs ``pytest tests/oscar --ds tests.oscar.settings``).
Deliberately no ``REST_FRAMEWORK`` setting: the plugin must not need DRF's
``DEFAULT_SCHEMA_CLASS`` (or anything else global) for its schema and docs.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SECRET_KEY = "stylerec-oscar-tier"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SITE_ID = 1

_django_apps = [app for app in OSCAR_APPS if app.startswith("django.")]
_oscar_apps = [app for app in OSCAR_APPS if not app.startswith("django.")]
INSTALLED_APPS = [
    *_django_apps,
    # Before Oscar's apps, so its templates override Oscar's product partial, gallery and pages.
    "stylerec_plugin.contrib.oscar",
    *_oscar_apps,
    "sorl.thumbnail",  # Oscar's default thumbnailer (OSCAR_THUMBNAILER)
    "django_rq",
    "rest_framework",
    "drf_spectacular",
    "stylerec_plugin",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "stylerec_plugin.shoppers.ShopperMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "tests.oscar.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ],
        },
    }
]

_test_db = os.environ.get("STYLEREC_TEST_DB_NAME", "test_stylerec") + "_oscar"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("STYLEREC_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    )
}
DATABASES["default"]["TEST"] = {"NAME": _test_db}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = os.environ.get("STYLEREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RQ_QUEUES = {"stylerec": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}

# What an Oscar shop writes (the README's Oscar section); the app supplies the rest.
STYLEREC = {
    "PRODUCT_MODEL": "catalogue.Product",
    # The tier runs jobs in the test process; a shop runs an RQ worker ("rq", the default).
    "QUEUE_MODE": "inline",
    "MAX_SIDE": 256,
}

MEDIA_ROOT = tempfile.mkdtemp(prefix="stylerec-oscar-media-")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(MEDIA_ROOT, "static")
LANGUAGE_CODE = "en-gb"
USE_TZ = True
TIME_ZONE = "UTC"
OSCAR_DEFAULT_CURRENCY = "GBP"
# Oscar's browse and category pages are search results: a real (pure-Python) index.
HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": os.path.join(MEDIA_ROOT, "whoosh"),
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}
