"""Gates a restyled photo must pass before a shopper sees it, on what a shopper sees.

``judge(original, variant, mask)`` measures three things and says in plain sentences, with
the numbers as compared, why a variant fails:

* **colour**: the product region's colour shift, CIE76 ΔE (Euclidean distance in CIELAB,
  the measure the issue's figures use) between the original's and the variant's
  mask-weighted mean colour (``colour_mean_de``, limit ``colour_limit``, default 10), and
  the largest shift of the region's dominant colours (``colour_dominant_de``: k-means with
  3 clusters on the original's product pixels, each cluster with at least 10 % of the
  region compared with the same pixels in the variant; limit 1.5 x ``colour_limit``, as a
  cluster mean is noisier than the region mean). Not applied to artistic styles, which
  recolour products by choice.
* **structure**: luminance SSIM (Gaussian window, sigma 1.5) at 128 px on the long edge,
  averaged over the product region only (``region_ssim``, floor ``structure_floor``).
* **visibly styled**: ``scene_change``, the mean per-pixel CIE76 ΔE between original and
  variant over the scene (outside the product), both shrunk to 128 px so sensor noise and
  JPEG grain do not count; when the scene is under 10 % of the frame (a cut-out, a product
  filling the photo) over the whole frame. Under ``min_scene_change`` the "style" did not
  visibly change the photo and is not sold as a style.

An untrusted mask (confidence under ``LOW_CONFIDENCE``) or no mask: the region is the
whole frame (``region="whole frame"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from .segment import ProductMask

__all__ = [
    "DEFAULT_COLOUR_LIMIT",
    "DEFAULT_MIN_SCENE_CHANGE",
    "DEFAULT_STRUCTURE_FLOOR",
    "GATE_SIDE",
    "GateReport",
    "judge",
]

DEFAULT_COLOUR_LIMIT = 10.0
DEFAULT_STRUCTURE_FLOOR = 0.35
DEFAULT_MIN_SCENE_CHANGE = 4.0
DOMINANT_FACTOR = 1.5
# Colour is measured at this long edge (plenty for means; fast).
GATE_SIDE = 256
STRUCTURE_SIDE = 128
_MIN_SCENE_SHARE = 0.10
_MIN_CLUSTER_SHARE = 0.10


@dataclass(frozen=True)
class GateReport:
    """What the gates measured on one variant and whether it may be shown."""

    colour_mean_de: float  # CIE76 ΔE of the product region's mean colour
    colour_dominant_de: float  # largest CIE76 ΔE of the region's dominant colours
    region_ssim: float  # luminance SSIM over the product region at 128 px
    scene_change: float  # mean CIE76 ΔE per pixel over the scene at 128 px
    passed: bool
    reasons: tuple[str, ...]
    region: str = "product"  # "product" or "whole frame" (no trusted mask)
    colour_checked: bool = True
    frame_ssim: float = 0.0  # luminance SSIM over the whole frame at 128 px (the same SSIM map)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the variant row."""
        return {
            "colour_mean_de": round(self.colour_mean_de, 2),
            "colour_dominant_de": round(self.colour_dominant_de, 2),
            "region_ssim": round(self.region_ssim, 4),
            "scene_change": round(self.scene_change, 2),
            "passed": self.passed,
            "reasons": list(self.reasons),
            "region": self.region,
            "colour_checked": self.colour_checked,
            "frame_ssim": round(self.frame_ssim, 4),
        }

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def judge(
    original: Image.Image | np.ndarray,
    variant: Image.Image | np.ndarray,
    mask: ProductMask | None,
    *,
    colour_limit: float = DEFAULT_COLOUR_LIMIT,
    structure_floor: float = DEFAULT_STRUCTURE_FLOOR,
    min_scene_change: float = DEFAULT_MIN_SCENE_CHANGE,
    check_colour: bool = True,
) -> GateReport:
    """Measure a variant against its original (float RGB arrays in 0..1 or images, as shoppers see them)."""
    from .metrics import as_float_rgb
    from .product_true import rgb_to_lab

    original_rgb, variant_rgb = as_float_rgb(original, copy=False), as_float_rgb(variant, copy=False)
    height, width = original_rgb.shape[:2]
    trusted = mask is not None and mask.trusted
    full_alpha = mask.resized(width, height).alpha if trusted else np.ones((height, width), np.float32)

    shape = _fit(height, width, GATE_SIDE)
    alpha = _area(full_alpha, shape)
    original_lab, variant_lab = rgb_to_lab(_area(original_rgb, shape)), rgb_to_lab(_area(variant_rgb, shape))
    weight = alpha.sum()
    if weight < 1.0:
        alpha, weight = np.ones(shape, np.float32), float(np.prod(shape))
    # Mask-weighted means as one product each (a weighted sum over two axes was 4x slower).
    mean_before = alpha.reshape(-1) @ original_lab.reshape(-1, 3) / weight
    mean_after = alpha.reshape(-1) @ variant_lab.reshape(-1, 3) / weight
    mean_de = float(np.linalg.norm(mean_after - mean_before))
    dominant_de = _dominant_shift(original_lab, variant_lab, alpha)

    # Each picture shrunk to 128 px once, for both the structure and the scene measures.
    small = _fit(height, width, STRUCTURE_SIDE)
    alpha_small = _area(full_alpha, small)
    original_small, variant_small = _area(original_rgb, small), _area(variant_rgb, small)
    region_ssim, frame_ssim = _region_ssim(original_small, variant_small, alpha_small)
    scene_change = _scene_change(original_small, variant_small, alpha_small)

    reasons = []
    if check_colour:
        if mean_de > colour_limit:
            reasons.append(f"the product's colour moved ΔE {mean_de:.1f} (limit {colour_limit:g})")
        dominant_limit = DOMINANT_FACTOR * colour_limit
        if dominant_de > dominant_limit:
            reasons.append(f"one of the product's main colours moved ΔE {dominant_de:.1f} (limit {dominant_limit:g})")
    if structure_floor and region_ssim < structure_floor:
        reasons.append(f"the product's shape is hard to recognise: SSIM {region_ssim:.2f} (floor {structure_floor:g})")
    if min_scene_change and scene_change < min_scene_change:
        reasons.append(
            f"the style barely changed the photo: mean ΔE {scene_change:.1f} (needs at least {min_scene_change:g})"
        )
    return GateReport(
        colour_mean_de=mean_de,
        colour_dominant_de=dominant_de,
        region_ssim=region_ssim,
        scene_change=scene_change,
        passed=not reasons,
        reasons=tuple(reasons),
        region="product" if trusted else "whole frame",
        colour_checked=check_colour,
        frame_ssim=frame_ssim,
    )


