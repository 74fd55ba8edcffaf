"""Is this product photo good enough for the shop grid? Sharpness, exposure, contrast and size.

``assess_photo`` measures four things a shopper notices and returns a
:class:`PhotoQuality` with a 0..1 score and plain-language reasons
("too dark", "blurred", "flat contrast", "smaller than 400 px").

What is measured, on the luminance of the photo shrunk to at most 512 px
(so a 4000 px original and its 800 px copy get the same verdict):

- **sharpness**: in 16 x 16 px tiles that have some texture, the ratio of
  the Laplacian's spread to the tile's own brightness spread; the 90th
  percentile over tiles. Dividing by the tile's spread makes it independent
  of exposure and contrast (a dark photo is not "blurred"), and the high
  percentile means a sharp product in front of a soft, out-of-focus
  background still counts as sharp.
- **exposure**: the 1st and 99th luminance percentiles. A photo whose
  brightest parts stay far below white is too dark; one whose darkest parts
  stay far above black is washed out. (The mean is reported but not judged:
  a product on white or on black is a legitimate choice.)
- **contrast**: the spread between those percentiles.
- **size**: the long edge of the original file.

Thresholds were calibrated on the 54 demo product photos and copies of them
degraded on purpose; see docs/engine.md ("Photo quality and tone").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image
from scipy import ndimage

from .images import LoadedImage, load_image, luminance, resize_array

__all__ = [
    "ANALYSIS_SIDE",
    "DEFAULT_THRESHOLDS",
    "DEGRADATIONS",
    "PhotoQuality",
    "QualityThresholds",
    "assess_photo",
    "degrade_photo",
]

ANALYSIS_SIDE = 512
_TILE = 16
# A tile flatter than this (luminance std) is background: its sharpness ratio is mostly noise.
_TEXTURED_TILE_STD = 0.02


@dataclass(frozen=True)
class QualityThresholds:
    """Where a photo turns weak. Each measure scores 0.5 exactly at its threshold."""

    min_sharpness: float = 0.75  # Laplacian / local-contrast ratio; demo photos: 1.06 .. 4.3
    min_highlights: float = 0.45  # 99th percentile luminance; below: "too dark"
    max_shadows: float = 0.55  # 1st percentile luminance; above: "too bright"
    min_contrast: float = 0.36  # 99th - 1st percentile luminance; below: "flat contrast"
    min_long_edge: int = 400  # px; below: "smaller than 400 px"


DEFAULT_THRESHOLDS = QualityThresholds()

# How much each aspect counts in the overall score (a weighted geometric mean).
_WEIGHTS = {"sharpness": 0.3, "exposure": 0.25, "contrast": 0.25, "size": 0.2}


@dataclass
class PhotoQuality:
    """The verdict on one photo. ``is_weak`` is true exactly when ``reasons`` is not empty."""

    score: float  # 0..1, higher is better; about 0.8-1.0 for a decent photo
    is_weak: bool
    reasons: list[str]
    sharpness: float  # see module docstring; >= 0.75 is sharp enough
    exposure: float  # mean luminance 0..1 (informative only)
    contrast: float  # luminance spread, 99th - 1st percentile, 0..1
    width: int  # of the original photo
    height: int
    highlights: float = 0.0  # 99th percentile luminance
    shadows: float = 0.0  # 1st percentile luminance
    subscores: dict[str, float] = field(default_factory=dict)
    studio: str = ""  # "white seamless", "black low-key" or "" (see _studio_background)

    def to_dict(self) -> dict:
        """JSON-ready (for a model field or the API)."""
        return asdict(self)


def assess_photo(
    image: Image.Image | np.ndarray | LoadedImage | bytes | str | Path | BinaryIO,
    thresholds: QualityThresholds = DEFAULT_THRESHOLDS,
) -> PhotoQuality:
    """Measure a product photo. Files are read with :func:`load_image` (same errors for bad files).

    Arrays are float RGB in 0..1 (or uint8) and are taken to be the original
    size. Transparent pixels of a cut-out are left out of the exposure and
    contrast statistics.
    """
    rgb, alpha, (width, height) = _analysis_input(image)
    y = luminance(rgb)
    if alpha is not None:
        # Judge what a shopper sees: the cut-out on a white page.
        y = y * alpha + (1.0 - alpha)
    visible = y[alpha > 0.5] if alpha is not None and (alpha > 0.5).sum() >= 64 else y.reshape(-1)

    shadows, highlights = (float(v) for v in np.percentile(visible, [1, 99]))
    contrast = highlights - shadows
    exposure = float(visible.mean())
    sharpness = _sharpness(y)
    long_edge = max(width, height)

    t = thresholds

    studio, subject = _studio_background(y)
    if studio:
        # White seamless / black low-key is standard product photography: the sweep is bright
        # or dark on purpose, so exposure and contrast are judged on the product, not the sweep.
        # (A washed-out or dark copy of such a photo still fails: its product is washed out too.)
        # On white the product's darkest parts say whether it is washed out; on black its lightest.
        if studio == "white seamless":
            shadows = float(np.percentile(subject, 1))
        else:
            highlights = float(np.percentile(subject, 99))
        contrast = highlights - shadows
    too_dark = highlights < t.min_highlights
    too_bright = shadows > t.max_shadows
    # A darkened photo also has a small spread; call it flat only when the
    # exposure does not explain that: a dark photo whose shadows still sit
    # well below its highlights (and the mirror case for a washed-out one)
    # is "too dark", not "flat".
    explained = (too_dark and shadows <= 0.4 * highlights) or (too_bright and (1 - highlights) <= 0.4 * (1 - shadows))
    flat = contrast < t.min_contrast and not explained

    reasons = _reasons(too_dark, too_bright, flat, sharpness, long_edge, t)
    subscores = _subscores(sharpness, highlights, shadows, contrast, long_edge, t)
    score = math.exp(sum(w * math.log(max(subscores[k], 1e-3)) for k, w in _WEIGHTS.items()))
    return PhotoQuality(
        score=round(score, 4),
        is_weak=bool(reasons),
        reasons=reasons,
        sharpness=round(sharpness, 4),
        exposure=round(exposure, 4),
        contrast=round(contrast, 4),
        width=int(width),
        height=int(height),
        highlights=round(highlights, 4),
        shadows=round(shadows, 4),
        subscores={k: round(v, 4) for k, v in subscores.items()},
        studio=studio,
    )


# A studio sweep fills the photo's border with one even tone: measured on a strip this wide.
_BORDER_STRIP = 0.04
# Luminance distance from the sweep's median that marks a pixel as the subject's.
_SUBJECT_DISTANCE = 0.12


def _studio_background(y: np.ndarray) -> tuple[str, np.ndarray]:
    """("white seamless" | "black low-key" | "", the subject's luminance values) from the border sweep."""
    height, width = y.shape
    strip = max(2, round(_BORDER_STRIP * min(height, width)))
    border = np.concatenate([y[:strip].ravel(), y[-strip:].ravel(), y[:, :strip].ravel(), y[:, -strip:].ravel()])
    low, median, high = (float(v) for v in np.percentile(border, [10, 50, 90]))
    kind = ""
    if median >= 0.65 and low >= 0.55:  # white, or a light pastel sweep with its gradient
        kind = "white seamless"
    elif median <= 0.15 and high <= 0.25:
        kind = "black low-key"
    if not kind:
        return "", y.reshape(-1)
    subject = y[np.abs(y - median) > _SUBJECT_DISTANCE]
    if subject.size < 0.02 * y.size:
        return "", y.reshape(-1)  # nothing stands out from the sweep: judge the whole photo
    return kind, subject


def _reasons(
    too_dark: bool, too_bright: bool, flat: bool, sharpness: float, long_edge: int, t: QualityThresholds
) -> list[str]:
    reasons = []
    if too_dark:
        reasons.append("too dark")
    if too_bright:
        reasons.append("too bright")
    if flat:
        reasons.append("flat contrast")
    if sharpness < t.min_sharpness:
        reasons.append("blurred")
    if long_edge < t.min_long_edge:
        reasons.append(f"smaller than {t.min_long_edge} px")
    return reasons


def _subscores(
    sharpness: float, highlights: float, shadows: float, contrast: float, long_edge: int, t: QualityThresholds
) -> dict[str, float]:
    return {
        "sharpness": _logistic_ratio(sharpness, t.min_sharpness, good=t.min_sharpness * 1.5),
        "exposure": min(
            _logistic_ratio(highlights, t.min_highlights, good=t.min_highlights + 0.2),
            _logistic_ratio(1.0 - shadows, 1.0 - t.max_shadows, good=1.0 - t.max_shadows + 0.2),
        ),
        "contrast": _logistic_ratio(contrast, t.min_contrast, good=t.min_contrast + 0.2),
        "size": _logistic_ratio(long_edge, t.min_long_edge, good=t.min_long_edge * 1.5),
    }


def _analysis_input(image) -> tuple[np.ndarray, np.ndarray | None, tuple[int, int]]:
    if isinstance(image, np.ndarray):
        array = image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image.astype(np.float32)
        if array.ndim == 2:
            array = np.repeat(array[..., None], 3, axis=2)
        if array.ndim != 3 or array.shape[2] not in (3, 4):
            raise ValueError(f"expected an (H, W, 3) or (H, W, 4) image array, got shape {array.shape}")
        rgb, alpha = array[..., :3], (array[..., 3] if array.shape[2] == 4 else None)
        size = (array.shape[1], array.shape[0])
        scale = min(1.0, ANALYSIS_SIDE / max(size))
        if scale < 1.0:
            shape = (max(1, round(size[1] * scale)), max(1, round(size[0] * scale)))
            rgb = np.clip(resize_array(rgb, shape), 0.0, 1.0)
            alpha = None if alpha is None else np.clip(resize_array(alpha, shape), 0.0, 1.0)
        return np.clip(rgb, 0.0, 1.0), alpha, size
    loaded = image if isinstance(image, LoadedImage) else load_image(image, max_side=ANALYSIS_SIDE)
    rgb, alpha = loaded.rgb, loaded.alpha
    if max(loaded.size) > ANALYSIS_SIDE:
        scale = ANALYSIS_SIDE / max(loaded.size)
        shape = (max(1, round(rgb.shape[0] * scale)), max(1, round(rgb.shape[1] * scale)))
        rgb = np.clip(resize_array(rgb, shape), 0.0, 1.0)
        alpha = None if alpha is None else np.clip(resize_array(alpha, shape), 0.0, 1.0)
    return rgb, alpha, loaded.original_size


def _sharpness(y: np.ndarray) -> float:
    """90th percentile over textured tiles of std(Laplacian) / std(luminance); ~1/blur-radius^2."""
    laplacian = ndimage.laplace(y.astype(np.float32), mode="reflect")
    rows, cols = y.shape[0] // _TILE, y.shape[1] // _TILE
    if rows == 0 or cols == 0:
        return 0.0
    crop = (slice(0, rows * _TILE), slice(0, cols * _TILE))
    tile_lap = laplacian[crop].reshape(rows, _TILE, cols, _TILE).std(axis=(1, 3))
    tile_lum = y[crop].reshape(rows, _TILE, cols, _TILE).std(axis=(1, 3))
    textured = tile_lum > _TEXTURED_TILE_STD
    if textured.sum() < 3:
        return 0.0  # nothing in the picture has any detail at all
    return float(np.percentile(tile_lap[textured] / tile_lum[textured], 90))


def _logistic_ratio(value: float, threshold: float, good: float) -> float:
    """0.5 at ``threshold``, 0.9 at ``good``, smooth on a log scale in between and beyond."""
    value, threshold, good = max(value, 1e-6), max(threshold, 1e-6), max(good, 1e-6)
    steepness = math.log(9.0) / math.log(good / threshold)
    return 1.0 / (1.0 + math.exp(-steepness * math.log(value / threshold)))


# --------------------------------------------------------------------------- calibration helpers

DEGRADATIONS = ("dark", "bright", "flat", "blurred", "small")


def degrade_photo(rgb: np.ndarray, kind: str) -> np.ndarray:
    """A deliberately weak copy of a good photo, the way weak shop photos go wrong.

    Used to calibrate the thresholds above and in the tests: "dark" (about
    1.3 stops under in sRGB values), "bright" (washed out), "flat" (contrast
    cut to 35 % around the mean), "blurred" (Gaussian, sigma 0.4 % of the long
    edge - 3 px at 800 px, a photo
    slightly out of focus), "small" (long edge 300 px).
    """
    rgb = np.asarray(rgb, dtype=np.float32)
    if kind == "dark":
        return rgb * np.float32(0.4)
    if kind == "bright":
        return 1.0 - (1.0 - rgb) * np.float32(0.4)
    if kind == "flat":
        mean = rgb.mean()
        return np.clip(mean + (rgb - mean) * np.float32(0.35), 0.0, 1.0)
    if kind == "blurred":
        sigma = 0.004 * max(rgb.shape[:2])
        return ndimage.gaussian_filter(rgb, sigma=(sigma, sigma, 0), mode="reflect")
    if kind == "small":
        scale = 300 / max(rgb.shape[:2])
        return np.clip(resize_array(rgb, (round(rgb.shape[0] * scale), round(rgb.shape[1] * scale))), 0.0, 1.0)
    raise ValueError(f"unknown degradation {kind!r}; expected one of {DEGRADATIONS}")
