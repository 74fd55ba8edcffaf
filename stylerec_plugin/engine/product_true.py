"""Product-true rendering: the scene gets the whole style, the product keeps its own colours.

A shop shows the restyled photo in place of the product's own, so the product must still
look as sold. ``compose_product_true`` takes the photo, the network's whole-frame output
and a :class:`~stylerec_plugin.engine.segment.ProductMask`, and, in CIELAB:

* outside the product: the styled pixels as they are;
* on the product: the original's chroma (a*, b*) and the styled lightness remapped onto the
  original region's lightness distribution (quantile matching); the style's broad light
  then moves the product's tones by at most about 12 L* and its fine texture by about 20
  (smooth limits), so the brushwork and light show as texture but the product's tones and
  colour stay its own;
* between them: the mask's feathered edge blends the two, so there is no cut-out rim;
* just outside the product (a band 5 % of the long edge wide): the networks paint a light
  glow along strong edges, which reads as a sticker's rim round a product. There the scene's
  broad colour is taken from beyond the band (a normalised blur) and only its fine texture
  from the styled pixels, blending back to the styled scene across the band.

A mask below ``LOW_CONFIDENCE`` is not trusted to cut: the whole frame is then treated as
product (a colour-preserving whole-frame render), never a hard cut along a doubtful edge.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .segment import ProductMask

__all__ = ["compose_product_true", "compose_product_true_array", "rgb_to_lab", "lab_to_rgb"]

# Quantiles used to match the product's lightness distribution (enough for smooth tone curves).
_QUANTILES = np.linspace(0.0, 1.0, 65)
# How far (L*, the scales of smooth limits) the style's broad light and its fine texture may
# move a product's lightness, and the blur (share of the long edge) that tells them apart.
_LIGHT_REACH = 12.0
_TEXTURE_REACH = 20.0
_LIGHT_SCALE = 0.01
# Pixels with less mask than this are left exactly as styled (and skipped: speed).
_TOUCHED = 1.0 / 255.0
# The halo band outside the product, as a share of the long edge, and the fine texture kept there (px).
_HALO_BAND = 0.05
_HALO_TEXTURE_SIGMA = 2.0
# The weight under which the band's broad colour turns to the scene's own (see _remove_halo).
_NO_WEIGHT = 1e-3


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB float (H, W, 3) in 0..1 to CIELAB (D65): L 0..100, a*/b* about -128..127 (OpenCV, fast)."""
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(np.clip(rgb, 0.0, 1.0), dtype=np.float32), cv2.COLOR_RGB2Lab)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    import cv2

    rgb = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2RGB)
    return np.clip(rgb, 0.0, 1.0)


def compose_product_true(original: Image.Image, styled: Image.Image, mask: ProductMask) -> Image.Image:
    """The product-true variant as an RGB image at the original's size (see the module docstring)."""
    from .metrics import as_float_rgb

    original_rgb = as_float_rgb(original)
    styled_rgb = as_float_rgb(styled)
    height, width = original_rgb.shape[:2]
    if styled_rgb.shape[:2] != (height, width):
        styled_rgb = np.asarray(
            Image.fromarray(_u8(styled_rgb)).resize((width, height), Image.Resampling.LANCZOS), np.float32
        ) / np.float32(255.0)
    alpha = _effective_alpha(mask, width, height)
    return Image.fromarray(_u8(compose_product_true_array(original_rgb, styled_rgb, alpha)))


def _effective_alpha(mask: ProductMask, width: int, height: int) -> np.ndarray:
    if not mask.trusted:
        return np.ones((height, width), np.float32)
    return mask.resized(width, height).alpha


