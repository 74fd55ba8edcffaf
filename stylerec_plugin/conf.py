"""The plugin's settings, read lazily from ``settings.STYLEREC``.

Every setting has a default here; a shop only names what it changes. Values are
looked up on each access so ``override_settings`` in tests works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

DEFAULTS: dict[str, Any] = {
    # The shop's product model and its photo field, like AUTH_USER_MODEL.
    "PRODUCT_MODEL": None,
    "PRODUCT_IMAGE_FIELD": "image",
    # Optional product fields the grid shows; missing ones are skipped.
    "PRODUCT_NAME_FIELD": "name",
    "PRODUCT_PRICE_FIELD": "price",
    "PRODUCT_CATEGORY_FIELD": "category",
    # Queueing: "rq" (production: Redis down -> warning, heal later),
    # "inline" (run jobs in this process), "auto" (rq when Redis answers,
    # else inline with one log line).
    "QUEUE_MODE": "rq",
    "QUEUE_NAME": "stylerec",
    "JOB_TIMEOUT": 600,
    "MAX_RETRIES": 3,
    "RETRY_BACKOFF": [10, 60, 300],
    # A job left "running" longer than this is treated as dead.
    "STALE_RUNNING_AFTER": 900,
    # Variants of one style per restyle job (and per engine batch on a GPU).
    "BATCH_SIZE": 8,
    # Storage (a dotted path or alias key in STORAGES) and folder for variants.
    "STORAGE": "default",
    "UPLOAD_TO": "stylerec/variants",
    # Engine defaults.
    "MAX_SIDE": 1024,
    "QUALITY_FLOOR": 0.35,
    "RETRY_STRENGTHS": [0.8, 0.6, 0.4],
    "OUTPUT_WIDTHS": [320, 640],
    "DEVICE": None,  # None: CUDA when present, else CPU
    # Uploads.
    "MAX_UPLOAD_BYTES": 15 * 1024 * 1024,
    "MAX_UPLOAD_PIXELS": 40_000_000,
    # Recommender.
    "EVENT_WEIGHTS": {"view": 1.0, "click": 2.0, "cart": 4.0, "purchase": 8.0, "rating": 1.0},
    "DECAY_HALF_LIFE_DAYS": 30.0,
    "TOP_N": 100,
    "EXCLUDE_PURCHASED": True,
    "COLLABORATIVE_ALGORITHM": "implicit_svd",
    "CACHE_ALIAS": "default",
    "CACHE_TIMEOUT": 300,
    # Shown to shoppers who have no style, when an "enhance" style exists.
    "ENHANCED_ORIGINALS": False,
}


class StyleRecSettings:
    """Attribute access to STYLEREC with defaults: ``conf.settings.QUEUE_NAME``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown StyleRec setting {name!r}")
        user = getattr(django_settings, "STYLEREC", {}) or {}
        return user.get(name, DEFAULTS[name])

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in DEFAULTS}


settings = StyleRecSettings()


def product_model_label() -> str:
    """The configured product model as "app_label.ModelName" (may be unset)."""
    return settings.PRODUCT_MODEL or ""


def get_cache():
    """The cache StyleRec keeps serving state in (``STYLEREC["CACHE_ALIAS"]``)."""
    from django.core.cache import caches

    return caches[settings.CACHE_ALIAS]


def get_product_model():
    """The product model class; raises ImproperlyConfigured when it is not installed."""
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    label = product_model_label()
    try:
        return apps.get_model(label, require_ready=False)
    except (ValueError, LookupError) as exc:
        raise ImproperlyConfigured(
            f"STYLEREC['PRODUCT_MODEL'] refers to {label!r}, which is not an installed model"
        ) from exc
