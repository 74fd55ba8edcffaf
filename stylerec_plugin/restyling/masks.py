"""Product masks: where the product is in its photo, stored with the photo's analysis.

A mask is a grey PNG (white = product) with a confidence and the method that made it,
kept on ``ProductPhoto`` through the variants' storage (the original photo is never
written to). Workers compute it when a photo is analysed, or when a photo is first
rendered without one; every style's render of that photo reuses it. An admin's mask or
cut-out (:func:`store_uploaded_mask`) wins until the photo changes. A replaced mask's
file, and the mask of a photo that changed or went, is deleted after commit.

The web side calls :func:`validate_upload` and :func:`store_uploaded_mask` only: the
engine's segment module is numpy/OpenCV code, no torch.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import ProductPhoto
from ..storage import variant_storage
from .files import schedule_file_deletion

logger = logging.getLogger(__name__)


def _save_mask_file(photo: ProductPhoto, png: bytes) -> str:
    storage = variant_storage()
    target = photo.mask.field.generate_filename(photo, "mask.png")
    storage.delete(target)  # a leftover of the same name would make storage pick another name
    return storage.save(target, ContentFile(png))


def store_mask(photo: ProductPhoto, mask: Any, *, uploaded: bool = False) -> ProductPhoto:
    """Save ``mask`` (an engine ``ProductMask``) as the photo's current mask; the old file goes after commit."""
    from ..engine.segment import SEGMENT_VERSION

    previous = photo.mask.name or ""
    photo.mask_uploaded = uploaded
    photo.mask_source_hash = photo.source_hash
    name = _save_mask_file(photo, mask.to_png())
    fields = {
        "mask": name,
        "mask_confidence": round(float(mask.confidence), 4),
        "mask_method": str(mask.method)[:64],
        "mask_source_hash": photo.source_hash,
        "mask_uploaded": uploaded,
        "mask_version": SEGMENT_VERSION,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        ProductPhoto.objects.filter(pk=photo.pk).update(**fields)
        if previous and previous != name:
            schedule_file_deletion([previous])
    for key, value in fields.items():
        setattr(photo, key, value)
    photo.mask.name = name
    return photo


def drop_mask(photo: ProductPhoto) -> None:
    """Forget the photo's mask (its photo changed or went); the file is deleted after commit."""
    name = photo.mask.name or ""
    cleared = {
        "mask_confidence": None,
        "mask_method": "",
        "mask_source_hash": "",
        "mask_uploaded": False,
        "mask_version": "",
    }
    ProductPhoto.objects.filter(pk=photo.pk).update(mask="", **cleared)
    for key, value in cleared.items():
        setattr(photo, key, value)
    photo.mask.name = ""
    if name:
        schedule_file_deletion([name])


def compute_mask(photo: ProductPhoto, image: Any) -> ProductPhoto:
    """Segment the product in ``image`` (the engine's LoadedImage, or a PIL image) and store it.

    An admin's mask that is current (made for this photo) is kept as it is.

    A segmentation error never blocks restyling: the photo renders without a mask (the
    engine then keeps colours over the whole frame) and the error is logged.
    """
    if photo.mask_uploaded and photo.has_current_mask:
        return photo
    try:
        from ..engine.segment import find_product

        # A LoadedImage's picture keeps its alpha: a cut-out is its own mask.
        mask = find_product(image.to_pil() if hasattr(image, "to_pil") else image)
    except Exception:
        logger.exception("StyleRec: could not find the product in the photo of product %s", photo.product_id)
        if photo.mask and not photo.has_current_mask:
            drop_mask(photo)
        return photo
    return store_mask(photo, mask)


def current_mask_condition() -> Q:
    """``ProductPhoto`` rows whose mask was made for their photo (the database form of
    ``has_current_mask``): an admin's, or one the current segmentation computed."""
    from ..engine.segment import SEGMENT_VERSION

    made_for_photo = ~Q(mask="") & ~Q(source_hash="") & Q(mask_source_hash=F("source_hash"))
    return made_for_photo & (Q(mask_uploaded=True) | Q(mask_version=SEGMENT_VERSION))


def untrusted_mask_condition() -> Q:
    """Photos whose current mask is too doubtful to cut along (confidence under the engine's
    ``LOW_CONFIDENCE``): every product-true style renders them over the whole frame with the
    photo's colours kept, so their scene gets only the style's texture and light. An admin's
    mask or cut-out (confidence 1) is what styles such a photo fully."""
    from ..engine.segment import LOW_CONFIDENCE

    doubtful = Q(mask_confidence__isnull=True) | Q(mask_confidence__lt=LOW_CONFIDENCE)
    return current_mask_condition() & doubtful


def load_mask(photo: ProductPhoto | None) -> Any | None:
    """The photo's current mask as an engine ``ProductMask``, or None (none stored, stale, made by
    an older segmentation, or unreadable)."""
    if photo is None or not photo.has_current_mask:
        return None
    from ..engine.segment import ProductMask

    try:
        with variant_storage().open(photo.mask.name, "rb") as handle:
            data = handle.read()
        return ProductMask.from_png(data, photo.mask_confidence or 0.0, photo.mask_method or "stored")
    except Exception:
        logger.exception("StyleRec: the stored mask %s cannot be read; it is computed again", photo.mask.name)
        return None


def masks_for(product_ids: list[Any], photo_bytes: dict[Any, bytes]) -> dict[Any, Any]:
    """Each product's mask for a render, computing and storing the missing ones from ``photo_bytes``."""
    from ..conf import settings
    from ..engine import ImageInputError, load_image

    photos = {photo.product_id: photo for photo in ProductPhoto.objects.filter(product_id__in=product_ids)}
    masks: dict[Any, Any] = {}
    for product_id in product_ids:
        photo = photos.get(product_id)
        mask = load_mask(photo)
        if mask is None and photo is not None and photo.source_hash and product_id in photo_bytes:
            try:
                loaded = load_image(photo_bytes[product_id], max_side=settings.MAX_SIDE)
            except ImageInputError:
                masks[product_id] = None  # the render reports the bad photo
                continue
            mask = load_mask(compute_mask(photo, loaded))
        masks[product_id] = mask
    return masks


# --------------------------------------------------------------------------- an admin's mask


def validate_upload(data: bytes, photo: ProductPhoto) -> Any:
    """The engine's reading of an uploaded mask or cut-out for ``photo``; raises ValueError with the reason."""
    from ..engine import ImageInputError
    from ..engine.segment import mask_from_upload

    if not photo.width or not photo.height:
        raise ValueError("The product's photo has not been analysed yet; try again once it has.")
    try:
        return mask_from_upload(data, (photo.width, photo.height))
    except ImageInputError as exc:
        raise ValueError(str(exc)) from None


def store_uploaded_mask(photo: ProductPhoto, mask: Any) -> int:
    """Store an admin's mask (it wins) and re-render the product's current variants; returns rows queued."""
    from .requeue import requeue_rows
    from .variants import current_rows_of_product

    store_mask(photo, mask, uploaded=True)
    return requeue_rows(current_rows_of_product(photo.product_id))