def compose_product_true_array(
    original_rgb: np.ndarray, styled_rgb: np.ndarray, alpha: np.ndarray, *, match_lightness: bool = True
) -> np.ndarray:
    """Array form: float RGB (H, W, 3) in 0..1, same sizes, ``alpha`` (H, W) already trusted.

    ``match_lightness=False`` keeps only the original's chroma on the product (an enhancement,
    whose whole point is the product's light).
    """
    touched = alpha > _TOUCHED
    if not touched.any():
        return np.clip(styled_rgb, 0.0, 1.0).astype(np.float32)
    rows, cols = np.flatnonzero(touched.any(axis=1)), np.flatnonzero(touched.any(axis=0))
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))  # only the product's box is converted
    out = np.clip(styled_rgb, 0.0, 1.0).astype(np.float32, copy=False)
    original_lab = rgb_to_lab(original_rgb[box])
    styled_lab = rgb_to_lab(out[box])
    if match_lightness:
        own = original_lab[..., 0]
        shift = _matched_lightness(styled_lab[..., 0], own, alpha[box]) - own
        # Matching the distribution alone let the style swap tones within the product (a
        # chair's light grey shell painted dark where its black seat turned light). So the
        # style's broad light may move a product's tones only so far (a smooth limit),
        # while its fine texture (what a small blur takes out) passes within a wider one.
        broad, broad_limited = _broad_light(shift, _LIGHT_SCALE * max(alpha.shape))
        original_lab[..., 0] = own + broad_limited + _soft_limit(shift - broad, _TEXTURE_REACH)
    else:
        original_lab[..., 0] = styled_lab[..., 0]
    # original_lab now holds the product's target (styled texture and light, its own chroma).
    if (alpha >= 1.0).all():  # the whole frame is product (an untrusted mask's fallback): nothing to blend
        return lab_to_rgb(original_lab)
    # Blend it over the styled pixels by the mask, in place (this runs on every variant try).
    original_lab -= styled_lab
    original_lab *= alpha[box][..., None]
    styled_lab += original_lab
    # Scene pixels stay exactly as styled (no Lab round trip).
    np.copyto(out[box], lab_to_rgb(styled_lab), where=touched[box][..., None])
    if match_lightness:
        _remove_halo(out, alpha)
    return out


