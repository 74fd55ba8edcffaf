"""Where the product is in a product photo: a soft mask and how sure we are of it.

``find_product`` answers with a :class:`ProductMask` (float alpha, 1 = product, edge
feathered; a confidence in 0..1; the method that found it):

* a cut-out (a PNG/WebP with transparency) is its own mask: its alpha (method "alpha");
* otherwise the photo's border is the background model (e-commerce shots are taken on a
  seamless sweep, white or black, often with a gradient or vignette): every pixel's CIELAB
  distance to the border's colours *and* to a smooth (quadratic) background surface fitted
  to the border; far pixels seed "probably product", near ones "probably background", and
  OpenCV's GrabCut (``opencv-python-headless``) refines that at a working size of
  ``WORK_SIDE`` px (method "grabcut"). Holes are filled, specks dropped, the edge feathered;
* when that is doubtful because the border is a room, not a sweep, GrabCut is asked for the
  subject inside a rectangle just within the frame (method "grabcut-scene"), trusted only
  when it is one object clear of the frame's edge that the border model's mask agrees with;
* on black low-key the pieces visibly lighter than the black that touch the mask join it
  (method "grabcut+lit"): a dark product's unlit body keeps its colours too.
* on a flat coloured sweep, mask pixels of the sweep's own colour (inside a rope's loops,
  between a stool's legs) go back to the scene, which the smoothing and hole filling took in.

The confidence says how well the mask separates product from background (a clean border,
a product that stands out from it, a plausible size, not bleeding off every edge). Below
``LOW_CONFIDENCE`` the renderer does not trust the mask: it renders the whole frame
colour-preserving instead of cutting along a doubtful edge.

An admin's mask (``mask_from_upload``) always wins: confidence 1, method "uploaded".
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from .errors import ImageInputError

__all__ = [
    "LOW_CONFIDENCE",
    "SEGMENT_VERSION",
    "WORK_SIDE",
    "ProductMask",
    "find_product",
    "find_product_array",
    "full_frame_mask",
    "mask_from_upload",
]

# Stored with every computed mask; bump it when masks change, so stored ones are computed again.
SEGMENT_VERSION = "segment-4"
# Under this confidence the mask is not used to cut: the render falls back to whole-frame colour preservation.
LOW_CONFIDENCE = 0.45
# Long edge GrabCut runs at: enough for a product's outline, ~0.1 s on one core.
WORK_SIDE = 256
# Under this share of "clearly not background" pixels the subject is faint (white on white, black on black).
_FAINT_SUBJECT = 0.005
# A border darker than this lightness (CIELAB L*) is a black low-key sweep.
_LOW_KEY_L = 20.0
# How much lighter than that black (L*) a pixel must be to count as lit: a dark product's body.
_LIT_MARGIN = 4.0
# Long edge of the lifestyle-shot cut (_scene_cut), and how much of the band inside its
# rectangle the subject may cover before it counts as running off the frame.
SCENE_SIDE = 320
_SCENE_TOUCH = 0.12
# The share of the border model's mask that must lie inside the cut for it to be trusted.
_SCENE_AGREEMENT = 0.8
# A border lighter than this lightness (CIELAB L*) is a white or light sweep (see _grabcut).
_LIGHT_L = 75.0
# A border at least this saturated (median CIELAB chroma) and at most this uneven (75th
# percentile of its distance to the background model) is a flat coloured sweep; mask pixels
# nearer to it than this share of the product margin are the sweep seen through the product.
_COLOURED_SWEEP_CHROMA = 15.0
_FLAT_SWEEP_NOISE = 4.0
_GAP_MARGIN = 0.75
# Feather radius (Gaussian sigma) as a fraction of the long edge: ~2 px at 800 px.
_FEATHER = 0.0025


@dataclass(frozen=True)
class ProductMask:
    """A soft product mask: ``alpha`` float32 (H, W) in 0..1, 1 = product."""

    alpha: np.ndarray
    confidence: float
    method: str

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as PIL gives sizes."""
        return int(self.alpha.shape[1]), int(self.alpha.shape[0])

    @property
    def coverage(self) -> float:
        """Fraction of the frame that is product."""
        return float(self.alpha.mean())

    @property
    def trusted(self) -> bool:
        """Confident enough to render product and scene differently."""
        return self.confidence >= LOW_CONFIDENCE

    def to_png(self) -> bytes:
        """The alpha as an 8-bit greyscale PNG (confidence and method are stored beside it)."""
        buffer = io.BytesIO()
        Image.fromarray(_to_uint8(self.alpha), "L").save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()

    @classmethod
    def from_png(cls, data: bytes, confidence: float, method: str) -> ProductMask:
        """Read back what :meth:`to_png` wrote."""
        try:
            with Image.open(io.BytesIO(data)) as image:
                alpha = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
        except (UnidentifiedImageError, OSError) as exc:
            raise ImageInputError("the stored product mask cannot be read") from exc
        return cls(alpha=alpha, confidence=float(confidence), method=str(method))

    def resized(self, width: int, height: int) -> ProductMask:
        """The same mask at another size (bilinear, so the feathered edge stays soft)."""
        if (width, height) == self.size:
            return self
        image = Image.fromarray(self.alpha.astype(np.float32), "F").resize((int(width), int(height)), Image.BILINEAR)
        alpha = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
        return ProductMask(alpha=alpha, confidence=self.confidence, method=self.method)


