"""Receivers that keep variants in step with products and styles; :func:`connect` wires them.

The web side only enqueues (after commit, primary keys only); the work, hashing
included, happens in the jobs (:mod:`.jobs`).

* product saved (created, photo replaced in admin or a form, ``FieldFile.save()``):
  ``sync_product`` hashes the photo in the worker and regenerates what changed. A save
  with ``update_fields`` that leaves the photo out queues nothing.
* a gallery image saved, re-ordered, moved to another product or deleted (when photos
  live in ``PRODUCT_IMAGE_MODEL``): ``sync_product`` for its product(s), once per
  product and transaction however many images changed. A product's own saves then
  queue nothing: the photo is not on it.
* style created, its version increased, activated or deactivated: ``sync_style``.
* a variant row deleted (directly, or by deleting its product or style): its file is
  deleted after commit, unless another row uses it; originals are never touched.
* a photo analysis deleted (its product was): its product mask file goes after commit.

Bulk changes that bypass ``save()`` (``bulk_create``, ``update()``, files rewritten in
storage) send no signals: run ``manage.py stylerec_restyle --missing`` afterwards.
:func:`stylerec_plugin.signals.paused` silences these receivers for a bulk import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from ..models import ProductPhoto, RestyledImage, Style
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


class _QueuedProducts:
    """The products queued in the current transaction; forgotten on commit (a rollback drops the callback)."""

    def __init__(self) -> None:
        self.pks: set = set()

    def forget(self) -> None:
        self.pks.clear()


def _queue_product_once(product_pk, using: str | None = None) -> None:
    """``sync_product`` once per product per transaction (Oscar re-saves every image of a gallery on a delete)."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        _queue(queue_sync_product, product_pk)
        return
    queued = getattr(connection, "_stylerec_products_queued", None)
    # After a rollback the callback is gone from run_on_commit: start afresh.
    if queued is None or not any(callback == queued.forget for _sids, callback, _robust in connection.run_on_commit):
        queued = connection._stylerec_products_queued = _QueuedProducts()
        transaction.on_commit(queued.forget, using=using, robust=True)
    if product_pk not in queued.pks:
        queued.pks.add(product_pk)
        _queue(queue_sync_product, product_pk)


def photo_row_pre_save(sender, instance, raw: bool = False, **kwargs) -> None:
    """Remember which product a gallery image belonged to, so a move re-syncs both products."""
    if raw or instance.pk is None or is_paused():
        instance._stylerec_products_before = []
        return
    before = sender._default_manager.filter(pk=instance.pk).first()
    instance._stylerec_products_before = (
        get_product_adapter().products_of_photo_row(before) if before is not None else []
    )


def photo_row_changed(sender, instance, raw: bool = False, using: str | None = None, **kwargs) -> None:
    """A gallery image was saved or deleted: its product's photo may have changed."""
    if raw or is_paused():
        return
    products = get_product_adapter().products_of_photo_row(instance)
    for product_pk in dict.fromkeys([*getattr(instance, "_stylerec_products_before", []), *products]):
        _queue_product_once(product_pk, using=using)


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


def photo_analysis_deleted(sender, instance: ProductPhoto, using: str | None = None, **kwargs) -> None:
    """A product (or its analysis) was deleted: its mask file goes after commit; the photo itself never."""
    if instance.mask:
        schedule_file_deletion([instance.mask.name], using=using)


def connect() -> None:
    """Connect the restyling receivers (called from ``AppConfig.ready()``)."""
    pre_save.connect(style_pre_save, sender=Style, dispatch_uid="stylerec_style_pre_save")
    post_save.connect(style_saved, sender=Style, dispatch_uid="stylerec_style_post_save")
    post_delete.connect(variant_deleted, sender=RestyledImage, dispatch_uid="stylerec_variant_deleted")
    post_delete.connect(photo_analysis_deleted, sender=ProductPhoto, dispatch_uid="stylerec_photo_analysis_deleted")
    connect_product_signals()


def connect_product_signals() -> None:
    """Connect the product receiver to the product model, and the gallery receivers to where photos live."""
    adapter = get_product_adapter()
    try:
        product_model = adapter.model
    except Exception:  # misconfigured: the system checks report it (stylerec.E001/E002)
        return
    post_save.connect(product_saved, sender=product_model, dispatch_uid="stylerec_product_saved")
    try:
        photo_models = adapter.photo_models()
    except Exception:  # misconfigured gallery: the system checks report it (stylerec.E041-E044)
        return
    for model in photo_models:
        uid = f"stylerec_photo_row_{model._meta.label_lower}"
        pre_save.connect(photo_row_pre_save, sender=model, dispatch_uid=f"{uid}_pre_save")
        post_save.connect(photo_row_changed, sender=model, dispatch_uid=f"{uid}_saved")
        post_delete.connect(photo_row_changed, sender=model, dispatch_uid=f"{uid}_deleted")
