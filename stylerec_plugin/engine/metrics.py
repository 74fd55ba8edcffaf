"""How much of the product survives a restyle: content SSIM and PSNR.

Full-resolution SSIM does not track whether a shopper still recognises the
product: brush texture and a palette change drag it down on outputs that are
obviously the same mug, while a blocky JPEG scores high. Comparing only the
*luminance* of both images shrunk to about 128 px on the long edge keeps the
shapes and shading that make a product recognisable and drops the texture,
and ranks stylized outputs the way a person does (measured; see
/work/shared/notes/engine-facts.md and docs/engine.md).

Inputs may be Pillow images, float arrays in 0..1 (H, W, 3 or 4, or H, W),
uint8 arrays, or :class:`~stylerec_plugin.engine.images.LoadedImage`; the
second image is resized to the first one's size when they differ (a network
may return a slightly different size). Transparent images are compared as a
shopper sees them: composited over white.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

from .images import LoadedImage, luminance, resize_array

__all__ = ["CONTENT_SSIM_SIDE", "PSNR_CAP_DB", "as_float_rgb", "content_ssim", "psnr"]

# Long edge both images are reduced to before SSIM.
CONTENT_SSIM_SIDE = 128
# SSIM's Gaussian window spans about 11 px; never compare anything thinner.
_MIN_SHORT_SIDE = 16
# Identical images have infinite PSNR; a finite cap keeps the value storable and JSON-safe.
PSNR_CAP_DB = 100.0

ImageLike = Image.Image | np.ndarray | LoadedImage


def content_ssim(original: ImageLike, output: ImageLike, *, side: int = CONTENT_SSIM_SIDE) -> float:
    """Luminance SSIM (Gaussian window, sigma 1.5) after resizing both to ``side`` px on the long edge.

    1.0 for identical images; near 0 when the structure is gone. Symmetric up
    to resizing (the output is brought to the original's aspect ratio).
    """
    reference = luminance(as_float_rgb(original))
    candidate = luminance(as_float_rgb(output))
    height, width = reference.shape
    scale = side / max(height, width)
    scale = max(scale, _MIN_SHORT_SIDE / min(height, width))
    shape = (max(1, round(height * scale)), max(1, round(width * scale)))
    reference = np.clip(resize_array(reference, shape), 0.0, 1.0)
    candidate = np.clip(resize_array(candidate, shape), 0.0, 1.0)
    # The Wang et al. (2004) settings: Gaussian weights, sigma 1.5, population covariance.
    score = structural_similarity(
        reference,
        candidate,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=1.0,
    )
    return float(score)


def psnr(original: ImageLike, output: ImageLike) -> float:
    """Peak signal-to-noise ratio in dB over the RGB channels at the original's size (peak = 1.0).

    Identical images give ``PSNR_CAP_DB`` (100 dB) instead of infinity.
    """
    reference = as_float_rgb(original)
    candidate = resize_array(as_float_rgb(output), reference.shape[:2])
    mse = float(np.mean((reference.astype(np.float64) - np.clip(candidate, 0.0, 1.0)) ** 2))
    if mse <= 0.0:
        return PSNR_CAP_DB
    return float(min(PSNR_CAP_DB, 10.0 * math.log10(1.0 / mse)))


def as_float_rgb(image: ImageLike, background: float = 1.0, *, copy: bool = True) -> np.ndarray:
    """Any supported image to float32 (H, W, 3) in 0..1; alpha is composited over ``background`` (white).

    ``copy=False``: a float32 (H, W, 3) array comes back as itself (for readers that never write to it).
    """
    alpha = None
    if isinstance(image, LoadedImage):
        rgb, alpha = image.rgb, image.alpha
    elif isinstance(image, Image.Image):
        if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
            array = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
            rgb, alpha = array[..., :3], array[..., 3]
        else:
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    else:
        array = np.asarray(image)
        array = array.astype(np.float32) / 255.0 if array.dtype == np.uint8 else array.astype(np.float32, copy=copy)
        if array.ndim == 2:
            rgb = np.repeat(array[..., None], 3, axis=2)
        elif array.ndim == 3 and array.shape[2] == 4:
            rgb, alpha = array[..., :3], array[..., 3]
        elif array.ndim == 3 and array.shape[2] == 3:
            rgb = array
        elif array.ndim == 3 and array.shape[2] == 1:
            rgb = np.repeat(array, 3, axis=2)
        else:
            raise ValueError(f"expected an image array of shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}")
    rgb = np.asarray(rgb, dtype=np.float32)
    if alpha is not None:
        a = np.asarray(alpha, dtype=np.float32)[..., None]
        rgb = rgb * a + np.float32(background) * (1.0 - a)
    return rgb