def full_frame_mask(width: int, height: int, confidence: float = 0.0, method: str = "whole-frame") -> ProductMask:
    """Everything is product: what the low-confidence fallback treats the photo as."""
    return ProductMask(alpha=np.ones((int(height), int(width)), np.float32), confidence=confidence, method=method)


# --------------------------------------------------------------------------- finding the product


def find_product(image: Image.Image) -> ProductMask:
    """Segment the product of a product photo (see the module docstring). Mask at the image's size."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        rgb, alpha = rgba[..., :3], rgba[..., 3]
    else:
        rgb, alpha = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0, None
    return find_product_array(rgb, alpha)


def find_product_array(rgb: np.ndarray, alpha: np.ndarray | None = None) -> ProductMask:
    """:func:`find_product` on float RGB (H, W, 3) in 0..1 and an optional alpha (H, W)."""
    height, width = rgb.shape[:2]
    if alpha is not None and _is_cutout(alpha):
        return ProductMask(alpha=np.clip(alpha, 0.0, 1.0).astype(np.float32), confidence=1.0, method="alpha")
    if alpha is not None:
        a = alpha[..., None]
        rgb = rgb * a + (1.0 - a)  # mostly opaque: judge it as shown, on white
    if min(height, width) < 8:
        return full_frame_mask(width, height, 0.0, "too-small")

    scale = min(1.0, WORK_SIDE / max(height, width))
    work_shape = (max(8, round(height * scale)), max(8, round(width * scale)))
    small = _resize(rgb, work_shape)
    hard, confidence, lightness, border_lightness = _segment_small(small)
    method = "grabcut"
    if confidence < LOW_CONFIDENCE:
        # The border is no background model (a room, a desk, a lit stage): ask GrabCut for the
        # subject inside the frame instead, and trust it only when it is one clear object.
        scene = _scene_cut(rgb, hard)
        if scene is not None:
            hard, confidence, method = scene[0], scene[1], "grabcut-scene"
    elif (black := border_lightness) < _LOW_KEY_L:
        # Black low-key: only the lit or coloured parts of a dark product (the fans of a black
        # PC case, the coloured keys of a keyboard) clear the border model's margin, and the
        # dark rest would take the style, which paints the black light. So the mask takes in
        # everything visibly above the black that touches the product: more of the product
        # keeps its colours, none is given away. (Adding the subject cut here as well was
        # tried: it left dark blobs of background around small products.)
        hard = _without_backdrop_light(hard, lightness, black)
        lit = _lit_and_touching(lightness, hard, black)
        if (lit & ~hard).any():
            hard, method = hard | lit, "grabcut+lit"
    soft = _feather(_resize(hard.astype(np.float32), (height, width)), sigma=max(0.6, _FEATHER * max(height, width)))
    return ProductMask(alpha=soft, confidence=round(float(confidence), 4), method=method)


def _scene_cut(rgb: np.ndarray, border_mask: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The subject of a lifestyle shot: GrabCut from a rectangle just inside the frame.

    Trusted (confidence just over ``LOW_CONFIDENCE``) only when the result is one object of
    a plausible size that stays clear of the rectangle (a subject pressing on it runs off the
    frame, and a cut there would style part of the product) and the border model's mask
    agrees with it. The two masks' union is grown a little, so a doubtful edge keeps product
    colour rather than scene style. None when the cut is not to be trusted.
    """
    import cv2

    scale = min(1.0, SCENE_SIDE / max(rgb.shape[:2]))
    shape = (max(16, round(rgb.shape[0] * scale)), max(16, round(rgb.shape[1] * scale)))
    small = _resize(rgb, shape)
    height, width = shape
    inset_y, inset_x = max(2, round(0.06 * height)), max(2, round(0.06 * width))
    bgr = np.ascontiguousarray((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)[..., ::-1])
    labels = np.zeros(shape, np.uint8)
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(
            bgr,
            labels,
            (inset_x, inset_y, width - 2 * inset_x, height - 2 * inset_y),
            bgd_model,
            fgd_model,
            5,
            cv2.GC_INIT_WITH_RECT,
        )
    except cv2.error:
        return None
    mask = _clean((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD))
    coverage = float(mask.mean())
    if not 0.03 <= coverage <= 0.6:
        return None
    # A band just inside the rectangle: how much of it the subject covers.
    band = np.zeros(shape, bool)
    band[inset_y : height - inset_y, inset_x : width - inset_x] = True
    inner = ndimage.binary_erosion(band, iterations=max(2, round(0.03 * min(shape))))
    touch = float(mask[band & ~inner].mean())
    parts, count = ndimage.label(mask)
    largest = float(np.bincount(parts.ravel())[1:].max()) / float(mask.sum()) if count else 0.0
    if touch > _SCENE_TOUCH or largest < 0.6:
        return None
    # A second opinion: the border model's own (untrusted) mask must lie mostly inside the
    # cut. Where the two disagree (RAM running off the frame, a trowel in soil) neither is
    # trusted; a cut that misses part of the product would style its colours.
    work = _resize(mask.astype(np.float32), border_mask.shape) > 0.5
    # A border model that found nothing gives no second opinion (random clutter, a camera on
    # dark wood): the cut alone is not trusted then.
    if border_mask.mean() < 0.005 or (work & border_mask).sum() < _SCENE_AGREEMENT * border_mask.sum():
        return None
    grown = ndimage.binary_dilation(work | border_mask, iterations=max(1, round(0.015 * max(border_mask.shape))))
    confidence = LOW_CONFIDENCE + 0.15 * (1.0 - touch / _SCENE_TOUCH) * largest
    return grown, confidence


