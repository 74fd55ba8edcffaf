"""Rendering: the process's Stylizer, a style's engine spec and vector, and the restyle job's work.

The engine (and torch) is imported here lazily, on first use: a web process that
only queues jobs never loads it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from ..conf import settings
from ..models import RestyledImage, Style, VariantStatus
from ..models.styles import normalise_preset_weights
from ..products import get_product_adapter
from . import claims
from .jobs import queue_sync_product
from .planning import chunk_size

logger = logging.getLogger(__name__)

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


def build_spec(style: Style, *, strength: float | None = None):
    """The engine's StyleSpec for a style row (reads the reference through its storage).

    ``strength`` replaces the style's own (an admin's re-run of one variant at a chosen strength).
    """
    from ..engine import StyleSpec

    reference = _reference_bytes(style) if style.kind in ("reference", "tone") and style.reference_image else None
    weights = None
    if style.kind == "preset":
        weights = {int(k): float(v) for k, v in normalise_preset_weights(style.preset_weights).items()}
    return StyleSpec(
        kind=style.kind,
        preset_weights=weights,
        reference=reference,
        strength=float(style.strength if strength is None else strength),
        preserve_colour=bool(style.preserve_colour),
        mode=style.render_mode,
        colour_limit=float(style.colour_limit),
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


# --------------------------------------------------------------------------- rendering rows


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
    return max(0, chunk_size() * 2 - claimed)


def restyle_variants(variant_pks: Sequence[int], regenerate: bool = False) -> dict[str, Any]:
    """Render rows (one style per call in practice). Idempotent (see :mod:`.jobs`).

    Errors: a bad photo (the engine's ImageInputError, or a missing file) fails its
    row at once with a readable error and leaves the others alone; a bad style reference
    fails all the style's rows at once, naming the style; anything else is
    transient: the rows not finished go back to pending with a delayed retry until
    MAX_RETRIES is spent, then fail.
    """
    token = claims.current_job_token()
    stylizer = get_stylizer()
    extra = 0 if regenerate else _batch_extra(stylizer, len(variant_pks))
    rows = claims.claim_variants(list(variant_pks), token, regenerate=regenerate, extra=extra)
    summary: dict[str, int] = defaultdict(int)
    summary["claimed"] = len(rows)
    by_style: dict[int, list[RestyledImage]] = defaultdict(list)
    for row in rows:
        by_style[row.style_id].append(row)
    for style_rows in by_style.values():
        done: set[int] = set()
        try:
            _render_style(style_rows, token, stylizer, summary, done)
        except Exception as exc:  # transient (storage, database, CUDA out of memory, timeout, ...)
            logger.exception("StyleRec: restyling variants %s failed", [row.pk for row in style_rows])
            for row in style_rows:
                if row.pk not in done:
                    outcome = claims.mark_transient_failure(row, token, _readable(exc), regenerate=regenerate)
                    summary[outcome] += 1
    return dict(summary)


def _render_style(style_rows: list[RestyledImage], token: str, stylizer, summary: dict, done: set[int]) -> None:
    """Render one style's claimed rows as engine batches (one per chosen strength); ``done`` collects the rows settled.

    An inactive style renders only its preview samples (``Style.preview_products``).
    """
    style = Style.objects.get(pk=style_rows[0].style_id)
    if not style.is_active:
        samples = {str(pk) for pk in style.preview_products or []}
        for row in [row for row in style_rows if str(row.product_id) not in samples]:
            claims.release_stale_claim(row, token)
            done.add(row.pk)
            summary["inactive_style"] += 1
        style_rows = [row for row in style_rows if str(row.product_id) in samples]
        if not style_rows:
            return
    products = get_product_adapter().in_bulk([row.product_id for row in style_rows])
    by_strength: dict[float | None, list[RestyledImage]] = defaultdict(list)
    for row in style_rows:
        by_strength[row.strength_override].append(row)
    for override, rows in by_strength.items():
        _render_group(rows, style, override, products, token, stylizer, summary, done)


def _render_group(
    rows: list[RestyledImage], style: Style, override: float | None, products: dict, token: str, stylizer,
    summary: dict, done: set[int],
) -> None:
    """One engine batch: the rows' photos with their stored masks, at the style's (or the chosen) strength."""
    from ..engine import ImageInputError
    from .masks import masks_for

    photos, work = _read_sources(rows, products, token, summary, done)
    if not work:
        return
    photo_of = {row.product_id: data for row, data in zip(work, photos, strict=True)}
    masks = masks_for([row.product_id for row in work], photo_of)
    try:
        results = stylizer.restyle_batch(
            photos,
            build_spec(style, strength=override),
            floor=style.effective_floor(),
            # A strength an admin chose is tried alone: the gates say whether it passes.
            retry_strengths=() if override is not None else tuple(settings.RETRY_STRENGTHS),
            masks=[masks.get(row.product_id) for row in work],
        )
    except ImageInputError as exc:
        if style.kind not in ("reference", "tone"):
            raise
        # A photo's error comes back in its slot; one raised is the style's reference image:
        # permanent for every row of the style, so fail them now instead of retrying.
        message = (
            f"The reference image of style {style.name!r} ({style.reference_image.name}) cannot be used: "
            f"{_readable(exc)}. Upload another reference image for the style."
        )
        for row in work:
            claims.mark_failed(row, token, message)
            summary["failed"] += 1
            done.add(row.pk)
        return
    adapter = get_product_adapter()
    for row, result in zip(work, results, strict=True):
        if isinstance(result, ImageInputError):
            name = adapter.photo_name(products[row.product_id])
            claims.mark_failed(row, token, f"The photo {name} cannot be used: {_readable(result)}")
            summary["failed"] += 1
        else:
            stored = _store(row, token, style, result, adapter.name(products[row.product_id]))
            summary[result.status if stored else "lost_claim"] += 1
        done.add(row.pk)


def _read_sources(
    style_rows: list[RestyledImage], products: dict, token: str, summary: dict, done: set[int]
) -> tuple[list[bytes], list[RestyledImage]]:
    """The photos' bytes for the rows still worth rendering; missing, unusable or changed photos settle here."""
    adapter = get_product_adapter()
    photos, work = [], []
    for row in style_rows:
        product = products.get(row.product_id)
        if product is None:
            done.add(row.pk)
            continue
        try:
            data = adapter.read_photo(product)
        except FileNotFoundError:
            claims.mark_failed(row, token, f"The photo file {adapter.photo_name(product)} is missing from storage.")
            done.add(row.pk)
            summary["failed"] += 1
            continue
        except ValueError as exc:
            claims.mark_failed(row, token, f"The product has no usable photo: {exc}.")
            done.add(row.pk)
            summary["failed"] += 1
            continue
        if hashlib.sha256(data).hexdigest() != row.source_hash:
            # The photo changed after this row was planned: the row is stale.
            claims.release_stale_claim(row, token)
            done.add(row.pk)
            summary["stale"] += 1
            transaction.on_commit(lambda pk=row.product_id: queue_sync_product(pk))
            continue
        photos.append(data)
        work.append(row)
    return photos, work


def rejection_reason(style: Style, product_name: str, result) -> str:
    """Why shoppers see the original, with the style's and the product's names and the numbers as compared."""
    reason = (getattr(result, "reason", "") or "").strip()
    if not reason:
        reason = (
            f"No strength kept the product recognisable (content SSIM {result.ssim:.2f} "
            f"< floor {style.effective_floor():.2f})."
        )
    if reason[-1] not in ".!?":
        reason += "."
    return f"{style.name} on {product_name}: {reason} Shoppers see the original."


def gate_fields(result) -> dict[str, float | None]:
    """The gate scores of an engine result, rounded as the admin shows them (None when not measured)."""
    gates = getattr(result, "gates", None)
    mask = getattr(result, "mask", None)

    def score(name: str, digits: int) -> float | None:
        value = getattr(gates, name, None) if gates is not None else None
        return None if value is None else round(float(value), digits)

    return {
        "colour_mean_de": score("colour_mean_de", 2),
        "colour_dominant_de": score("colour_dominant_de", 2),
        "region_ssim": score("region_ssim", 4),
        "scene_change": score("scene_change", 4),
        "mask_confidence": None if mask is None else round(float(mask.confidence), 4),
    }


def _store(row: RestyledImage, token: str, style: Style, result, product_name: str) -> bool:
    """Encode and save one engine result on its row; False when the job lost the claim meanwhile."""
    from ..engine import encode_image

    ready = result.status == "ready"
    data, ext = encode_image(result.image)
    return claims.store_result(
        row,
        token,
        data=data,
        ext=ext,
        renditions=smaller_copies(result.image),
        fields={
            "status": VariantStatus.READY if ready else VariantStatus.REJECTED,
            "width": result.width,
            "height": result.height,
            "ssim": round(float(result.ssim), 4),
            "psnr": round(float(result.psnr), 2),
            "strength_used": round(float(result.strength_used), 4),
            "duration_ms": int(round(result.ms)),
            "device": result.device[:32],
            "engine": result.engine[:32],
            **gate_fields(result),
            "last_error": "" if ready else rejection_reason(style, product_name, result)[:2000],
        },
    )
