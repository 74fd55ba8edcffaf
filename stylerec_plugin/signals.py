"""Signal receivers that keep variants in step with products and styles.

The web side only enqueues (after commit, primary keys only); the work, hashing
included, happens in the jobs (:mod:`stylerec_plugin.restyling.rendering`).

* product saved (created, photo replaced in admin or a form, ``FieldFile.save()``):
  ``sync_product`` hashes the photo in the worker and regenerates what changed. A save
  with ``update_fields`` that leaves the photo out queues nothing.
* style created, its version increased, activated or deactivated: ``sync_style``.
* a variant row deleted (directly, or by deleting its product or style): its file is
  deleted after commit, unless another row uses it; originals are never touched.

Bulk changes that bypass ``save()`` (``bulk_create``, ``update()``, files rewritten in
storage) send no signals: run ``manage.py stylerec_restyle --missing`` afterwards.
:func:`paused` silences these receivers for a bulk import in this thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .conf import get_product_model, settings
from .models import RestyledImage, Style

logger = logging.getLogger("stylerec_plugin.signals")

_state = threading.local()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Queue nothing from saves in this block (this thread); heal with ``stylerec_restyle --missing``."""
    previous = getattr(_state, "paused", False)
    _state.paused = True
    try:
        yield
    finally:
        _state.paused = previous


def is_paused() -> bool:
    return getattr(_state, "paused", False)


def _enqueue(func: str, *args) -> None:
    from .queue import enqueue

    try:
        enqueue(func, *args)
    except Exception:  # never let queueing break a save
        logger.exception("StyleRec: could not queue %s%r", func, args)


def product_saved(sender, instance, created: bool, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw or is_paused():
        return
    if update_fields is not None and settings.PRODUCT_IMAGE_FIELD not in update_fields:
        return
    from .restyling.planning import SYNC_PRODUCT_JOB

    _enqueue(SYNC_PRODUCT_JOB, instance.pk)


@receiver(pre_save, sender=Style, dispatch_uid="stylerec_style_pre_save")
def style_pre_save(sender, instance: Style, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._stylerec_before = None
        return
    instance._stylerec_before = Style.objects.filter(pk=instance.pk).values("version", "is_active").first()


@receiver(post_save, sender=Style, dispatch_uid="stylerec_style_post_save")
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
        from .restyling.planning import SYNC_STYLE_JOB

        _enqueue(SYNC_STYLE_JOB, instance.pk)


@receiver(post_delete, sender=RestyledImage, dispatch_uid="stylerec_variant_deleted")
def variant_deleted(sender, instance: RestyledImage, using: str | None = None, **kwargs) -> None:
    if instance.image:
        from .restyling.planning import schedule_file_deletion
        from .storage import rendition_names

        name = instance.image.name
        schedule_file_deletion([name, *rendition_names(name, instance.rendition_widths)], using=using)


def connect_product_signals() -> None:
    """Connect the product receivers to the configured product model (called at import)."""
    try:
        product_model = get_product_model()
    except Exception:  # misconfigured: the system checks report it (stylerec.E001/E002)
        return
    post_save.connect(product_saved, sender=product_model, dispatch_uid="stylerec_product_saved")


connect_product_signals()