def _lit_and_touching(lightness: np.ndarray, mask: np.ndarray, black: float) -> np.ndarray:
    """Pixels visibly lighter (CIELAB L*) than a low-key photo's black, in pieces that touch ``mask``.

    A piece of light that fades softly into the black and holds no edges is the light on the
    backdrop (a spotlit wall, a lit court, a desk's reflection), not the product: it stays
    background (``_is_soft_glow``). Any other lit piece beside the product comes in, a lit
    wall with a chair in it too: it then keeps its own colours rather than the style's (less
    styled, never a product recoloured). Cutting the pieces at the mask's convex hull or box
    was tried: it left a PC case's dark side panel to the style, and a box edge across a lit wall.
    """
    lit = lightness > black + _LIT_MARGIN
    lit = ndimage.binary_fill_holes(ndimage.binary_closing(lit, iterations=2))
    pieces, count = ndimage.label(lit)
    if count == 0 or not mask.any():
        return np.zeros_like(mask)
    near = ndimage.binary_dilation(mask, iterations=max(1, round(0.02 * max(mask.shape))))
    touching = np.unique(pieces[near & lit])
    joined = np.isin(pieces, touching[touching > 0])
    return joined & ~_soft_glows(joined & ~mask, mask, lightness, black)


def _soft_glows(candidates: np.ndarray, product: np.ndarray, lightness: np.ndarray, black: float) -> np.ndarray:
    """The pieces of ``candidates`` that are backdrop light on a low-key photo (``_is_soft_glow``).

    Their outline is judged away from ``product`` (its own edge) and the frame (no edge there).
    """
    pieces, count = ndimage.label(candidates)
    glows = np.zeros_like(candidates)
    if count == 0:
        return glows
    gradient = np.hypot(ndimage.sobel(lightness, 1), ndimage.sobel(lightness, 0)) / 8.0  # L* per pixel
    steepest = ndimage.maximum_filter(gradient, 3)
    judged = ~ndimage.binary_dilation(product, iterations=2)
    judged[[0, -1], :] = judged[:, [0, -1]] = False
    for index in range(1, count + 1):
        region = pieces == index
        if _is_soft_glow(region, lightness, black, gradient, steepest, judged):
            glows |= region
    return glows


