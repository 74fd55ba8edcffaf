"""Photo quality check and enhancement, on the real demo photos and deliberately degraded copies."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage.color import rgb2hsv

from stylerec_plugin.engine.enhance import enhance_photo
from stylerec_plugin.engine.errors import NotAnImageError
from stylerec_plugin.engine.images import load_image, to_pil
from stylerec_plugin.engine.metrics import content_ssim, psnr
from stylerec_plugin.engine.quality import (
    DEGRADATIONS,
    PhotoQuality,
    QualityThresholds,
    assess_photo,
    degrade_photo,
)

PRODUCTS = Path(__file__).resolve().parents[2] / "demo_shop" / "fixtures" / "products"
ALL_PHOTOS = sorted(PRODUCTS.glob("*.jpg"))
# Every sixth photo for the (slower) degrade + enhance checks: 9 photos, all kinds of scenes.
SAMPLE = ALL_PHOTOS[::6]

EXPECTED_REASON = {
    "dark": "too dark",
    "bright": "too bright",
    "flat": "flat contrast",
    "blurred": "blurred",
    "small": "smaller than 400 px",
}


@pytest.fixture(scope="module")
def originals() -> dict[str, np.ndarray]:
    # The demo photos are at most 800 px; loaded at full size like the real check does.
    return {path.name: load_image(path, max_side=800).rgb for path in ALL_PHOTOS}


@pytest.fixture(scope="module")
def good_sample(originals) -> dict[str, np.ndarray]:
    """Sampled photos that pass the check as they are, so a flag on a degraded copy is the degradation's."""
    chosen = {p.name: originals[p.name] for p in SAMPLE}
    # Black low-key shots are left out here: their sweep is black on purpose, so a flattened
    # copy is judged on the product and enhance rightly leaves the sweep dark (tested below).
    return {
        name: rgb
        for name, rgb in chosen.items()
        if not assess_photo(rgb).is_weak and assess_photo(rgb).studio != "black low-key"
    }


def test_demo_photos_mostly_pass(originals):
    results = {name: assess_photo(rgb) for name, rgb in originals.items()}
    weak = {name: q.reasons for name, q in results.items() if q.is_weak}
    assert len(ALL_PHOTOS) == 54
    # Measured: 1 of 54 flagged (a white cable on white, whose product barely differs from the sweep);
    # the pale balloon on a pale sweep and the black bike on black are studio shots, not weak (issue 10).
    assert len(weak) <= 2, weak
    assert np.median([q.score for q in results.values()]) > 0.9
    assert all(q.width <= 800 and q.height <= 800 for q in results.values())


def test_sample_has_enough_good_photos(good_sample):
    assert len(good_sample) >= 6  # 9 sampled; the black low-key bike is left out (see good_sample)


@pytest.mark.parametrize("kind", DEGRADATIONS)
def test_degraded_copies_are_flagged_with_the_right_reason(good_sample, kind):
    expected = EXPECTED_REASON[kind]
    hits = 0
    for name, rgb in good_sample.items():
        original = assess_photo(rgb)
        degraded = assess_photo(degrade_photo(rgb, kind))
        assert degraded.is_weak, f"{name} {kind} not flagged: {degraded}"
        assert degraded.score < original.score, name
        hits += expected in degraded.reasons
        if kind == "flat":
            # A flattened photo of a pale (dark) scene may instead read as washed out (too dark).
            assert set(degraded.reasons) <= {"flat contrast", "too bright", "too dark"}, degraded.reasons
        else:
            assert expected in degraded.reasons, f"{name} {kind}: {degraded.reasons}"
        if kind in ("dark", "bright", "flat", "small"):
            assert "blurred" not in degraded.reasons, f"{name} {kind}: {degraded.reasons}"
        if kind in ("dark", "bright", "blurred", "flat"):
            assert not any(r.startswith("smaller") for r in degraded.reasons)
    assert hits >= 0.7 * len(good_sample)


@pytest.mark.parametrize("kind", ["dark", "bright", "flat", "blurred"])
def test_enhancing_a_degraded_photo_scores_better_and_keeps_the_product(good_sample, kind):
    similarity = []
    for name, rgb in good_sample.items():
        degraded = degrade_photo(rgb, kind)
        enhanced = enhance_photo(degraded)
        before, after = assess_photo(degraded), assess_photo(enhanced)
        assert after.score > before.score, f"{name} {kind}: {before.score} -> {after.score}"
        if kind == "blurred":
            # Lost detail cannot all come back, but sharpening must not make things worse.
            assert psnr(rgb, enhanced) > psnr(rgb, degraded) - 0.5, name
        else:
            # Closer to the real photo, and no longer weak.
            assert psnr(rgb, enhanced) > psnr(rgb, degraded) + 1.0, name
            assert not after.is_weak, f"{name} {kind}: {after.reasons}"
        similarity.append(content_ssim(rgb, enhanced))
    # The product is kept: content SSIM to the undegraded photo is high. Not 1.0: the
    # enhancer cannot know that a darkened low-key photo was meant to peak at 50 % grey,
    # and SSIM is harsh on small changes in near-black areas (a camera on black: ~0.6).
    assert np.median(similarity) > 0.95, similarity
    assert min(similarity) > 0.5, similarity


