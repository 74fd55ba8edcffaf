"""Photo analysis: a product photo's content hash, size, quality check and style vector.

The ``sync_product`` job starts here (:func:`refresh_photo`): it hashes the photo
and, when the photo changed, records what the engine saw in ``ProductPhoto``,
the product's mask included (:mod:`.masks`).
Planning reads that row; the storefront reads its size. The engine is imported on
first use (this runs in workers, or inline).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.utils import timezone

from ..conf import settings
from ..models import ProductPhoto, RestyledImage
from ..products import get_product_adapter
from .masks import compute_mask, drop_mask
from .original_copies import save_original_copies
from .rendering import get_stylizer

logger = logging.getLogger(__name__)


def quality_fields(image) -> dict[str, Any]:
    """Run the photo-quality check; its absence or failure never blocks restyling."""
    try:
        from ..engine.quality import assess_photo
    except ImportError:
        return {}
    try:
        report = assess_photo(image)
    except Exception:
        logger.exception("StyleRec: the photo quality check failed")
        return {}
    get = report.get if isinstance(report, dict) else lambda key, default=None: getattr(report, key, default)
    reasons = get("reasons", []) or []
    reasons = [
        reason if isinstance(reason, str | dict) else getattr(reason, "__dict__", str(reason)) for reason in reasons
    ]
    weak = get("is_weak", None)
    if weak is None:
        weak = get("weak", bool(reasons))
    score = get("score", None)
    return {
        "quality_score": float(score) if score is not None else None,
        "quality_reasons": reasons,
        "is_weak": bool(weak),
    }


def analyse_photo(product_pk: int, data: bytes, digest: str, name: str) -> ProductPhoto:
    """Size, quality and style vector of a photo into ``ProductPhoto`` (a bad image records why)."""
    from ..engine import ENGINE_VERSIONS, ImageInputError, load_image

    fields: dict[str, Any] = {
        "source_hash": digest,
        "source_name": name[:255],
        "engine_version": ENGINE_VERSIONS["reference"],
        "last_error": "",
    }
    loaded = None
    try:
        loaded = load_image(data, max_side=settings.MAX_SIDE)
    except ImageInputError as exc:
        fields.update(
            width=None,
            height=None,
            style_vector=None,
            quality_score=None,
            quality_reasons=[],
            is_weak=False,
            last_error=f"The photo {name} cannot be used: {exc}",
        )
    else:
        fields.update(width=loaded.original_size[0], height=loaded.original_size[1])
        too_thin = _too_thin(loaded, name)
        if too_thin:
            # Planning fails this photo's rows at once with the reason; nothing is rendered.
            fields.update(style_vector=None, quality_score=None, quality_reasons=[], is_weak=False,
                          last_error=too_thin)
            return _save_analysis(product_pk, fields, loaded)
        fields.update(quality_fields(loaded))
        fields["original_copies"] = save_original_copies(product_pk, loaded.to_pil(), digest)
        try:
            fields["style_vector"] = [round(float(v), 6) for v in get_stylizer().style_vector(loaded.to_pil())]
        except ImageInputError as exc:
            fields.update(style_vector=None, last_error=f"The photo {name} cannot be used: {exc}")
    return _save_analysis(product_pk, fields, loaded)


def _too_thin(loaded, name: str) -> str:
    """Why a photo is too thin to restyle (short side under MIN_SIDE at the working size), or ""."""
    width, height = loaded.size
    if min(width, height) >= settings.MIN_SIDE:
        return ""
    original_width, original_height = loaded.original_size
    return (
        f"The photo {name} cannot be used: its short side is {min(width, height)} px at the working size "
        f"({width}x{height} from {original_width}x{original_height}); at least {settings.MIN_SIDE} px are needed "
        "(STYLEREC['MIN_SIDE']). Upload a less elongated photo."
    )


def _save_analysis(product_pk: int, fields: dict[str, Any], loaded) -> ProductPhoto:
    """Store the analysis; then the product's mask (made from ``loaded``) or, for an unusable photo, none."""
    photo, _created = ProductPhoto.objects.get_or_create(product_id=product_pk)
    ProductPhoto.objects.filter(pk=photo.pk).update(updated_at=timezone.now(), **fields)
    photo.refresh_from_db()
    if fields["last_error"] or fields.get("width") is None or loaded is None:
        if photo.mask:
            drop_mask(photo)
    else:
        # Every style's render of this photo reuses the mask made here (an admin's current one wins).
        photo = compute_mask(photo, loaded)
    return photo


def refresh_photo(product_pk: int, *, force: bool = False) -> dict[str, Any]:
    """Hash the product's photo and analyse it when it changed (or ``force``).

    Returns ``{"product", "changed", "error"}``, or ``{"product", "skipped"}`` when
    there is nothing to plan for: the product is gone, has no photo (its variants
    go; there is no original to touch), is a child showing its parent's photo, or its
    file is missing from storage.
    """
    from ..engine import ENGINE_VERSIONS

    products = get_product_adapter()
    product = products.get(product_pk)
    if product is None:
        return {"product": product_pk, "skipped": "deleted"}
    if products.uses_parent_photo(product):
        # A child showing its parent's photo shares the parent's variants: none of its own.
        ProductPhoto.objects.filter(product_id=product_pk).delete()
        RestyledImage.objects.filter(product_id=product_pk).delete()
        return {"product": product_pk, "skipped": "parent's photo"}
    if products.photo_file(product) is None:
        photo, _created = ProductPhoto.objects.update_or_create(
            product_id=product_pk,
            defaults={"source_hash": "", "source_name": "", "style_vector": None, "last_error": "no photo"},
        )
        if photo.mask:
            drop_mask(photo)  # the photo went: so does its mask (after commit)
        RestyledImage.objects.filter(product_id=product_pk).delete()
        return {"product": product_pk, "skipped": "no photo"}
    name = products.photo_name(product)
    try:
        data = products.read_photo(product)
    except FileNotFoundError:
        message = f"The photo file {name} is missing from storage."
        ProductPhoto.objects.update_or_create(product_id=product_pk, defaults={"last_error": message})
        logger.warning("StyleRec: product %s: %s", product_pk, message)
        return {"product": product_pk, "skipped": "photo file missing"}
    digest = hashlib.sha256(data).hexdigest()
    photo = ProductPhoto.objects.filter(product_id=product_pk).first()
    changed = (
        force
        or photo is None
        or photo.source_hash != digest
        or photo.engine_version != ENGINE_VERSIONS["reference"]
        or (photo.style_vector is None and not photo.last_error)
        # Analysed before originals had smaller copies: make them once.
        or (not photo.original_copies and (photo.width or 0) > min(settings.OUTPUT_WIDTHS, default=0))
    )
    if changed:
        photo = analyse_photo(product_pk, data, digest, name)
    return {"product": product_pk, "changed": changed, "error": photo.last_error}