def _without_backdrop_light(mask: np.ndarray, lightness: np.ndarray, black: float) -> np.ndarray:
    """``mask`` without its separate pieces (all but the largest) that are backdrop light.

    GrabCut can take a patch of lit backdrop apart from the product for a second object (the
    blue-lit haze beside the lion statue); a second real object (the other glove, a second
    chair) has an edge all round and stays.
    """
    pieces, count = ndimage.label(mask)
    if count < 2:
        return mask
    sizes = ndimage.sum(mask, pieces, index=np.arange(1, count + 1))
    largest = pieces == (int(np.argmax(sizes)) + 1)
    return mask & ~_soft_glows(mask & ~largest, largest, lightness, black)


# A lit piece is backdrop light when under half its outline is an edge and under 5 % of its
# inside is: a spotlit wall or court fades out and holds nothing, a lit product panel ends in
# an edge, a lit wall with a chair in it holds the chair's outline. An edge is a lightness
# change per pixel of 30 % of the piece's rise above the black (a step edge spreads over
# about two pixels at the working size; a fade over many), capped at _EDGE_STEP L*.
_EDGE_STEP = 3.0
_EDGE_SHARE_OF_RISE = 0.3
_SHARP_OUTLINE = 0.5
_EDGES_INSIDE = 0.05


def _is_soft_glow(
    region: np.ndarray,
    lightness: np.ndarray,
    black: float,
    gradient: np.ndarray,
    steepest: np.ndarray,
    judged: np.ndarray,
) -> bool:
    outline = region & ~ndimage.binary_erosion(region, border_value=1) & judged
    if region.sum() < 20 or not outline.any():
        return False
    rise = float(np.median(lightness[region])) - black
    step = float(np.clip(_EDGE_SHARE_OF_RISE * rise, 1.0, _EDGE_STEP))
    inside = ndimage.binary_erosion(region, iterations=3, border_value=1) & judged
    edges_inside = float((gradient[inside] > _EDGE_STEP).mean()) if inside.any() else 0.0
    return float((steepest[outline] > step).mean()) < _SHARP_OUTLINE and edges_inside < _EDGES_INSIDE


def _border_median(values: np.ndarray) -> float:
    """Median of ``values`` over the frame's four outer 3 % strips (corners in two of them)."""
    strip = max(2, round(0.03 * min(values.shape[:2])))
    strips = [values[:strip], values[-strip:], values[:, :strip], values[:, -strip:]]
    return float(np.median(np.concatenate([part.ravel() for part in strips])))


def _is_cutout(alpha: np.ndarray) -> bool:
    """Enough transparent and enough opaque pixels that the alpha outlines something."""
    transparent = float((alpha < 0.5).mean())
    return 0.02 <= transparent <= 0.98


