"""The background jobs of the restyling pipeline (run by RQ workers, or inline).

Every job takes primary keys only, reads fresh rows, and is idempotent: running one
twice, or two at once, gives the same rows and files as running it once.

* :func:`sync_product`  hash the product photo; when it changed, analyse it (size,
  quality check, style vector) into ``ProductPhoto``; then plan and queue its variants.
* :func:`sync_style`    a style was created, changed, re-activated or deactivated:
  compute its style vector, plan and queue (or drop) its variants.
* :func:`restyle_variants`  render rows of one style (a batch on a GPU).

The engine (and torch) is imported here lazily, on first use: the web side imports
this module only in inline mode.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..conf import get_product_model, settings
from ..models import ProductPhoto, RestyledImage, Style, VariantStatus
from ..models.styles import normalise_preset_weights
from . import planning as pipeline

logger = logging.getLogger("stylerec_plugin.restyling.rendering")

_stylizer = None
_stylizer_lock = threading.Lock()
# Reference images' bytes by (style pk, reference hash): a batch reads its reference once.
_reference_cache: dict[tuple[int, str], bytes] = {}


def get_stylizer():
    """The process-wide Stylizer (loads torch on first call; workers call it at start-up)."""
    global _stylizer
    if _stylizer is None:
        with _stylizer_lock:
            if _stylizer is None:
                from ..engine import Stylizer

                _stylizer = Stylizer(device=settings.DEVICE, max_side=settings.MAX_SIDE)
    return _stylizer


def _read_product_photo(product) -> bytes:
    """The product photo's bytes through its storage (raises FileNotFoundError/ValueError)."""
    field_file = getattr(product, settings.PRODUCT_IMAGE_FIELD)
    if not field_file:
        raise ValueError("the product has no photo")
    with field_file.storage.open(field_file.name, "rb") as handle:
        return handle.read()


def _product(product_pk: int):
    return get_product_model()._default_manager.filter(pk=product_pk).first()


# --------------------------------------------------------------------------- photo analysis


def _quality_fields(image) -> dict[str, Any]:
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
        fields.update(_quality_fields(loaded))
        try:
            fields["style_vector"] = [round(float(v), 6) for v in get_stylizer().style_vector(loaded.to_pil())]
        except ImageInputError as exc:
            fields.update(style_vector=None, last_error=f"The photo {name} cannot be used: {exc}")
    photo, _created = ProductPhoto.objects.get_or_create(product_id=product_pk)
    ProductPhoto.objects.filter(pk=photo.pk).update(updated_at=timezone.now(), **fields)
    photo.refresh_from_db()
    return photo


def sync_product(product_pk: int, force: bool = False, plan: bool = True) -> dict[str, Any]:
    """Hash the product photo; analyse it when it changed; plan and queue its variants.

    A photo changed under the same file name is caught here, by content hash. With
    ``plan=False`` only the photo is analysed (the caller plans, as ``stylerec_restyle`` does).
    """
    product = _product(product_pk)
    if product is None:
        return {"product": product_pk, "skipped": "deleted"}
    field_file = getattr(product, settings.PRODUCT_IMAGE_FIELD)
    if not field_file:
        # No photo: no variants. Old ones go (the original is not touched: there is none).
        ProductPhoto.objects.update_or_create(
            product_id=product_pk,
            defaults={"source_hash": "", "source_name": "", "style_vector": None, "last_error": "no photo"},
        )
        RestyledImage.objects.filter(product_id=product_pk).delete()
        return {"product": product_pk, "skipped": "no photo"}
    try:
        data = _read_product_photo(product)
    except FileNotFoundError:
        message = f"The photo file {field_file.name} is missing from storage."
        ProductPhoto.objects.update_or_create(product_id=product_pk, defaults={"last_error": message})
        logger.warning("StyleRec: product %s: %s", product_pk, message)
        return {"product": product_pk, "skipped": "photo file missing"}
    digest = hashlib.sha256(data).hexdigest()
    photo = ProductPhoto.objects.filter(product_id=product_pk).first()
    from ..engine import ENGINE_VERSIONS

    changed = (
        force
        or photo is None
        or photo.source_hash != digest
        or photo.engine_version != ENGINE_VERSIONS["reference"]
        or (photo.style_vector is None and not photo.last_error)
    )
    if changed:
        photo = analyse_photo(product_pk, data, digest, field_file.name)
    if not plan:
        return {"product": product_pk, "changed": changed, "error": photo.last_error}
    planned = pipeline.plan_variants([product_pk], pipeline.active_styles())
    pipeline.queue_plan(planned)
    pruned = pipeline.prune_products([product_pk], list(Style.objects.values_list("pk", flat=True)))
    return {
        "product": product_pk,
        "changed": changed,
        "created": planned.created,
        "queued": planned.queued_rows,
        "pruned": pruned,
        "error": photo.last_error,
    }


# --------------------------------------------------------------------------- styles


