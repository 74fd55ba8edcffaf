"""System checks for STYLEREC settings. Ids are stable: document them, never reuse them."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings as django_settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

# The recommender's checks (E030-E035, W030) live in their own module; importing registers them.
from .checks_recommender import check_recommender  # noqa: F401
from .conf import DEFAULTS, settings
from .products import AdapterSettingError, get_product_adapter, import_callable, is_dotted_path, resolve_gallery

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
    problems = check_adapter_class()
    if problems:
        return problems
    adapter = get_product_adapter()
    problems += _photo_source_problems(adapter, model, label)
    problems += _product_field_problems(adapter, model, label)
    return problems


def check_adapter_class() -> list:
    path = settings.PRODUCT_ADAPTER
    try:
        get_product_adapter()
    except ImproperlyConfigured as exc:
        return [
            Error(
                f"STYLEREC['PRODUCT_ADAPTER'] cannot be used: {exc}.",
                hint="Name a subclass of stylerec_plugin.products.ProductAdapter by its dotted path"
                f" (it is {path!r}), or leave the setting out.",
                id="stylerec.E040",
            )
        ]
    return []


def _photo_source_problems(adapter, model, label: str) -> list:
    """Where the photo lives: a function (E045), a gallery model (E041-E044) or a product field (E003/E004)."""
    problems = []
    function, image_model = settings.PRODUCT_PHOTO_FUNCTION, settings.PRODUCT_IMAGE_MODEL
    if function and image_model:
        problems.append(
            Warning(
                "Both STYLEREC['PRODUCT_PHOTO_FUNCTION'] and STYLEREC['PRODUCT_IMAGE_MODEL'] are set;"
                " the function is used.",
                hint="Keep one way of finding the photo.",
                id="stylerec.W040",
            )
        )
    if function:
        if not _importable_callable(function):
            problems.append(
                Error(
                    f"STYLEREC['PRODUCT_PHOTO_FUNCTION'] is {function!r}, which cannot be imported or called.",
                    hint="Use the dotted path of a function f(product) that returns a FieldFile or None.",
                    id="stylerec.E045",
                )
            )
        return problems
    if image_model:
        return problems + _gallery_problems(model)
    field_name = adapter.image_field_name()
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return [
            Error(
                f"{label} has no field {field_name!r} (STYLEREC['PRODUCT_IMAGE_FIELD']).",
                hint="Set PRODUCT_IMAGE_FIELD to the name of the product's photo field; if photos live in"
                " a gallery model, set PRODUCT_IMAGE_MODEL instead (or PRODUCT_PHOTO_FUNCTION).",
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
    return problems


# Each gallery setting's check id and hint.
_GALLERY_CHECKS = {
    "PRODUCT_IMAGE_MODEL": ("stylerec.E041", "Use 'app_label.ModelName' of your product image model."),
    "PRODUCT_IMAGE_FK": ("stylerec.E042", "Set PRODUCT_IMAGE_FK to the image model's foreign key to the product."),
    "PRODUCT_IMAGE_FILE_FIELD": (
        "stylerec.E043",
        "Set PRODUCT_IMAGE_FILE_FIELD to the image model's ImageField (or FileField).",
    ),
    "PRODUCT_IMAGE_ORDERING": (
        "stylerec.E044",
        "Use a list of the image model's field names, first image first, e.g. ['display_order'].",
    ),
}


def _gallery_problems(model) -> list:
    try:
        resolve_gallery(model)
    except AdapterSettingError as exc:
        check_id, hint = _GALLERY_CHECKS[exc.setting]
        return [Error(f"{exc} (STYLEREC[{exc.setting!r}]).", hint=hint, id=check_id)]
    return []


def _product_field_problems(adapter, model, label: str) -> list:
    """Parent (E046), visibility (E047), category (E048) and name/price/URL callables (E049)."""
    problems = []
    opts = model._meta
    parent = settings.PRODUCT_PARENT_FIELD
    if parent:
        try:
            field = opts.get_field(parent)
        except FieldDoesNotExist:
            field = None
        if field is None or not (field.many_to_one and field.related_model is model):
            problems.append(
                Error(
                    f"STYLEREC['PRODUCT_PARENT_FIELD'] is {parent!r}, not a foreign key from {label} to itself.",
                    hint="Name the field that links a variant to its parent product, or leave it out.",
                    id="stylerec.E046",
                )
            )
    visible = settings.PRODUCT_VISIBLE
    if visible:
        usable = (
            _importable_callable(visible)
            if is_dotted_path(visible)
            else callable(getattr(model._default_manager.all(), visible, None))
        )
        if not usable:
            problems.append(
                Error(
                    f"STYLEREC['PRODUCT_VISIBLE'] is {visible!r}, which is neither a method of {label}'s"
                    " queryset nor an importable callable.",
                    hint="Use a queryset method name such as 'browsable', or the dotted path of f(queryset).",
                    id="stylerec.E047",
                )
            )
    if settings.is_set("PRODUCT_CATEGORY_FIELD") and settings.PRODUCT_CATEGORY_FIELD:
        if adapter.category_field() is None:
            problems.append(
                Error(
                    f"{label} has no field {settings.PRODUCT_CATEGORY_FIELD!r} (STYLEREC['PRODUCT_CATEGORY_FIELD']).",
                    hint="Name the product's category foreign key or many-to-many field, or leave the setting out.",
                    id="stylerec.E048",
                )
            )
    for setting in ("PRODUCT_NAME_FIELD", "PRODUCT_PRICE_FIELD", "PRODUCT_URL"):
        value = getattr(settings, setting)
        if is_dotted_path(value) and not _importable_callable(value):
            problems.append(
                Error(
                    f"STYLEREC[{setting!r}] is {value!r}, which cannot be imported or called.",
                    hint="A value with a dot is the dotted path of a function f(product, request).",
                    id="stylerec.E049",
                )
            )
    return problems


def _importable_callable(path: str) -> bool:
    try:
        import_callable(path)
    except ImproperlyConfigured:
        return False
    return True


GUEST_IDENTITIES = ("session", "cookie")


@register()
def check_guests(app_configs=None, **kwargs) -> list:
    """How guests are recognised (ids E050-E051, W041)."""
    mode = settings.GUEST_IDENTITY
    if mode not in GUEST_IDENTITIES:
        return [
            Error(
                f"STYLEREC['GUEST_IDENTITY'] is {mode!r}.",
                hint="Use 'session' (a Django session made on the first tracked event) or 'cookie'"
                " (a signed cookie of StyleRec's own).",
                id="stylerec.E050",
            )
        ]
    problems = []
    name, age = settings.GUEST_COOKIE_NAME, settings.GUEST_COOKIE_AGE
    if (
        not isinstance(name, str)
        or not name
        or not isinstance(age, int)
        or isinstance(age, bool)
        or age <= 0
    ):
        problems.append(
            Error(
                f"STYLEREC['GUEST_COOKIE_NAME'] / ['GUEST_COOKIE_AGE'] are {name!r} / {age!r}.",
                hint="Use a non-empty cookie name and a whole number of seconds > 0.",
                id="stylerec.E051",
            )
        )
    if mode == "session" and not apps.is_installed("django.contrib.sessions"):
        problems.append(
            Warning(
                "STYLEREC['GUEST_IDENTITY'] is 'session' but django.contrib.sessions is not installed:"
                " guests are not tracked.",
                hint="Set GUEST_IDENTITY to 'cookie', or install sessions.",
                id="stylerec.W041",
            )
        )
    return problems


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
    longest = max_side if isinstance(max_side, int) and 64 <= max_side <= 4096 else 4096  # else E010 says it
    min_side = settings.MIN_SIDE
    if type(min_side) is not int or not 1 <= min_side <= longest:
        hint = "Use a whole number of pixels from 1 to MAX_SIDE (a product photo's shortest side at working size)."
        problems.append(Error(f"STYLEREC['MIN_SIDE'] is {min_side!r}.", hint=hint, id="stylerec.E013"))
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