def _segment_small(rgb: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, float]:
    """Binary product mask and confidence at the working size, with the CIELAB lightness they
    were judged on and its border median (the low-key and light-sweep steps use both)."""
    from skimage.color import rgb2lab

    lab64 = rgb2lab(np.clip(rgb, 0.0, 1.0))
    lab = lab64.astype(np.float32)
    height, width = lab.shape[:2]
    strip = max(2, round(0.03 * min(height, width)))
    border = np.zeros((height, width), bool)
    border[:strip], border[-strip:], border[:, :strip], border[:, -strip:] = True, True, True, True

    distance = _background_distance(lab, border)
    border_noise = float(np.percentile(distance[border], 75))
    # Far from every background colour and the background surface: product. Chroma counts
    # double (weighted in _background_distance), so a grey shadow on white stays background-ish.
    threshold = max(10.0, 3.0 * border_noise)
    if (distance > threshold).mean() < _FAINT_SUBJECT:
        # Almost nothing stands out at the usual margin: a white product on white seamless, a black
        # one on black low-key. On such an even sweep a smaller margin (still well above its noise) works.
        threshold = max(4.0, 3.5 * border_noise)
    probable_fg = distance > threshold
    seed_fg = distance > 2.0 * threshold

    lightness = lab64[..., 0]
    border_lightness = _border_median(lightness)
    mask = _grabcut(rgb, distance, border, threshold, probable_fg, seed_fg, light_sweep=border_lightness >= _LIGHT_L)
    mask = _clean(mask)
    flat_coloured_sweep = border_noise <= _FLAT_SWEEP_NOISE and (
        _border_median(np.hypot(lab[..., 1], lab[..., 2])) >= _COLOURED_SWEEP_CHROMA
    )
    if flat_coloured_sweep:
        mask = _without_sweep_gaps(mask, distance, threshold)
    return mask, _confidence(mask, distance, border, threshold, border_noise), lightness, border_lightness


def _without_sweep_gaps(mask: np.ndarray, distance: np.ndarray, threshold: float) -> np.ndarray:
    """Give the sweep seen through the product back to the scene, on a flat coloured sweep only.

    GrabCut's smoothing at the working size and the hole filling take in the backdrop inside a
    skipping rope's loops and between a stool's legs, and it kept its own colour there while
    the rest of the backdrop was styled. On a flat coloured sweep a pixel of the sweep's own
    colour is the sweep, so it leaves the mask. Not on a neutral sweep, where a white or black
    product has parts of the backdrop's colour (a sole, a mouse's shell: tried, they were lost),
    nor on a textured one (turf, wood), where the match is too loose (a football's shaded
    underside, which reflects its turf, went too).
    """
    kept = mask & ~(distance < _GAP_MARGIN * threshold)
    if not kept.any():
        return mask  # all of it looked like the sweep: not a product seen through, keep GrabCut's answer
    return _without_specks(kept, 0.02)  # specks left between the gaps go too