def _reference_bytes(style: Style) -> bytes:
    key = (style.pk, style.reference_hash)
    cached = _reference_cache.get(key)
    if cached is None:
        with style.reference_image.storage.open(style.reference_image.name, "rb") as handle:
            cached = handle.read()
        if len(_reference_cache) > 64:
            _reference_cache.clear()
        _reference_cache[key] = cached
    return cached


def build_spec(style: Style):
    """The engine's StyleSpec for a style row (reads the reference through its storage)."""
    from ..engine import StyleSpec

    reference = _reference_bytes(style) if style.kind in ("reference", "tone") and style.reference_image else None
    weights = None
    if style.kind == "preset":
        weights = {int(k): float(v) for k, v in normalise_preset_weights(style.preset_weights).items()}
    return StyleSpec(
        kind=style.kind,
        preset_weights=weights,
        reference=reference,
        strength=float(style.strength),
        preserve_colour=bool(style.preserve_colour),
    )


def _neutral_canvas():
    """A fixed synthetic scene (gradients and shapes) that presets are rendered on to embed their look."""
    import numpy as np
    from PIL import Image, ImageDraw

    side = 256
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    rgb = np.stack([np.tile(ramp, (side, 1)), np.tile(ramp[:, None], (1, side)), np.full((side, side), 128.0)], -1)
    image = Image.fromarray(rgb.astype("uint8"))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 60, 196, 196), fill=(230, 230, 220), outline=(20, 20, 20), width=6)
    draw.rectangle((100, 20, 156, 90), fill=(40, 60, 120))
    return image


def style_vector_for(style: Style) -> list[float] | None:
    """The style's own 100-d vector: its reference's, or for presets the preset rendered on a fixed scene."""
    stylizer = get_stylizer()
    if style.kind in ("reference", "tone") and style.reference_image:
        vector = stylizer.style_vector(_reference_bytes(style))
    elif style.kind == "preset":
        spec = build_spec(style)
        spec.strength = 1.0
        result = stylizer.restyle(_neutral_canvas(), spec, floor=None)
        vector = stylizer.style_vector(result.image)
    else:
        return None
    return [round(float(v), 6) for v in vector]


def update_style_vector(style_pk: int) -> bool:
    """Compute ``Style.style_vector`` for the style's current version; False when it could not."""
    style = Style.objects.filter(pk=style_pk).first()
    if style is None:
        return False
    if style.style_vector_version == style.version:
        return True
    try:
        vector = style_vector_for(style)
    except Exception:
        logger.exception("StyleRec: could not compute the style vector of style %s", style.slug)
        return False
    # Only for the version it was computed from: a concurrent edit wins.
    Style.objects.filter(pk=style.pk, version=style.version).update(
        style_vector=vector, style_vector_version=style.version
    )
    return True


def sync_style(style_pk: int, regenerate: bool = False) -> dict[str, Any]:
    """Bring a style's variants in line with it: plan/queue for an active style, drop unstarted work otherwise."""
    style = Style.objects.filter(pk=style_pk).first()
    if style is None:
        return {"style": style_pk, "skipped": "deleted"}
    if not style.is_active:
        # Unstarted work for a style nobody sees; ready variants stay for a re-activation.
        dropped, _ = RestyledImage.objects.filter(
            style=style, status__in=[VariantStatus.PENDING, VariantStatus.FAILED]
        ).delete()
        return {"style": style_pk, "skipped": "inactive", "dropped": dropped}
    if style.style_vector_version != style.version:
        update_style_vector(style.pk)
    product_model = get_product_model()
    missing_photos = list(
        product_model._default_manager.filter(stylerec_photo__isnull=True).values_list("pk", flat=True)
    )
    for product_pk in missing_photos:
        from ..queue import enqueue

        enqueue(pipeline.SYNC_PRODUCT_JOB, product_pk)
    plan = pipeline.plan_variants(None, [style], regenerate=regenerate)
    jobs = pipeline.queue_plan(plan, regenerate=regenerate)
    product_ids = set(RestyledImage.objects.filter(style=style).values_list("product_id", flat=True))
    pruned = pipeline.prune_products(product_ids, [style.pk])
    return {
        "style": style_pk,
        "created": plan.created,
        "queued": plan.queued_rows,
        "jobs": jobs,
        "photos_to_analyse": len(missing_photos),
        "pruned": pruned,
    }


# --------------------------------------------------------------------------- rendering


def smaller_copies(image) -> dict[int, bytes]:
    """Encoded copies of a variant at each OUTPUT_WIDTHS width narrower than it, for srcset."""
    from PIL import Image

    from ..engine import encode_image

    copies: dict[int, bytes] = {}
    for width in sorted({int(w) for w in settings.OUTPUT_WIDTHS}):
        if 0 < width < image.width:
            height = max(1, round(image.height * width / image.width))
            copies[width] = encode_image(image.resize((width, height), Image.Resampling.LANCZOS))[0]
    return copies


