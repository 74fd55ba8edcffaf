"""The plugin's settings, read lazily from ``settings.STYLEREC``.

Every setting has a default here; a shop only names what it changes. Values are
looked up on each access so ``override_settings`` in tests works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

DEFAULTS: dict[str, Any] = {
    # The shop's product model, like AUTH_USER_MODEL, and how StyleRec reads it
    # (stylerec_plugin.products; the README's settings table says what each means).
    "PRODUCT_MODEL": None,
    "PRODUCT_ADAPTER": "stylerec_plugin.products.ProductAdapter",
    # Where the photo lives: a file field on the product...
    "PRODUCT_IMAGE_FIELD": "image",
    # ...or the first image of a gallery model (None: the product's own field)...
    "PRODUCT_IMAGE_MODEL": None,
    "PRODUCT_IMAGE_FK": None,  # None: the gallery model's one foreign key to the product
    "PRODUCT_IMAGE_FILE_FIELD": None,  # None: the gallery model's one file field
    "PRODUCT_IMAGE_ORDERING": None,  # None: the gallery model's Meta.ordering, then pk
    # ...or what a callable f(product) returns (a FieldFile or None).
    "PRODUCT_PHOTO_FUNCTION": None,
    # Variants: a child without a photo of its own shows its parent's.
    "PRODUCT_PARENT_FIELD": None,
    # Which products shoppers may be shown: a queryset method name ("browsable") or a
    # dotted path to f(queryset) -> queryset. None: every product.
    "PRODUCT_VISIBLE": None,
    # Fields the grid shows and filters on; a value with a dot is a dotted path to
    # f(product, request). Missing fields are skipped.
    "PRODUCT_NAME_FIELD": "name",
    "PRODUCT_PRICE_FIELD": "price",
    "PRODUCT_URL": None,  # None: get_absolute_url()
    # A foreign key or a many-to-many; a tree (treebeard, mptt or a parent foreign key)
    # includes descendants unless PRODUCT_CATEGORY_DESCENDANTS is False.
    "PRODUCT_CATEGORY_FIELD": "category",
    "PRODUCT_CATEGORY_DESCENDANTS": True,
    # Guests: "session" (a Django session is created on the first tracked event) or
    # "cookie" (a signed cookie of the plugin's own; no session needed).
    "GUEST_IDENTITY": "session",
    "GUEST_COOKIE_NAME": "stylerec_guest",
    "GUEST_COOKIE_AGE": 365 * 24 * 3600,
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
    # A product photo whose short side at the working size is under this many pixels
    # (a 20000x50 strip is 1024x3 at MAX_SIDE 1024) is refused: its variants would be slivers.
    "MIN_SIDE": 32,
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
    # "auto": EASE^R, ALS and Surprise's implicit SVD, each used when validation, the
    # limits below and the time budget allow; or one or more names joined with "+".
    "COLLABORATIVE_ALGORITHM": "auto",
    # Wall seconds one training may spend fitting, validation search included (None: no
    # limit); a part whose probe-estimated cost does not fit is skipped, with the reason.
    "TRAINING_TIME_BUDGET": 300,
    # EASE^R holds a dense items x items float32 matrix: 20,000 items is ~1.6 GB
    # (measured, docs/recommender.md); larger catalogues train without it.
    "EASE_MAX_ITEMS": 20_000,
    # Largest estimated peak memory of one part's fit, in bytes (None: half of the machine's).
    "TRAINING_MEMORY_LIMIT": None,
    "CACHE_ALIAS": "default",
    "CACHE_TIMEOUT": 300,
    # Shown to shoppers who have no style, when an "enhance" style exists.
    "ENHANCED_ORIGINALS": False,
}


# An installed app may supply defaults of its own (``stylerec_defaults`` on its
# AppConfig, as ``stylerec_plugin.contrib.oscar`` does); the shop's STYLEREC still wins.
_app_defaults_cache: dict[str, Any] | None = None


def app_defaults() -> dict[str, Any]:
    """Defaults that installed apps supply (``AppConfig.stylerec_defaults``), later apps last."""
    global _app_defaults_cache
    if _app_defaults_cache is not None:
        return _app_defaults_cache
    from django.apps import apps

    if not apps.apps_ready:
        return {}
    merged: dict[str, Any] = {}
    for app_config in apps.get_app_configs():
        merged.update(getattr(app_config, "stylerec_defaults", None) or {})
    _app_defaults_cache = merged
    return merged


def forget_app_defaults(**kwargs) -> None:
    """Read the apps' defaults again (INSTALLED_APPS changed, e.g. ``override_settings``)."""
    global _app_defaults_cache
    _app_defaults_cache = None


class StyleRecSettings:
    """Attribute access to STYLEREC with defaults: ``conf.settings.QUEUE_NAME``."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown StyleRec setting {name!r}")
        user = getattr(django_settings, "STYLEREC", {}) or {}
        if name in user:
            return user[name]
        supplied = app_defaults()
        return supplied[name] if name in supplied else DEFAULTS[name]

    def is_set(self, name: str) -> bool:
        """Whether the shop's STYLEREC names this setting (an app's default does not count)."""
        return name in (getattr(django_settings, "STYLEREC", {}) or {})

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
