"""Photographic tone transfer: give a product photo the colour mood of a reference picture.

No network: the photo's colour statistics in CIE Lab are moved toward the
reference's (Reinhard et al. 2001, "Color Transfer between Images", done in
Lab rather than their l-alpha-beta). Every pixel goes through the same
per-channel affine map, so edges, shading and text on the product stay
exactly where they were; only the palette changes. A warm sepia painting
gives "warm retro", a pale blue-grey photo gives "cool minimal".

Guards keep product photos looking like the product:
- the change of spread per channel is capped (``max_contrast_ratio`` for
  lightness, ``max_colour_ratio`` for a*/b*), and mean lightness moves by at
  most ``max_lightness_shift``: the look is mostly the reference's palette,
  while a black product stays dark and a white one light;
- statistics ignore transparent pixels (a cut-out's hidden background
  carries no meaning) when a mask is given.

Fast on CPU: statistics come from small copies, the map itself is a few
vector operations (about 0.1 s at 1024 px on one core).
"""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image
from skimage.color import lab2rgb, rgb2lab

from .images import LoadedImage
from .metrics import as_float_rgb

__all__ = ["LabStats", "lab_statistics", "tone_transfer"]

# Statistics are taken on copies this small: plenty for a mean and a spread.
_STATS_SIDE = 256
_EPS = 1e-3


class LabStats:
    """Mean and standard deviation of L*, a*, b* (each shape (3,))."""

    __slots__ = ("mean", "std")

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)

    def __repr__(self) -> str:
        return f"LabStats(mean={np.round(self.mean, 2).tolist()}, std={np.round(self.std, 2).tolist()})"


def lab_statistics(image: Image.Image | np.ndarray | LoadedImage, mask: np.ndarray | None = None) -> LabStats:
    """Lab mean and spread of an image (over ``mask`` > 0.5 only, when given; alpha is used as the mask)."""
    if isinstance(image, LoadedImage) and mask is None:
        mask = image.alpha
    if isinstance(image, Image.Image) and mask is None and image.mode in ("RGBA", "LA", "PA"):
        mask = np.asarray(image.convert("RGBA").getchannel("A"), dtype=np.float32) / 255.0
    rgb = _rgb_of(image)
    # A strided copy at most _STATS_SIDE on the long edge: cheap and unbiased for a mean and a spread.
    step = max(1, int(np.ceil(max(rgb.shape[:2]) / _STATS_SIDE)))
    lab = _to_lab(rgb[::step, ::step]).reshape(-1, 3)
    if mask is not None:
        mask = np.asarray(mask, dtype=np.float32)
        if mask.shape != rgb.shape[:2]:
            raise ValueError(f"mask shape {mask.shape} does not match the image {rgb.shape[:2]}")
        keep = (mask[::step, ::step] > 0.5).reshape(-1)
        if keep.sum() >= 16:  # an almost empty mask says nothing: fall back to the whole image
            lab = lab[keep]
    return LabStats(lab.mean(axis=0), lab.std(axis=0))


def tone_transfer(
    content_rgb: np.ndarray,
    reference_rgb: np.ndarray | Image.Image | LoadedImage | LabStats,
    strength: float = 1.0,
    *,
    content_mask: np.ndarray | None = None,
    max_contrast_ratio: float = 1.5,
    max_colour_ratio: float = 2.0,
    max_lightness_shift: float = 20.0,
) -> np.ndarray:
    """Move ``content_rgb``'s Lab mean and spread toward ``reference_rgb``'s; float (H, W, 3) in 0..1 out.

    ``strength`` 0 returns the content unchanged, 1 matches the reference's
    statistics fully (within the contrast cap); values between interpolate
    the target statistics, so half strength is half the colour shift.
    ``reference_rgb`` may also be precomputed :class:`LabStats` (a style's
    statistics do not change between photos). ``content_mask`` (H, W):
    pixels that belong to the photo (its alpha); others are still mapped but
    do not count in the statistics.

    Guards for product photos: the lightness spread changes by at most
    ``max_contrast_ratio`` (either way), the colour spreads by at most
    ``max_colour_ratio``, and mean lightness moves at most
    ``max_lightness_shift`` (L* units, 0..100): a black laptop toned after a
    pale painting gets the painting's palette, not a grey-beige body.
    """
    content = np.asarray(content_rgb, dtype=np.float32)
    if content.ndim != 3 or content.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) array, got shape {content.shape}")
    s = min(max(float(strength), 0.0), 1.0)
    if s == 0.0:
        return content.copy()

    source = lab_statistics(content, content_mask)
    target = reference_rgb if isinstance(reference_rgb, LabStats) else lab_statistics(reference_rgb)

    caps = np.array([max_contrast_ratio, max_colour_ratio, max_colour_ratio])
    ratio = np.clip(target.std / np.maximum(source.std, _EPS), 1.0 / caps, caps)
    shift = target.mean - source.mean
    shift[0] = np.clip(shift[0], -max_lightness_shift, max_lightness_shift)
    # Interpolate the map itself: strength s moves the mean by s of the way
    # and the spread by s of the (log) way, so s=0.5 is a visually half-way look.
    gain = ratio**s
    mean = source.mean + s * shift

    lab = _to_lab(content)
    mapped = (lab - source.mean) * gain + mean
    mapped[..., 0] = np.clip(mapped[..., 0], 0.0, 100.0)
    return _to_rgb(mapped)


def _rgb_of(image: Image.Image | np.ndarray | LoadedImage) -> np.ndarray:
    if isinstance(image, LoadedImage):
        return image.rgb
    if isinstance(image, Image.Image):
        # Statistics of what is visible: colour of opaque pixels, no white compositing.
        return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return as_float_rgb(image)


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    return rgb2lab(np.clip(rgb, 0.0, 1.0).astype(np.float32))


def _to_rgb(lab: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        # Out-of-gamut colours are clipped by lab2rgb, which warns about each; clipping is what we want.
        warnings.simplefilter("ignore", UserWarning)
        rgb = lab2rgb(lab)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)