def _readable(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if isinstance(exc, ValueError) else f"{type(exc).__name__}: {text}"


def _batch_extra(stylizer, claimed: int) -> int:
    """How many more pending rows of the same style to take: fills a GPU batch, none on CPU."""
    if not str(getattr(stylizer, "device", "cpu")).startswith("cuda"):
        return 0
    return max(0, pipeline.chunk_size() * 2 - claimed)


def restyle_variants(variant_pks: Sequence[int], regenerate: bool = False) -> dict[str, Any]:
    """Render rows (one style per call in practice). Idempotent; see the module docstring.

    Errors: a bad photo (the engine's ImageInputError, or a missing file) fails its
    row at once with a readable error and leaves the others alone; anything else is
    transient: the rows not finished go back to pending with a delayed retry until
    MAX_RETRIES is spent, then fail.
    """
    from ..engine import ImageInputError, encode_image

    token = pipeline.current_job_token()
    stylizer = get_stylizer()
    extra = 0 if regenerate else _batch_extra(stylizer, len(variant_pks))
    rows = pipeline.claim_variants(list(variant_pks), token, regenerate=regenerate, extra=extra)
    summary: dict[str, int] = defaultdict(int)
    summary["claimed"] = len(rows)
    by_style: dict[int, list[RestyledImage]] = defaultdict(list)
    for row in rows:
        by_style[row.style_id].append(row)
    for style_rows in by_style.values():
        done: set[int] = set()
        try:
            style = Style.objects.get(pk=style_rows[0].style_id)
            if not style.is_active:
                for row in style_rows:
                    pipeline.release_stale_claim(row, token)
                    summary["inactive_style"] += 1
                continue
            products = get_product_model()._default_manager.in_bulk([row.product_id for row in style_rows])
            photos, work = [], []
            for row in style_rows:
                product = products.get(row.product_id)
                if product is None:
                    done.add(row.pk)
                    continue
                try:
                    data = _read_product_photo(product)
                except FileNotFoundError:
                    name = getattr(product, settings.PRODUCT_IMAGE_FIELD).name
                    pipeline.mark_failed(row, token, f"The photo file {name} is missing from storage.")
                    done.add(row.pk)
                    summary["failed"] += 1
                    continue
                except ValueError as exc:
                    pipeline.mark_failed(row, token, f"The product has no usable photo: {exc}.")
                    done.add(row.pk)
                    summary["failed"] += 1
                    continue
                if hashlib.sha256(data).hexdigest() != row.source_hash:
                    # The photo changed after this row was planned: the row is stale.
                    pipeline.release_stale_claim(row, token)
                    done.add(row.pk)
                    summary["stale"] += 1
                    transaction.on_commit(lambda pk=row.product_id: _enqueue_sync(pk))
                    continue
                photos.append(data)
                work.append(row)
            if not work:
                continue
            spec = build_spec(style)
            results = stylizer.restyle_batch(
                photos,
                spec,
                floor=style.effective_floor(),
                retry_strengths=tuple(settings.RETRY_STRENGTHS),
            )
            for row, result in zip(work, results, strict=True):
                if isinstance(result, ImageInputError):
                    name = getattr(products[row.product_id], settings.PRODUCT_IMAGE_FIELD).name
                    pipeline.mark_failed(row, token, f"The photo {name} cannot be used: {_readable(result)}")
                    summary["failed"] += 1
                else:
                    data, ext = encode_image(result.image)
                    stored = pipeline.store_result(
                        row,
                        token,
                        data=data,
                        ext=ext,
                        renditions=smaller_copies(result.image),
                        fields={
                            "status": VariantStatus.READY if result.status == "ready" else VariantStatus.REJECTED,
                            "width": result.width,
                            "height": result.height,
                            "ssim": round(float(result.ssim), 4),
                            "psnr": round(float(result.psnr), 2),
                            "strength_used": round(float(result.strength_used), 4),
                            "duration_ms": int(round(result.ms)),
                            "device": result.device[:32],
                            "engine": result.engine[:32],
                            "last_error": ""
                            if result.status == "ready"
                            else (
                                "No strength kept the product recognisable (content SSIM "
                                f"{result.ssim:.2f} < floor {style.effective_floor():.2f}); shoppers see the original."
                            ),
                        },
                    )
                    summary[result.status if stored else "lost_claim"] += 1
                done.add(row.pk)
        except Exception as exc:  # transient (storage, database, CUDA out of memory, timeout, ...)
            logger.exception("StyleRec: restyling variants %s failed", [row.pk for row in style_rows])
            for row in style_rows:
                if row.pk not in done:
                    outcome = pipeline.mark_transient_failure(row, token, _readable(exc), regenerate=regenerate)
                    summary[outcome] += 1
    return dict(summary)


def _enqueue_sync(product_pk: int) -> None:
    from ..queue import enqueue

    enqueue(pipeline.SYNC_PRODUCT_JOB, product_pk)


def recover_stuck() -> dict[str, list[int]]:
    """Job form of :func:`pipeline.recover_stuck_variants` (for a periodic schedule)."""
    report = pipeline.recover_stuck_variants()
    return {"requeued": report.requeued, "failed": report.failed}


def delete_files(names: Sequence[str]) -> list[str]:
    """Delete variant files that no row uses any more (never a product photo)."""
    return pipeline.delete_unreferenced_files(list(names))
