"""Settings for the StyleRec demo shop.

Everything that differs between the development demo and a production host comes
from the environment (docs/deploy.md lists every variable):

* ``DJANGO_DEBUG=1`` turns DEBUG on; it is off otherwise (``make demo`` asks for it);
* ``DATABASE_URL`` (default: SQLite ``db.sqlite3``) and ``DJANGO_CONN_MAX_AGE``
  (default 0: a connection per request). Persistent connections are only safe under a
  WSGI server with a fixed pool of threads (``demo_shop/gunicorn.conf.py`` sets 60):
  the development server starts a thread per request, and each would keep its own;
* ``DJANGO_CACHE_URL`` (``redis://...``; default: per-process memory);
* ``AWS_STORAGE_BUCKET_NAME`` and friends: product photos and variants on
  S3-compatible storage (``demo_shop/s3.py``) instead of ``MEDIA_ROOT``;
* ``DJANGO_STATIC_MANIFEST=1``: hashed static file names (after ``collectstatic``),
  which WhiteNoise serves with far-future cache headers.
"""

import importlib.util
import os
from pathlib import Path

import dj_database_url

from demo_shop.s3 import s3_storages_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STYLEREC_DEMO_VAR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-insecure-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_rq",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally for the API docs page
    "demo_shop.catalog",
    "stylerec_plugin",
]

# WhiteNoise (the ``serve`` extra) serves static files from the WSGI process itself.
WHITENOISE = importlib.util.find_spec("whitenoise") is not None

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if WHITENOISE else []),
    # Before anything that queries: a NUL in a cookie or URL would be a 500 on PostgreSQL.
    "stylerec_plugin.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "stylerec_plugin.shoppers.ShopperMiddleware",
]

ROOT_URLCONF = "demo_shop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "demo_shop.catalog.context_processors.shop",
            ],
        },
    },
]

WSGI_APPLICATION = "demo_shop.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "demo_shop" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if WHITENOISE and os.environ.get("DJANGO_STATIC_MANIFEST") == "1"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
S3_STORAGES = s3_storages_from_env()
if S3_STORAGES:
    STORAGES.update(S3_STORAGES)
# Media from MEDIA_ROOT through Django itself: fine for the demo on one machine; a
# production shop serves media from S3/a CDN or its front web server (docs/deploy.md).
SERVE_MEDIA = not S3_STORAGES and os.environ.get("DJANGO_SERVE_MEDIA", "1") == "1"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "catalog:home"

CACHE_URL = os.environ.get("DJANGO_CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL.startswith(("redis://", "rediss://", "unix://"))
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {
    "stylerec": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 900},
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"stylerec_events": "120/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "StyleRec API",
    "DESCRIPTION": "Styles, shopper preferences, recommendations, variants and events.",
    "VERSION": "1.0.0",
}

STYLEREC = {
    "PRODUCT_MODEL": "catalog.Product",
    "PRODUCT_IMAGE_FIELD": "image",
    # The demo works without Redis: jobs then run in the web process.
    "QUEUE_MODE": os.environ.get("STYLEREC_QUEUE_MODE", "auto"),
    **({"STORAGE": "stylerec_variants"} if S3_STORAGES else {}),
}

if not DEBUG:
    # Behind a TLS-terminating proxy set DJANGO_SECURE_PROXY=1 (docs/deploy.md).
    SESSION_COOKIE_HTTPONLY = True
    if os.environ.get("DJANGO_SECURE_PROXY") == "1":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"stylerec_plugin": {"handlers": ["console"], "level": "INFO"}},
}
