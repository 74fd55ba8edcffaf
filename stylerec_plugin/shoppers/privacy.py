"""A shopper's own data: export it as JSON, or delete it.

Every plugin model with a ``shopper_key`` field holds per-shopper data
(preferences, interactions, consent, recommendation lists, experiment
assignments and exposures...), so both functions find them by that field and
keep working when a model is added.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from .cache import announce_change
from .export import readable_export
from .identity import Shopper, personalisation_enabled, set_personalisation

APP_LABEL = "stylerec_plugin"


def shopper_models() -> list[type]:
    models = []
    for model in apps.get_app_config(APP_LABEL).get_models():
        if any(field.name == "shopper_key" for field in model._meta.concrete_fields):
            models.append(model)
    return sorted(models, key=lambda m: m._meta.model_name)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_shopper_data(shopper: Shopper) -> dict[str, Any]:
    """Everything the plugin stores about this shopper, as JSON-ready data.

    First what a shopper can read (an explanation, style and product names, dates and
    events in plain words: :func:`~.export.readable_export`), then ``all_records``:
    every stored row, per kind of record, for completeness.
    """
    data: dict[str, Any] = {"shopper": shopper.key, **readable_export(shopper)}
    records: dict[str, list] = {}
    for model in shopper_models():
        columns = [field.attname for field in model._meta.concrete_fields]
        rows = model.objects.filter(shopper_key=shopper.key).order_by("pk").values(*columns)
        records[model._meta.model_name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    data["exported_at"] = timezone.now().isoformat()
    data["all_records"] = records
    return data


@transaction.atomic
def delete_shopper_data(shopper: Shopper, *, keep_opt_out: bool = True) -> dict[str, int]:
    """Delete every plugin row about this shopper; returns how many per model.

    A shopper who had switched personalisation off stays switched off
    (``keep_opt_out``): deleting data must not quietly turn tracking back on.
    Orders and accounts belong to the shop and are not touched here. Every cache
    that held something about the shopper forgets it (see ``announce_change``).
    """
    was_opted_out = not personalisation_enabled(shopper)
    deleted: dict[str, int] = {}
    for model in shopper_models():
        count, _per_model = model.objects.filter(shopper_key=shopper.key).delete()
        deleted[model._meta.model_name] = count
    if keep_opt_out and was_opted_out:
        set_personalisation(shopper, False)
    announce_change(shopper.key)
    return deleted
