"""Tone transfer: the reference's palette arrives, the product's structure stays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.stats import spearmanr

from stylerec_plugin.engine.images import load_image, luminance, to_pil
from stylerec_plugin.engine.metrics import content_ssim
from stylerec_plugin.engine.tone import LabStats, lab_statistics, tone_transfer

FIXTURES = Path(__file__).resolve().parents[2] / "demo_shop" / "fixtures"
PHOTOS = ["abel-y-costa-716024-unsplash.jpg", "florian-olivo-1166419-unsplash.jpg", "thomas-q-1229169-unsplash.jpg"]
PAINTINGS = ["great-wave_hokusai_1831.jpg", "starry-night_van-gogh_1889.jpg", "composition-viii_kandinsky_1923.jpg"]


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {name: load_image(FIXTURES / "products" / name, max_side=192).rgb for name in PHOTOS}


@pytest.fixture(scope="module")
def paintings() -> dict[str, np.ndarray]:
    return {name: load_image(FIXTURES / "styles" / name, max_side=192).rgb for name in PAINTINGS}


def _distance(stats: LabStats, target: LabStats) -> float:
    return float(np.abs(stats.mean - target.mean).sum() + np.abs(stats.std - target.std).sum())


@pytest.mark.parametrize("photo_name", PHOTOS)
@pytest.mark.parametrize("painting_name", PAINTINGS)
def test_tone_moves_colour_statistics_toward_the_reference_and_keeps_structure(
    photos, paintings, photo_name, painting_name
):
    photo, painting = photos[photo_name], paintings[painting_name]
    toned = tone_transfer(photo, painting)
    assert toned.shape == photo.shape and toned.dtype == np.float32

    target = lab_statistics(painting)
    before, after = _distance(lab_statistics(photo), target), _distance(lab_statistics(toned), target)
    assert after < 0.6 * before, f"only moved from {before:.1f} to {after:.1f}"

    # Structure: content SSIM stays high (the floor for restyles is 0.35) ...
    assert content_ssim(photo, toned) > 0.6
    # ... and the brightness order of pixels is (almost) untouched: the map is monotonic.
    sample = (slice(None, None, 3), slice(None, None, 3))
    rank = spearmanr(luminance(photo)[sample].ravel(), luminance(toned)[sample].ravel()).statistic
    assert rank > 0.97


def test_warm_and_cool_references_shift_the_cast_their_way(photos):
    photo = photos["thomas-q-1229169-unsplash.jpg"]
    warm = np.zeros((32, 32, 3), np.float32) + np.array([0.75, 0.55, 0.35], np.float32)
    warm[::2] *= 0.8  # some spread, like a sepia print
    cool = np.zeros((32, 32, 3), np.float32) + np.array([0.55, 0.65, 0.8], np.float32)
    cool[::2] *= 0.85
    base_b = lab_statistics(photo).mean[2]  # b*: + yellow, - blue
    assert lab_statistics(tone_transfer(photo, warm)).mean[2] > base_b + 10
    assert lab_statistics(tone_transfer(photo, cool)).mean[2] < base_b - 5


def test_strength_interpolates(photos, paintings):
    photo, painting = photos[PHOTOS[0]], paintings[PAINTINGS[1]]
    np.testing.assert_array_equal(tone_transfer(photo, painting, strength=0.0), photo)
    target = lab_statistics(painting)
    distances = [_distance(lab_statistics(tone_transfer(photo, painting, strength=s)), target) for s in (0, 0.5, 1)]
    assert distances[0] > distances[1] > distances[2]


def test_dark_product_stays_dark_under_a_pale_reference(photos, paintings):
    photo = photos["florian-olivo-1166419-unsplash.jpg"]  # black PC case on black
    toned = tone_transfer(photo, paintings["composition-viii_kandinsky_1923.jpg"])  # pale painting
    assert lab_statistics(toned).mean[0] <= lab_statistics(photo).mean[0] + 20.5


def test_reference_may_be_a_pil_image_or_precomputed_stats(photos, paintings):
    photo, painting = photos[PHOTOS[0]], paintings[PAINTINGS[0]]
    expected = tone_transfer(photo, painting)
    np.testing.assert_allclose(tone_transfer(photo, to_pil(painting)), expected, atol=2e-2)
    np.testing.assert_array_equal(tone_transfer(photo, lab_statistics(painting)), expected)


def test_transparent_pixels_do_not_count(photos, paintings):
    photo, painting = photos[PHOTOS[0]], paintings[PAINTINGS[0]]
    alpha = np.zeros(photo.shape[:2], np.float32)
    alpha[20:-20, 20:-20] = 1.0
    hidden_green = photo.copy()
    hidden_green[alpha == 0] = (0.0, 1.0, 0.0)
    hidden_black = photo.copy()
    hidden_black[alpha == 0] = 0.0
    first = tone_transfer(hidden_green, painting, content_mask=alpha)
    second = tone_transfer(hidden_black, painting, content_mask=alpha)
    np.testing.assert_allclose(first[alpha == 1], second[alpha == 1], atol=1e-5)


def test_deterministic_and_rejects_bad_shapes(photos, paintings):
    photo, painting = photos[PHOTOS[2]], paintings[PAINTINGS[2]]
    np.testing.assert_array_equal(tone_transfer(photo, painting), tone_transfer(photo, painting))
    with pytest.raises(ValueError):
        tone_transfer(photo[..., 0], painting)
    with pytest.raises(ValueError, match="mask"):
        tone_transfer(photo, painting, content_mask=np.ones((3, 3)))


def test_works_on_a_uniform_photo():
    grey = np.full((16, 16, 3), 0.5, np.float32)
    out = tone_transfer(grey, Image.new("RGB", (8, 8), (200, 120, 60)))
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
