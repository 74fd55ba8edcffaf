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
    """Render one style's claimed rows as one engine batch; ``done`` collects the rows settled."""
    from ..engine import ImageInputError

    style = Style.objects.get(pk=style_rows[0].style_id)
    if not style.is_active:
        for row in style_rows:
            claims.release_stale_claim(row, token)
            summary["inactive_style"] += 1
        return
    products = get_product_adapter().in_bulk([row.product_id for row in style_rows])
    photos, work = _read_sources(style_rows, products, token, summary, done)
    if not work:
        return
    try:
        results = stylizer.restyle_batch(
            photos,
            build_spec(style),
            floor=style.effective_floor(),
            retry_strengths=tuple(settings.RETRY_STRENGTHS),
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
    for row, result in zip(work, results, strict=True):
        if isinstance(result, ImageInputError):
            name = get_product_adapter().photo_name(products[row.product_id])
            claims.mark_failed(row, token, f"The photo {name} cannot be used: {_readable(result)}")
            summary["failed"] += 1
        else:
            stored = _store(row, token, style, result)
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


def _store(row: RestyledImage, token: str, style: Style, result) -> bool:
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
            "last_error": ""
            if ready
            else (
                "No strength kept the product recognisable (content SSIM "
                f"{result.ssim:.2f} < floor {style.effective_floor():.2f}); shoppers see the original."
            ),
        },
    )