def _background_distance(lab: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Per-pixel CIELAB distance to the background: min over border colour clusters and a smooth surface."""
    height, width = lab.shape[:2]
    weights = np.array([1.0, 1.6, 1.6], np.float32)  # chroma counts more than lightness (shadows, vignettes)
    samples = lab[border]
    # Colour clusters of the border (a two-tone sweep, a table edge): a few rounds of k-means.
    centres = _kmeans(samples * weights, k=4)
    flat = (lab * weights).reshape(-1, 3)
    cluster_d = np.sqrt(((flat[:, None, :] - centres[None]) ** 2).sum(axis=2)).min(axis=1).reshape(height, width)
    # A smooth surface through the border (gradient sweeps, vignettes, light falling off).
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    yy, xx = yy / height - 0.5, xx / width - 0.5
    basis = np.stack([np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy], axis=-1)
    coef, *_ = np.linalg.lstsq(basis[border], lab[border], rcond=None)
    surface = basis @ coef
    surface_d = np.sqrt((((lab - surface) * weights) ** 2).sum(axis=2))
    return np.minimum(cluster_d, surface_d).astype(np.float32)


def _kmeans(points: np.ndarray, k: int, rounds: int = 8) -> np.ndarray:
    """Deterministic k-means centres of ``points`` (N, dims) from ``kmeans_start``: the border's colours."""
    if len(points) <= k:
        return points.astype(np.float32)
    points = np.ascontiguousarray(points, dtype=np.float32)
    centres = kmeans_start(points, k)
    norms = np.einsum("ij,ij->i", points, points)
    for _ in range(rounds):
        labels = nearest_centre(points, centres, norms)
        # Means by bincount and distances by one matrix product: the broadcast (N, k, dims)
        # form cost 8 ms per gate call at 8k points, 3.4x this.
        counts = np.bincount(labels, minlength=k)
        for dim in range(points.shape[1]):
            sums = np.bincount(labels, weights=points[:, dim], minlength=k)
            centres[:, dim] = np.where(counts > 0, sums / np.maximum(counts, 1), centres[:, dim])
    return centres


def kmeans_start(points: np.ndarray, k: int) -> np.ndarray:
    """k starting centres: points at spread-out quantiles of the first column (lightness)."""
    order = np.argsort(points[:, 0])
    return points[order[np.linspace(0, len(points) - 1, k).astype(int)]].astype(np.float32)


def nearest_centre(points: np.ndarray, centres: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """Index of each point's nearest centre (squared Euclidean distance)."""
    if norms is None:
        norms = np.einsum("ij,ij->i", points, points)
    distances = norms[:, None] - 2.0 * (points @ centres.T) + np.einsum("ij,ij->i", centres, centres)[None]
    return distances.argmin(axis=1)


def _grabcut(
    rgb: np.ndarray,
    distance: np.ndarray,
    border: np.ndarray,
    threshold: float,
    probable_fg: np.ndarray,
    seed_fg: np.ndarray,
    *,
    light_sweep: bool = False,
) -> np.ndarray:
    import cv2
    from skimage.morphology import convex_hull_object

    if probable_fg.sum() < 16:
        return probable_fg
    gc = np.full(distance.shape, cv2.GC_PR_BGD, np.uint8)
    if light_sweep:
        # On a white sweep a product's white parts are the backdrop's colour (an instant camera's
        # front, a mouse's shell, a white pot) and the margin misses them. Inside each object's
        # convex hull GrabCut is asked to decide (probable product) rather than told backdrop;
        # its colour and edge terms keep what belongs to the product. Per object, so the
        # backdrop between several pots is not asked about.
        seeds = seed_fg if seed_fg.sum() >= 16 else probable_fg
        gc[convex_hull_object(seeds, connectivity=2)] = cv2.GC_PR_FGD
    gc[probable_fg] = cv2.GC_PR_FGD
    # The border is background only where it looks like background: a product running off the frame keeps its edge.
    gc[border & (distance < 0.5 * threshold)] = cv2.GC_BGD
    gc[seed_fg & ~border] = cv2.GC_FGD
    bgr = np.ascontiguousarray((np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)[..., ::-1])
    bgd_model, fgd_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's GMM initialisation is random: the same photo must give the same mask
    try:
        cv2.grabCut(bgr, gc, None, bgd_model, fgd_model, 4, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return probable_fg  # degenerate seeds (one class empty): the distance threshold is the best we have
    return (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)


def _clean(mask: np.ndarray) -> np.ndarray:
    """Fill holes (a mug's handle stays open only if it touches background), drop specks."""
    if not mask.any():
        return mask
    opened = ndimage.binary_opening(mask, iterations=1)
    # Opening drops specks; a thin product (a bike frame, a cable) would go with them, so keep it then.
    mask = opened if opened.sum() >= 0.5 * mask.sum() else mask
    if not mask.any():
        return mask
    return ndimage.binary_fill_holes(_without_specks(mask, 0.08))  # the product and its sizeable parts, not dust


def _without_specks(mask: np.ndarray, share: float) -> np.ndarray:
    """``mask`` without pieces under 12 px or under ``share`` of its largest piece (non-empty ``mask``)."""
    labels, count = ndimage.label(mask)
    sizes = ndimage.sum(mask, labels, index=np.arange(1, count + 1))
    keep = np.zeros(count + 1, bool)
    keep[1:] = sizes >= max(12.0, share * sizes.max())
    return keep[labels]


def _confidence(mask: np.ndarray, distance: np.ndarray, border: np.ndarray, threshold: float, noise: float) -> float:
    coverage = float(mask.mean())
    if coverage < 0.005 or mask.sum() < 16:
        return 0.0
    # Separation: how far the product sits from the background model, against the model's own noise.
    inside = float(np.median(distance[mask]))
    outside = float(np.percentile(distance[~mask], 90)) if (~mask).any() else threshold
    separation = np.clip((inside - outside) / max(2.0 * threshold, 1e-3), 0.0, 1.0)
    # A clean border (a studio sweep) is a trustworthy model; a busy one (a room) is not.
    cleanliness = np.clip(1.0 - (noise - 4.0) / 16.0, 0.0, 1.0)
    # A product filling nearly the whole frame, or one bleeding off most of the border, is doubtful.
    size_term = 1.0 if 0.02 <= coverage <= 0.75 else float(np.clip((0.95 - coverage) / 0.2, 0.0, 1.0))
    on_border = float(mask[border].mean())
    border_term = float(np.clip(1.0 - (on_border - 0.15) / 0.35, 0.0, 1.0))
    # Scattered fragments (the highlights of a dark bike on black) are not an outline of the product.
    labels, count = ndimage.label(mask)
    largest = float(np.bincount(labels.ravel())[1:].max()) / float(mask.sum()) if count else 0.0
    fragment_term = 1.0 if count <= 3 or largest >= 0.5 else 0.3
    terms = np.clip(0.15 + 0.85 * separation, 0, 1) * cleanliness * size_term * border_term * fragment_term
    return float(terms) ** 0.5


def _feather(mask: np.ndarray, sigma: float) -> np.ndarray:
    """Soft edge centred on the cut: blur, so the product's own edge pixels blend rather than ring."""
    return np.clip(ndimage.gaussian_filter(mask.astype(np.float32), sigma=sigma), 0.0, 1.0)


def _resize(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from .images import resize_array

    return np.clip(resize_array(values, shape), 0.0, 1.0) if values.shape[:2] != shape else values


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


# --------------------------------------------------------------------------- admin uploads


def mask_from_upload(data: bytes, size: tuple[int, int]) -> ProductMask:
    """An admin's mask for one photo: greyscale/1-bit (white = product) or an RGBA cut-out (its alpha).

    ``size`` is the (width, height) to return it at (the photo's). Raises
    :class:`ImageInputError` with a reason an admin can act on.
    """
    if not data:
        raise ImageInputError("the mask file is empty")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            if has_alpha:
                values = np.asarray(image.convert("RGBA"), dtype=np.float32)[..., 3] / 255.0
                if values.min() >= 1.0:  # an opaque RGBA: read it as a grey mask
                    has_alpha = False
            if not has_alpha:
                values = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
            source_size = image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageInputError("the mask is not an image file Pillow can read (use PNG)") from exc
    width, height = int(size[0]), int(size[1])
    src_ratio, ratio = source_size[0] / source_size[1], width / max(height, 1)
    if abs(src_ratio - ratio) > 0.02 * ratio:
        raise ImageInputError(
            f"the mask is {source_size[0]}x{source_size[1]} px but the photo is {width}x{height}: "
            "its shape must match the photo's"
        )
    product = float((values > 0.5).mean())
    if product < 0.001:
        raise ImageInputError("the mask marks no product (it is all black or fully transparent)")
    if product > 0.995:
        raise ImageInputError("the mask marks the whole photo as product (it is all white or fully opaque)")
    mask = ProductMask(alpha=values.astype(np.float32), confidence=1.0, method="uploaded")
    return mask.resized(width, height)
