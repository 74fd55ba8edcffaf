"""System checks for STYLEREC settings. Ids are stable: document them, never reuse them."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register
from django.db import models

from .conf import DEFAULTS, settings
from .products import get_product_adapter

QUEUE_MODES = ("rq", "inline", "auto")


@register(Tags.models)
def check_product_model(app_configs=None, **kwargs) -> list:
    label = settings.PRODUCT_MODEL
    if not label:
        return [
            Error(
                "STYLEREC['PRODUCT_MODEL'] is not set.",
                hint='Name your product model, e.g. STYLEREC = {"PRODUCT_MODEL": "shop.Product"}.',
                id="stylerec.E001",
            )
        ]
    try:
        model = apps.get_model(label)
    except (ValueError, LookupError):
        return [
            Error(
                f"STYLEREC['PRODUCT_MODEL'] refers to {label!r}, which is not an installed model.",
                hint="Use 'app_label.ModelName' of a model whose app is in INSTALLED_APPS.",
                id="stylerec.E002",
            )
        ]
    field_name = get_product_adapter().image_field_name()
    try:
        field = model._meta.get_field(field_name)
    except Exception:
        return [
            Error(
                f"{label} has no field {field_name!r} (STYLEREC['PRODUCT_IMAGE_FIELD']).",
                hint="Set PRODUCT_IMAGE_FIELD to the name of the product's photo field.",
                id="stylerec.E003",
            )
        ]
    if not isinstance(field, models.FileField):
        return [
            Error(
                f"{label}.{field_name} is a {type(field).__name__}, not an ImageField or FileField.",
                hint="PRODUCT_IMAGE_FIELD must name the ImageField that holds the product photo.",
                id="stylerec.E004",
            )
        ]
    return []


@register()
def check_queue(app_configs=None, **kwargs) -> list:
    mode = settings.QUEUE_MODE
    if mode not in QUEUE_MODES:
        return [
            Error(
                f"STYLEREC['QUEUE_MODE'] is {mode!r}.",
                hint=f"Use one of {', '.join(QUEUE_MODES)}.",
                id="stylerec.E005",
            )
        ]
    if mode == "inline":
        return []
    errors = []
    if not apps.is_installed("django_rq"):
        errors.append(
            Error(
                "django_rq is not in INSTALLED_APPS, so style jobs cannot be queued.",
                hint="Add 'django_rq' to INSTALLED_APPS (or set QUEUE_MODE to 'inline').",
                id="stylerec.E006",
            )
        )
    queues = getattr(django_settings, "RQ_QUEUES", {}) or {}
    if settings.QUEUE_NAME not in queues:
        errors.append(
            Error(
                f"No RQ queue named {settings.QUEUE_NAME!r} is configured.",
                hint=(
                    f"Add RQ_QUEUES = {{'{settings.QUEUE_NAME}': {{'URL': 'redis://127.0.0.1:6379/0'}}}}"
                    " to your settings, or set STYLEREC['QUEUE_NAME'] to an existing queue."
                ),
                id="stylerec.E007",
            )
        )
    return errors


@register()
def check_values(app_configs=None, **kwargs) -> list:
    user = getattr(django_settings, "STYLEREC", {}) or {}
    problems = []
    if not isinstance(user, dict):
        return [Error("STYLEREC must be a dict.", id="stylerec.E008")]
    for key in sorted(set(user) - set(DEFAULTS)):
        problems.append(
            Warning(
                f"STYLEREC[{key!r}] is not a StyleRec setting and is ignored.",
                hint="Check the spelling against the settings table in the README.",
                id="stylerec.W001",
            )
        )
    floor = settings.QUALITY_FLOOR
    if not isinstance(floor, int | float) or not 0 <= floor <= 1:
        problems.append(
            Error(
                f"STYLEREC['QUALITY_FLOOR'] is {floor!r}.",
                hint="Use a number from 0 to 1 (content SSIM an output must reach).",
                id="stylerec.E009",
            )
        )
    max_side = settings.MAX_SIDE
    if not isinstance(max_side, int) or not 64 <= max_side <= 4096:
        problems.append(
            Error(
                f"STYLEREC['MAX_SIDE'] is {max_side!r}.",
                hint="Use a whole number of pixels from 64 to 4096.",
                id="stylerec.E010",
            )
        )
    weights = settings.EVENT_WEIGHTS
    kinds = {"view", "click", "cart", "purchase", "rating"}
    if not isinstance(weights, dict) or any(
        k not in kinds or not isinstance(v, int | float) or v < 0 for k, v in weights.items()
    ):
        problems.append(
            Error(
                "STYLEREC['EVENT_WEIGHTS'] must map event kinds to non-negative numbers.",
                hint=f"Kinds: {', '.join(sorted(kinds))}.",
                id="stylerec.E011",
            )
        )
    storage = settings.STORAGE
    storages = getattr(django_settings, "STORAGES", {})
    if storage != "default" and "." not in str(storage) and storage not in storages:
        problems.append(
            Error(
                f"STYLEREC['STORAGE'] is {storage!r}, which is not an alias in STORAGES.",
                hint="Use 'default', an alias from STORAGES, or a dotted storage class path.",
                id="stylerec.E012",
            )
        )
    return problems


@register()
def check_pipeline(app_configs=None, **kwargs) -> list:
    """Retry, batch and dead-job settings of the restyling pipeline (ids E020-E023, W020)."""
    problems = []
    retries = settings.MAX_RETRIES
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        problems.append(
            Error(f"STYLEREC['MAX_RETRIES'] is {retries!r}.", hint="Use a whole number, 0 or more.", id="stylerec.E020")
        )
    backoff = settings.RETRY_BACKOFF
    if (
        not isinstance(backoff, list | tuple)
        or not backoff
        or any(isinstance(v, bool) or not isinstance(v, int | float) or v < 0 for v in backoff)
    ):
        problems.append(
            Error(
                f"STYLEREC['RETRY_BACKOFF'] is {backoff!r}.",
                hint="Use a non-empty list of seconds to wait before each retry, e.g. [10, 60, 300].",
                id="stylerec.E021",
            )
        )
    batch = settings.BATCH_SIZE
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= 256:
        problems.append(
            Error(f"STYLEREC['BATCH_SIZE'] is {batch!r}.", hint="Use a whole number from 1 to 256.", id="stylerec.E022")
        )
    stale, timeout = settings.STALE_RUNNING_AFTER, settings.JOB_TIMEOUT
    if not isinstance(stale, int | float) or isinstance(stale, bool) or stale <= 0:
        problems.append(
            Error(
                f"STYLEREC['STALE_RUNNING_AFTER'] is {stale!r}.",
                hint="Use a number of seconds greater than JOB_TIMEOUT.",
                id="stylerec.E023",
            )
        )
    elif isinstance(timeout, int | float) and stale <= timeout:
        problems.append(
            Warning(
                f"STYLEREC['STALE_RUNNING_AFTER'] ({stale}s) is not longer than JOB_TIMEOUT ({timeout}s).",
                hint="A job still working would be taken for dead and run twice; make it longer than JOB_TIMEOUT.",
                id="stylerec.W020",
            )
        )
    return problems


@register()
def check_recommender(app_configs=None, **kwargs) -> list:
    """Recommender settings (added by the recommender; ids E030-E032)."""
    from .recommender.collaborative import COLLABORATIVE_ALGORITHMS, parse_algorithms

    problems = []
    algorithm = settings.COLLABORATIVE_ALGORITHM
    try:
        parse_algorithms(algorithm)
    except (ValueError, AttributeError, TypeError):
        problems.append(
            Error(
                f"STYLEREC['COLLABORATIVE_ALGORITHM'] is {algorithm!r}.",
                hint=f"Use one of {', '.join(COLLABORATIVE_ALGORITHMS)}, or several joined with '+'.",
                id="stylerec.E030",
            )
        )
    top_n = settings.TOP_N
    if not isinstance(top_n, int) or isinstance(top_n, bool) or not 1 <= top_n <= 1000:
        problems.append(
            Error(f"STYLEREC['TOP_N'] is {top_n!r}.", hint="Use a whole number from 1 to 1000.", id="stylerec.E031")
        )
    half_life = settings.DECAY_HALF_LIFE_DAYS
    bad_number = isinstance(half_life, bool) or not isinstance(half_life, int | float)
    if half_life is not None and (bad_number or half_life < 0):
        problems.append(
            Error(
                f"STYLEREC['DECAY_HALF_LIFE_DAYS'] is {half_life!r}.",
                hint="Use a number of days (0 or None: no time decay).",
                id="stylerec.E032",
            )
        )
    return problems