def _remove_halo(rgb: np.ndarray, alpha: np.ndarray) -> None:
    """Replace the glow in the band just outside the product, in ``rgb`` itself (module docstring).

    Runs on every variant try, so in OpenCV (distance, blurs, resize): the SciPy forms of
    the same steps took 35-50 ms at 512 px.
    """
    import cv2

    height, width = alpha.shape
    band = max(3.0, _HALO_BAND * max(height, width))
    product = alpha > 0.5
    if not product.any() or product.all():
        return
    rows, cols = np.flatnonzero(product.any(axis=1)), np.flatnonzero(product.any(axis=0))
    # The band, and the blur reaching about 2 bands beyond it: work in that box only.
    pad = int(band) + 1 + int(3 * band)
    top, bottom = max(0, rows[0] - pad), min(height, rows[-1] + 1 + pad)
    left, right = max(0, cols[0] - pad), min(width, cols[-1] + 1 + pad)
    crop = np.array(rgb[top:bottom, left:right], dtype=np.float32, copy=True)
    inside = product[top:bottom, left:right]
    distance = cv2.distanceTransform((~inside).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    beyond = (distance >= band).astype(np.float32)
    # Broad colour from beyond the band, by normalised convolution at a quarter of the size.
    step, sigma = 4, band / 4
    small = np.ascontiguousarray(crop[::step, ::step])
    weights = _blur(np.ascontiguousarray(beyond[::step, ::step]), sigma)
    broad = _blur(np.ascontiguousarray(small * beyond[::step, ::step, None]), sigma)
    # Where nothing beyond the band is within the blur's reach (inside a skipping rope's loops,
    # between a stool's legs) the normalised blur has no weight and went black: there the
    # scene's own broad colour (outside the product) stands in, blended in as the weight fades.
    scene = (~inside[::step, ::step]).astype(np.float32)
    own = _blur(np.ascontiguousarray(small * scene[..., None]), sigma)
    own /= np.maximum(_blur(scene, sigma), 1e-3)[..., None]
    broad = (broad + _NO_WEIGHT * own) / (weights + _NO_WEIGHT)[..., None]
    broad = cv2.resize(broad, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR)
    # Only the band's pixels change: inside the product and beyond the band the crop stays
    # as it is, so the arithmetic runs on those pixels alone (a third of the box or less).
    ring = np.flatnonzero((distance > 0.0) & (distance < band))
    styled = crop.reshape(-1, 3)[ring]
    texture = styled - _blur(crop, _HALO_TEXTURE_SIGMA).reshape(-1, 3)[ring]
    # Replaced outright over the band's inner 60 % (where the glow sits), blending back to
    # the styled scene over the rest.
    ramp = np.clip((distance.reshape(-1)[ring] / band - 0.6) / 0.4, 0.0, 1.0)
    ramp = (ramp * ramp * (3.0 - 2.0 * ramp))[:, None]
    replaced = crop.reshape(-1, 3)  # a view of the copy: written in place, then put back
    replaced[ring] = ramp * styled + (1.0 - ramp) * np.clip(broad.reshape(-1, 3)[ring] + texture, 0.0, 1.0)
    rgb[top:bottom, left:right] = crop


def _broad_light(shift: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """The broad part of a lightness shift (a blur of ``sigma`` px) and the same part soft-limited.

    Both at a quarter of the size and brought back by linear interpolation (the broad part
    holds nothing finer): a full-size blur over a whole-frame fallback cost ~3 ms per try.
    """
    import cv2

    height, width = shift.shape
    small_size = (max(1, width // 4), max(1, height // 4))
    small = cv2.resize(np.ascontiguousarray(shift, dtype=np.float32), small_size, interpolation=cv2.INTER_AREA)
    small = _blur(small, max(0.5, sigma / 4.0))
    back = (width, height)
    broad = cv2.resize(small, back, interpolation=cv2.INTER_LINEAR)
    limited = cv2.resize(_soft_limit(small, _LIGHT_REACH), back, interpolation=cv2.INTER_LINEAR)
    return broad, limited


def _soft_limit(values: np.ndarray, reach: float) -> np.ndarray:
    """``values`` squashed smoothly into (-reach, reach), unchanged near 0: x / sqrt(1 + (x / reach)^2).

    Not tanh: numpy's tanh may differ in the last bit with an array's memory alignment, and a
    variant must come out the same every time; square root and division are exact IEEE operations.
    """
    return values / np.sqrt(1.0 + (values / np.float32(reach)) ** 2)


def _blur(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with SciPy's reach (4 sigma) and mirrored edges."""
    import cv2

    size = 2 * int(4.0 * sigma + 0.5) + 1
    return cv2.GaussianBlur(values, (size, size), sigma, borderType=cv2.BORDER_REFLECT)


_QUANTILE_SAMPLE = 16384
_CURVE_STEPS = 4096
_CURVE_L = np.linspace(0.0, 100.0, _CURVE_STEPS, dtype=np.float32)


def _matched_lightness(styled_l: np.ndarray, original_l: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Styled lightness remapped so the product's lightness distribution is the original's (quantile matching)."""
    core = alpha > 0.5
    if core.sum() < 16:
        core = alpha > _TOUCHED
    styled_values, original_values = styled_l[core], original_l[core]
    # 65 quantiles are as well placed from an even stride of the region as from all of it,
    # at a fraction of the sort (a 512 px product region has ~100k pixels).
    stride = max(1, len(styled_values) // _QUANTILE_SAMPLE)
    source_q = _quantiles(styled_values[::stride])
    target_q = _quantiles(original_values[::stride])
    # np.interp needs increasing x: flat stretches of the styled lightness get a tiny ramp.
    source_q = np.maximum.accumulate(source_q + np.arange(len(source_q)) * 1e-4)
    # The tone curve read through a table of 4,096 lightness steps (0.025 L* apart): np.interp
    # over every pixel was the composition's largest cost.
    curve = np.interp(_CURVE_L, source_q, target_q).astype(np.float32)
    index = (styled_l * np.float32((_CURVE_STEPS - 1) / 100.0) + np.float32(0.5)).astype(np.int32)
    np.clip(index, 0, _CURVE_STEPS - 1, out=index)
    return curve.take(index)


def _quantiles(values: np.ndarray) -> np.ndarray:
    """``np.quantile(values, _QUANTILES)`` (linear method) from one sort: its multi-pivot partition was slower."""
    ordered = np.sort(values)
    return np.interp(_QUANTILES * (len(ordered) - 1), np.arange(len(ordered)), ordered)


def _u8(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
