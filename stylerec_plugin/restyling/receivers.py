"""Receivers that keep variants in step with products and styles; :func:`connect` wires them.

The web side only enqueues (after commit, primary keys only); the work, hashing
included, happens in the jobs (:mod:`.jobs`).

* product saved (created, photo replaced in admin or a form, ``FieldFile.save()``):
  ``sync_product`` hashes the photo in the worker and regenerates what changed. A save
  with ``update_fields`` that leaves the photo out queues nothing.
* style created, its version increased, activated or deactivated: ``sync_style``.
* a variant row deleted (directly, or by deleting its product or style): its file is
  deleted after commit, unless another row uses it; originals are never touched.

Bulk changes that bypass ``save()`` (``bulk_create``, ``update()``, files rewritten in
storage) send no signals: run ``manage.py stylerec_restyle --missing`` afterwards.
:func:`stylerec_plugin.signals.paused` silences these receivers for a bulk import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db.models.signals import post_delete, post_save, pre_save

from ..models import RestyledImage, Style
from ..products import get_product_adapter
from ..signals import is_paused
from ..storage import rendition_names
from .files import schedule_file_deletion
from .jobs import queue_sync_product, queue_sync_style

logger = logging.getLogger(__name__)


def _queue(queue_job: Callable[[int], object], pk: int) -> None:
    try:
        queue_job(pk)
    except Exception:  # never let queueing break a save
        logger.exception("StyleRec: could not queue %s(%r)", queue_job.__name__, pk)


def product_saved(sender, instance, created: bool, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or is_paused():
        return
    if not get_product_adapter().photo_may_have_changed(update_fields):
        return
    _queue(queue_sync_product, instance.pk)


def style_pre_save(sender, instance: Style, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._stylerec_before = None
        return
    instance._stylerec_before = Style.objects.filter(pk=instance.pk).values("version", "is_active").first()


def style_saved(sender, instance: Style, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or is_paused():
        return
    before = getattr(instance, "_stylerec_before", None)
    changed = (
        created
        or before is None
        or before["version"] != instance.version
        or before["is_active"] != instance.is_active
    )
    if changed:
        _queue(queue_sync_style, instance.pk)


def variant_deleted(sender, instance: RestyledImage, using: str | None = None, **kwargs) -> None:
    if instance.image:
        name = instance.image.name
        schedule_file_deletion([name, *rendition_names(name, instance.rendition_widths)], using=using)


def connect() -> None:
    """Connect the restyling receivers (called from ``AppConfig.ready()``)."""
    pre_save.connect(style_pre_save, sender=Style, dispatch_uid="stylerec_style_pre_save")
    post_save.connect(style_saved, sender=Style, dispatch_uid="stylerec_style_post_save")
    post_delete.connect(variant_deleted, sender=RestyledImage, dispatch_uid="stylerec_variant_deleted")
    connect_product_signals()


def connect_product_signals() -> None:
    """Connect the product receiver to the configured product model."""
    try:
        product_model = get_product_adapter().model
    except Exception:  # misconfigured: the system checks report it (stylerec.E001/E002)
        return
    post_save.connect(product_saved, sender=product_model, dispatch_uid="stylerec_product_saved")
