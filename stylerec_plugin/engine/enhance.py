"""Fix weak product photos (dark, flat, soft) without changing the product.

Only global, monotonic tone changes and a luminance-only unsharp mask: no
local contrast tricks, no white balance, no colour shifts - the product's
shape, colour and label stay exactly as photographed, so content SSIM to the
input stays high. Each step does nothing to a photo that does not need it,
so running the enhancer on a good photo is (nearly) a no-op.

1. **Sharpening**: an unsharp mask on luminance, its radius and amount set
   from the measured blur (the sharpness measure of :mod:`.quality`);
   differences below a small threshold are left alone so noise and JPEG
   artefacts are not amplified. First, because blur smears thin highlights
   and would mislead the levels step.
2. **Levels**: stretch luminance so the darkest 0.5 % reach near black and
   the brightest 0.5 % near white, when they fall clearly short (one gain
   for all three channels, so hues are kept). Fixes dark, washed-out and
   flat photos. Midtones are deliberately not lifted: a low-key shot of a
   black product on black is a choice, and its highlights already reach up.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from .images import blend, luminance, resize_array
from .quality import ANALYSIS_SIDE, DEFAULT_THRESHOLDS, _sharpness

__all__ = ["enhance_photo"]

# Levels targets: leave photos alone that already reach these.
_BLACK_TARGET = 0.03
_WHITE_TARGET = 0.95
# Each pair: (untouched at or beyond, fully corrected at or beyond). The quality
# check flags highlights < 0.45, shadows > 0.55 and spread < 0.36 (1st/99th percentiles).
_HIGH_OK, _HIGH_BAD = 0.65, 0.45  # 99.5th percentile luminance
_LOW_OK, _LOW_BAD = 0.4, 0.6  # 0.5th percentile luminance
_SPREAD_OK, _SPREAD_BAD = 0.45, 0.3  # their difference (demo photos: 5th percentile 0.39)
_MAX_LEVELS_GAIN = 4.0  # more would turn sensor noise into grain
_MAX_CHROMA_GAIN = 2.0
# Sharpness ratio (see quality._sharpness) a well-focused photo reaches.
_SHARP_TARGET = DEFAULT_THRESHOLDS.min_sharpness * 1.5
_MAX_AMOUNT = 4.0
_DETAIL_THRESHOLD = 0.002  # luminance differences treated as noise


def enhance_photo(rgb: np.ndarray, strength: float = 1.0, *, alpha: np.ndarray | None = None) -> np.ndarray:
    """Exposure, contrast and sharpness correction of float RGB (H, W, 3) in 0..1; same shape out.

    ``strength`` blends between the input (0) and the full correction (1).
    ``alpha`` (H, W), when given, keeps transparent pixels out of the
    statistics (the correction is still applied everywhere; the caller keeps
    the alpha channel). Deterministic.
    """
    original = np.asarray(rgb, dtype=np.float32)
    if original.ndim != 3 or original.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) array, got shape {original.shape}")
    s = min(max(float(strength), 0.0), 1.0)
    if s == 0.0:
        return original.copy()

    visible = None if alpha is None else np.asarray(alpha, dtype=np.float32) > 0.5
    if visible is not None and visible.sum() < 64:
        visible = None

    # Sharpen first: blur smears thin highlights and shadows, and levels
    # measured on the blurred picture would "fix" an exposure that was fine.
    out = _sharpen(original)
    out = _levels(out, visible)
    return blend(original, out, s)


def _visible_luminance(rgb: np.ndarray, visible: np.ndarray | None) -> np.ndarray:
    y = luminance(rgb)
    return y[visible] if visible is not None else y.reshape(-1)


def _levels(rgb: np.ndarray, visible: np.ndarray | None) -> np.ndarray:
    y = _visible_luminance(rgb, visible)
    low, high = (float(v) for v in np.percentile(y, [0.5, 99.5]))
    if high - low < 1e-3:
        return rgb  # a blank picture: nothing to stretch
    # Move an end only when it falls clearly short, fading in smoothly: a
    # high-key or low-key photo with a healthy spread keeps its look; a flat
    # one (small spread) is stretched at both ends.
    flat = _ramp(high - low, start=_SPREAD_OK, full=_SPREAD_BAD)
    lift = max(_ramp(high, start=_HIGH_OK, full=_HIGH_BAD), flat)  # how much the highlights must rise
    drop = max(_ramp(low, start=_LOW_OK, full=_LOW_BAD), flat)  # how much the shadows must fall
    new_high = max(high + (_WHITE_TARGET - high) * lift, high)  # only ever stretch
    new_low = min(low + (_BLACK_TARGET - low) * drop, low)
    gain = min((new_high - new_low) / (high - low), _MAX_LEVELS_GAIN)
    if abs(gain - 1.0) < 1e-3 and abs(new_low - low) < 1e-3:
        return rgb
    # With the gain capped the stretched range is narrower than the target:
    # share the shortfall between the ends in proportion to how far each one
    # was from its target, so a dark photo keeps its blacks, a washed-out one
    # its whites, and a flat one stays where it was.
    slack = (new_high - new_low) - (high - low) * gain
    room_below, room_above = max(low - _BLACK_TARGET, 0.0), max(_WHITE_TARGET - high, 0.0)
    if slack > 1e-6 and room_below + room_above > 0:
        new_low += slack * room_below / (room_below + room_above)
    y = luminance(rgb)
    stretched = (y - low) * gain + new_low
    # Colour differences grow with the same gain up to 2x only: restoring a
    # dimmed photo needs its colour back, but a 4x stretch of a white-on-white
    # shot would turn the faint tint of its background into a visible cast.
    chroma_gain = min(gain, _MAX_CHROMA_GAIN)
    return np.clip(stretched[..., None] + (rgb - y[..., None]) * chroma_gain, 0.0, 1.0).astype(np.float32)


def _ramp(value: float, start: float, full: float) -> float:
    """0 at ``start``, 1 at ``full`` (either direction), linear in between, clamped."""
    return min(max((value - start) / (full - start), 0.0), 1.0)


def _sharpen(rgb: np.ndarray) -> np.ndarray:
    y = luminance(rgb)
    height, width = y.shape
    scale = min(1.0, ANALYSIS_SIDE / max(height, width))
    probe = y if scale == 1.0 else resize_array(y, (max(1, round(height * scale)), max(1, round(width * scale))))
    sharpness = _sharpness(probe)
    if sharpness <= 0.0 or sharpness >= _SHARP_TARGET:
        return rgb
    # The ratio falls roughly as 1 / blur^2, so sqrt(target / ratio) estimates
    # the blur radius in analysis pixels (it matched Gaussian test blurs
    # within ~10 %). An unsharp mask a little narrower than that, with an
    # amount growing with the deficit, restored the most (PSNR and content
    # SSIM to the unblurred photo both rose; see docs/engine.md).
    deficit = _SHARP_TARGET / sharpness
    sigma = 0.8 * min(3.0, max(1.0, math.sqrt(deficit))) / scale
    amount = min(_MAX_AMOUNT, deficit - 1.0)
    detail = y - ndimage.gaussian_filter(y, sigma=sigma, mode="reflect")
    # Soft threshold: small wiggles are noise and JPEG artefacts; leave them be.
    detail = np.sign(detail) * np.maximum(np.abs(detail) - _DETAIL_THRESHOLD, 0.0)
    return np.clip(rgb + (amount * detail)[..., None], 0.0, 1.0).astype(np.float32)