def test_enhancing_keeps_colours(good_sample):
    name, rgb = next(iter(good_sample.items()))
    enhanced = enhance_photo(degrade_photo(rgb, "dark"))
    hsv_before, hsv_after = rgb2hsv(rgb[::4, ::4]), rgb2hsv(enhanced[::4, ::4])
    colourful = (hsv_before[..., 1] > 0.3) & (hsv_before[..., 2] > 0.2)
    if colourful.sum() < 50:
        pytest.skip(f"{name} has too few colourful pixels")
    hue_shift = np.abs(hsv_before[..., 0] - hsv_after[..., 0])[colourful]
    hue_shift = np.minimum(hue_shift, 1.0 - hue_shift)  # hue is circular
    assert np.median(hue_shift) < 0.02


def test_enhance_leaves_good_photos_nearly_alone(good_sample):
    for name, rgb in good_sample.items():
        enhanced = enhance_photo(rgb)
        assert content_ssim(rgb, enhanced) > 0.95, name
        assert float(np.abs(enhanced - rgb).mean()) < 0.03, name


def test_enhance_strength_and_determinism(good_sample):
    rgb = degrade_photo(next(iter(good_sample.values())), "dark")
    np.testing.assert_array_equal(enhance_photo(rgb, strength=0.0), rgb)
    full, half = enhance_photo(rgb), enhance_photo(rgb, strength=0.5)
    np.testing.assert_allclose(half, (rgb + full) / 2, atol=1e-5)
    np.testing.assert_array_equal(enhance_photo(rgb), full)


def test_enhance_ignores_hidden_pixels_of_a_cut_out(good_sample):
    rgb = degrade_photo(next(iter(good_sample.values())), "dark")
    alpha = np.zeros(rgb.shape[:2], np.float32)
    alpha[50:-50, 50:-50] = 1.0
    white_behind, black_behind = rgb.copy(), rgb.copy()
    white_behind[alpha == 0] = 1.0
    black_behind[alpha == 0] = 0.0
    first = enhance_photo(white_behind, alpha=alpha)
    second = enhance_photo(black_behind, alpha=alpha)
    inner = (slice(80, -80), slice(80, -80))  # away from the sharpening's reach across the edge
    np.testing.assert_allclose(first[inner], second[inner], atol=1e-4)


def test_assess_reads_files_bytes_and_pil_and_reports_original_size():
    path = SAMPLE[0]
    from_path = assess_photo(path)
    from_bytes = assess_photo(path.read_bytes())
    from_pil = assess_photo(Image.open(path))
    assert from_path.width == from_bytes.width == from_pil.width == Image.open(path).width
    assert from_path.score == from_bytes.score == from_pil.score
    assert isinstance(from_path, PhotoQuality)
    json.dumps(from_path.to_dict())  # storable as JSON


def test_large_photo_is_judged_like_its_smaller_copy(originals):
    rgb = originals[SAMPLE[1].name]
    big = to_pil(rgb).resize((rgb.shape[1] * 2, rgb.shape[0] * 2), Image.Resampling.LANCZOS)
    small_verdict, big_verdict = assess_photo(rgb), assess_photo(big)
    assert big_verdict.width == rgb.shape[1] * 2
    assert big_verdict.reasons == small_verdict.reasons
    assert abs(big_verdict.score - small_verdict.score) < 0.1


def test_bad_file_raises_the_engine_error():
    with pytest.raises(NotAnImageError):
        assess_photo(b"this is not a photo")


def test_cut_out_is_judged_on_its_visible_pixels(originals):
    rgb = originals[SAMPLE[0].name][:400, :400].copy()
    alpha = np.zeros(rgb.shape[:2], np.float32)
    alpha[100:300, 100:300] = 1.0
    rgb[alpha == 0] = 0.0  # black garbage behind the transparency
    buffer = io.BytesIO()
    to_pil(rgb, alpha).save(buffer, format="PNG")
    verdict = assess_photo(buffer.getvalue())
    assert "too dark" not in verdict.reasons


def test_blank_and_tiny_images_do_not_crash():
    blank = assess_photo(np.full((64, 64, 3), 0.5, np.float32))
    assert blank.is_weak and "blurred" in blank.reasons and "smaller than 400 px" in blank.reasons
    tiny = assess_photo(np.zeros((3, 5, 3), np.uint8))
    assert tiny.is_weak and tiny.width == 5 and tiny.height == 3


def test_thresholds_are_configurable(good_sample):
    rgb = next(iter(good_sample.values()))
    strict = QualityThresholds(min_long_edge=2000)
    assert "smaller than 2000 px" in assess_photo(rgb, strict).reasons
    assert not assess_photo(rgb).is_weak


def test_white_seamless_and_black_low_key_studio_shots_are_not_weak(originals):
    balloon, bike = originals["florian-klauer-14840-unsplash.jpg"], originals["mikkel-bech-748940-unsplash.jpg"]
    light, dark = assess_photo(balloon), assess_photo(bike)
    assert light.studio == "white seamless" and not light.is_weak, light
    assert dark.studio == "black low-key" and not dark.is_weak, dark
    # Judged on the product, not the sweep: a really darkened or washed-out copy is still weak.
    assert "too dark" in assess_photo(degrade_photo(bike, "dark")).reasons
    assert "too bright" in assess_photo(degrade_photo(balloon, "bright")).reasons
