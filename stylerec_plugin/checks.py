"""System checks for STYLEREC settings. Ids are stable: document them, never reuse them."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register
from django.db import models

from .conf import DEFAULTS, settings

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
    field_name = settings.PRODUCT_IMAGE_FIELD
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