_KMEANS_SAMPLE = 8192


def _dominant_shift(original_lab: np.ndarray, variant_lab: np.ndarray, alpha: np.ndarray) -> float:
    from .segment import nearest_centre

    core = alpha > 0.5
    if core.sum() < 30:
        core = alpha > 0.0
    chosen = np.flatnonzero(core)
    if len(chosen) < 3:
        before, after = original_lab.reshape(-1, 3)[chosen], variant_lab.reshape(-1, 3)[chosen]
        return float(np.linalg.norm(after.mean(axis=0) - before.mean(axis=0))) if len(chosen) else 0.0
    # Dominant colours and their shifts from an even stride of the region: k-means over
    # every pixel cost 0.1 s per try at 512 px. Against 16k samples, 8k moved the largest
    # shift by at most 0.8 ΔE on the demo's 378 variants (95 % within 0.2); 4k by up to 5.
    chosen = chosen[:: max(1, len(chosen) // _KMEANS_SAMPLE)]
    before, after = original_lab.reshape(-1, 3)[chosen], variant_lab.reshape(-1, 3)[chosen]
    centres = _dominant_colours(before, k=3)
    labels = nearest_centre(before, centres)
    worst = 0.0
    for c in range(len(centres)):
        members = labels == c
        if members.mean() < _MIN_CLUSTER_SHARE:
            continue
        shift = float(np.linalg.norm(after[members].mean(axis=0) - before[members].mean(axis=0)))
        worst = max(worst, shift)
    return worst


def _dominant_colours(points: np.ndarray, k: int, rounds: int = 8) -> np.ndarray:
    """The segmentation's k-means (same start, same Lloyd rounds) run by OpenCV.

    It runs on every variant try, where numpy's rounds cost ~2 ms more per call (a tenth of
    product-true's own work); the dominant shifts came out identical on 126 demo variants.
    The segmentation keeps numpy's, whose empty-cluster handling its stored masks were made with.
    """
    import cv2

    from .segment import kmeans_start, nearest_centre

    points = np.ascontiguousarray(points, dtype=np.float32)
    labels = nearest_centre(points, kmeans_start(points, k)).astype(np.int32).reshape(-1, 1)
    criteria = (cv2.TERM_CRITERIA_MAX_ITER, rounds, 0.0)
    _, _, centres = cv2.kmeans(points, k, labels, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    return centres


def _region_ssim(original_rgb: np.ndarray, variant_rgb: np.ndarray, alpha: np.ndarray) -> tuple[float, float]:
    """SSIM over the product region and over the whole frame, from one SSIM map."""
    from skimage.metrics import structural_similarity

    from .images import luminance

    a, b = luminance(original_rgb), luminance(variant_rgb)
    if min(a.shape) < 7:
        score = float(1.0 - np.abs(a - b).mean())
        return score, score
    # The frame's score is the one content_ssim gives (the map's mean away from its edges).
    frame, ssim_map = structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, full=True
    )
    frame = float(frame)
    weight = alpha.sum()
    return (float((ssim_map * alpha).sum() / weight) if weight >= 1.0 else frame), frame


def _scene_change(original_rgb: np.ndarray, variant_rgb: np.ndarray, alpha: np.ndarray) -> float:
    from .product_true import rgb_to_lab

    per_pixel = np.linalg.norm(rgb_to_lab(variant_rgb) - rgb_to_lab(original_rgb), axis=2)
    scene = 1.0 - alpha
    if scene.mean() < _MIN_SCENE_SHARE:
        return float(per_pixel.mean())
    return float((per_pixel * scene).sum() / scene.sum())


def _fit(height: int, width: int, side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _area(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Area-average resize (what a shrunken thumbnail shows; no ringing)."""
    import cv2

    if values.shape[:2] == tuple(shape):
        return np.asarray(values, np.float32)
    out = cv2.resize(np.ascontiguousarray(values, dtype=np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return out
