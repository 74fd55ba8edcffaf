"""Content SSIM and PSNR: the scores that decide whether a restyled photo is shown."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylerec_plugin.engine.images import load_image, to_pil
from stylerec_plugin.engine.metrics import PSNR_CAP_DB, as_float_rgb, content_ssim, psnr

PRODUCTS = Path(__file__).resolve().parents[2] / "demo_shop" / "fixtures" / "products"


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return load_image(PRODUCTS / "andres-jasso-220776-unsplash.jpg", max_side=256).rgb


def _noisy(rgb: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    return np.clip(rgb + np.random.default_rng(seed).normal(0.0, sigma, rgb.shape), 0, 1).astype(np.float32)


def _blocks(rgb: np.ndarray, cells: int) -> np.ndarray:
    """Pixelate to ``cells`` blocks across: what an over-strong style does to a product."""
    image = to_pil(rgb)
    small = image.resize((cells, max(1, round(cells * image.height / image.width))), Image.Resampling.BOX)
    return as_float_rgb(small.resize(image.size, Image.Resampling.NEAREST))


def test_identical_images_score_one(photo):
    assert content_ssim(photo, photo) == pytest.approx(1.0)
    assert content_ssim(to_pil(photo), to_pil(photo)) == pytest.approx(1.0)
    assert psnr(photo, photo) == PSNR_CAP_DB


def test_noise_lowers_ssim_in_order(photo):
    light, medium, heavy = (content_ssim(photo, _noisy(photo, s)) for s in (0.01, 0.1, 0.3))
    assert 1.0 > light > medium > heavy
    assert light > 0.9
    assert heavy < 0.6


def test_blocks_score_lower_than_a_mild_jpeg(photo):
    buffer = io.BytesIO()
    to_pil(photo).save(buffer, format="JPEG", quality=40)
    jpeg = as_float_rgb(Image.open(buffer))
    fine, coarse = content_ssim(photo, _blocks(photo, 48)), content_ssim(photo, _blocks(photo, 8))
    assert content_ssim(photo, jpeg) > fine > coarse
    assert coarse < 0.5


def test_an_erased_product_scores_low(photo):
    flat = np.full_like(photo, float(photo.mean()))
    assert content_ssim(photo, flat) < 0.55


def test_inverted_image_scores_below_zero_or_near(photo):
    # Same edges, opposite shading: structure correlation is negative.
    assert content_ssim(photo, 1.0 - photo) < 0.0


def test_psnr_matches_hand_computed_values():
    zeros = np.zeros((32, 32, 3), np.float32)
    # MSE 0.01 -> 10 * log10(1 / 0.01) = 20 dB.
    assert psnr(zeros, np.full_like(zeros, 0.1)) == pytest.approx(20.0, abs=1e-4)
    # A quarter of the pixels off by 0.5: MSE 0.0625 -> 12.0412 dB.
    quarter = zeros.copy()
    quarter[:16, :16] = 0.5
    assert psnr(zeros, quarter) == pytest.approx(10 * math.log10(1 / 0.0625), abs=1e-4)
    # 8-bit arrays are read as 0..255.
    assert psnr(np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 51, np.uint8)) == pytest.approx(13.979, abs=1e-3)


def test_output_of_another_size_is_resized_to_the_original(photo):
    half = to_pil(photo).resize((photo.shape[1] // 2, photo.shape[0] // 2), Image.Resampling.LANCZOS)
    assert content_ssim(photo, half) > 0.95
    assert psnr(photo, half) > 25.0


def test_accepts_pil_greyscale_and_uint8(photo):
    grey = to_pil(photo).convert("L")
    as_uint8 = np.asarray(to_pil(photo))
    assert content_ssim(photo, grey) > 0.99  # SSIM looks at luminance only
    assert content_ssim(photo, as_uint8) == pytest.approx(1.0, abs=1e-3)


def test_transparent_images_are_compared_as_shown(photo):
    alpha = np.zeros(photo.shape[:2], np.float32)
    alpha[40:150, 60:200] = 1.0
    garbage_behind = photo.copy()
    garbage_behind[alpha == 0] = np.random.default_rng(5).random((int((alpha == 0).sum()), 3))
    first = to_pil(photo, alpha)
    second = to_pil(garbage_behind, alpha)
    assert content_ssim(first, second) == pytest.approx(1.0)
    assert psnr(first, second) == PSNR_CAP_DB


def test_thin_images_still_get_a_score():
    strip = np.random.default_rng(9).random((6, 400, 3)).astype(np.float32)
    assert content_ssim(strip, strip) == pytest.approx(1.0)
    assert content_ssim(strip, _noisy(strip, 0.3)) < 0.9


def test_bad_array_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="shape"):
        content_ssim(np.zeros((4, 4, 5)), np.zeros((4, 4, 5)))
