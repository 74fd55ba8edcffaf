"""The Stylizer as the pipeline uses it: dispatch, strength, preserve-colour, the floor, batches, caching.

Pure tests (no database); photos are worked at 128-160 px so the file stays fast.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")

from stylerec_plugin.engine import (  # noqa: E402
    ENGINE_VERSIONS,
    ImageInputError,
    NotAnImageError,
    RestyleResult,
    StyleSpec,
    Stylizer,
    TruncatedImageError,
    content_ssim,
)
from stylerec_plugin.engine.gates import judge  # noqa: E402
from stylerec_plugin.engine.images import luminance  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = sorted((ROOT / "demo_shop" / "fixtures" / "products").glob("*.jpg"))
PAINTINGS = sorted((ROOT / "demo_shop" / "fixtures" / "styles").glob("*.jpg"))
PHOTO = PRODUCTS[0]
WAVE = next(p for p in PAINTINGS if "great-wave" in p.name)
STARRY = next(p for p in PAINTINGS if "starry-night" in p.name)


@pytest.fixture(scope="module")
def stylizer() -> Stylizer:
    return Stylizer(device="cpu", max_side=144, precision="float32")


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0


def _original(max_side: int = 144) -> np.ndarray:
    from stylerec_plugin.engine import load_image

    return load_image(PHOTO, max_side=max_side).rgb


def _cutout_png() -> bytes:
    """A product photo with a transparent background (an ellipse kept), as a PNG."""
    photo = Image.open(PHOTO).convert("RGB")
    photo.thumbnail((200, 200))
    yy, xx = np.mgrid[0 : photo.height, 0 : photo.width]
    inside = ((xx - photo.width / 2) / (photo.width * 0.4)) ** 2 + ((yy - photo.height / 2) / (photo.height * 0.4)) ** 2
    alpha = np.where(inside < 1.0, 255, 0).astype(np.uint8)
    rgba = np.dstack([np.asarray(photo), alpha])
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


# ------------------------------------------------------------------ specs


def test_engine_versions_cover_every_kind():
    assert set(ENGINE_VERSIONS) == {"preset", "reference", "tone", "enhance"}
    assert all(isinstance(v, str) and v for v in ENGINE_VERSIONS.values())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "cartoon"}, "unknown style kind"),
        ({"kind": "preset", "preset_weights": {3: 1.0}, "strength": 1.5}, "strength"),
        ({"kind": "preset"}, "preset_weights"),
        ({"kind": "preset", "preset_weights": {26: 1.0}}, "0 to 25"),
        ({"kind": "preset", "preset_weights": {3: -1.0}}, "non-negative"),
        ({"kind": "reference"}, "reference image"),
        ({"kind": "tone"}, "reference image"),
    ],
)
def test_style_spec_refuses_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StyleSpec(**kwargs)


def test_preset_weights_may_come_from_json_with_string_keys(stylizer):
    a = stylizer.restyle(PHOTO, StyleSpec("preset", {"6": 2.0}), floor=0)
    b = stylizer.restyle(PHOTO, StyleSpec("preset", {6: 1.0}), floor=0)
    assert np.array_equal(_pixels(a.image), _pixels(b.image))  # weights are normalised


# ------------------------------------------------------------------ preset engine


def test_preset_output_differs_from_the_input_and_reports_what_ran(stylizer):
    result = stylizer.restyle(PHOTO, StyleSpec("preset", {19: 1.0}), floor=0)
    assert isinstance(result, RestyleResult)
    original = _original()
    assert result.image.mode == "RGB" and result.image.size == (original.shape[1], original.shape[0])
    assert max(result.width, result.height) == 144
    assert np.abs(_pixels(result.image) - original).mean() > 0.05
    assert result.status == "ready" and result.strength_used == 1.0
    assert result.engine == "preset" and result.engine_version == ENGINE_VERSIONS["preset"]
    assert result.device == "cpu" and result.ms > 0
    assert 0.0 < result.ssim < 1.0 and 0.0 < result.psnr < 40.0
    assert result.tried == [(1.0, pytest.approx(result.ssim))]
    # The whole-frame SSIM comes from the gate's SSIM map: area-averaged 128 px thumbnails.
    shown = _pixels(result.image)
    assert result.ssim == pytest.approx(judge(original, shown, result.mask).frame_ssim, abs=0.005)
    assert result.ssim == pytest.approx(content_ssim(original, shown), abs=0.05)  # Lanczos thumbnails


def test_preset_strength_blends_with_the_photo(stylizer):
    # Whole-frame (artistic) mode: the output is exactly the blend; product-true composes on top of it.
    original = _original()
    full = _pixels(stylizer.restyle(PHOTO, StyleSpec("preset", {19: 1.0}, mode="artistic"), floor=0).image)
    half = stylizer.restyle(PHOTO, StyleSpec("preset", {19: 1.0}, strength=0.5, mode="artistic"), floor=0)
    none = stylizer.restyle(PHOTO, StyleSpec("preset", {19: 1.0}, strength=0.0, mode="artistic"), floor=0)
    np.testing.assert_allclose(_pixels(half.image), 0.5 * full + 0.5 * original, atol=2.5 / 255)
    assert np.abs(_pixels(none.image) - original).max() <= 1 / 255 + 1e-6
    assert none.ssim > 0.99 and half.strength_used == 0.5


def test_preserve_colour_keeps_the_photos_chroma(stylizer):
    original = _original()
    plain = _pixels(stylizer.restyle(PHOTO, StyleSpec("preset", {13: 1.0}, mode="artistic"), floor=0).image)
    kept = _pixels(
        stylizer.restyle(PHOTO, StyleSpec("preset", {13: 1.0}, preserve_colour=True, mode="artistic"), floor=0).image
    )

    def chroma(rgb):
        return rgb - luminance(rgb)[..., None]

    assert np.abs(chroma(kept) - chroma(original)).mean() < 0.5 * np.abs(chroma(plain) - chroma(original)).mean()
    np.testing.assert_allclose(luminance(kept), luminance(plain), atol=0.03)  # brightness pattern is the style's


def test_outputs_are_deterministic(stylizer):
    spec = StyleSpec("preset", {3: 0.5, 12: 0.5}, strength=0.9)
    first = stylizer.restyle(PHOTO.read_bytes(), spec)
    second = Stylizer(device="cpu", max_side=144, precision="float32").restyle(PHOTO, spec)
    assert first.image.tobytes() == second.image.tobytes()
    # The scores come from float32 arrays whose last bit can follow the memory alignment
    # OpenCV's vector paths meet (seen: 6e-8 in one pixel); the stored image is what must match.
    assert [s for s, _ in first.tried] == [s for s, _ in second.tried]
    assert [q for _, q in first.tried] == pytest.approx([q for _, q in second.tried], abs=1e-6)


# ------------------------------------------------------------------ recognisability floor


def test_a_style_that_erases_the_product_is_retried_at_lower_strengths(stylizer):
    # Preset 17 turns a product into coloured blocks at full strength (engine-facts.md). In the
    # whole-frame (artistic) mode nothing holds the product's light, so the structure gate fails
    # it there; product-true keeps this product recognisable even at full strength.
    erasing = StyleSpec("preset", {17: 1.0}, mode="artistic")
    result = stylizer.restyle(PHOTO, erasing, floor=0.35, retry_strengths=(0.8, 0.6, 0.4, 0.2))
    strengths = [s for s, _ in result.tried]
    scores = [q for _, q in result.tried]
    assert strengths[0] == 1.0 and strengths == sorted(strengths, reverse=True) and len(strengths) > 1
    assert scores == sorted(scores)  # weaker tries keep more of the photo
    full = stylizer.restyle(PHOTO, erasing, floor=0)
    assert full.gates.region_ssim < 0.35  # the full-strength try would fail the structure gate (floor 0.35)
    assert result.status == "ready" and result.reason == ""
    assert result.gates.passed and result.gates.region_ssim >= 0.35
    assert result.strength_used == strengths[-1] and result.ssim == pytest.approx(scores[-1])


def test_no_strength_passing_the_floor_means_rejected(stylizer):
    result = stylizer.restyle(PHOTO, StyleSpec("preset", {17: 1.0}), floor=0.99)
    assert result.status == "rejected"
    assert [s for s, _ in result.tried] == [1.0, 0.8, 0.6, 0.4]
    assert result.ssim == max(q for _, q in result.tried) < 0.99  # the closest try is kept for the admin
    assert isinstance(result.image, Image.Image)


def test_retries_only_go_below_the_asked_strength(stylizer):
    result = stylizer.restyle(PHOTO, StyleSpec("preset", {17: 1.0}, strength=0.7), floor=0.99)
    assert [s for s, _ in result.tried] == [0.7, 0.6, 0.4]


def test_floor_zero_means_a_single_attempt(stylizer):
    result = stylizer.restyle(PHOTO, StyleSpec("preset", {17: 1.0}), floor=0)
    assert len(result.tried) == 1 and result.status == "ready"


# ------------------------------------------------------------------ arbitrary (reference) engine


def test_reference_style_restyles_at_the_photos_working_size(stylizer):
    result = stylizer.restyle(PHOTO, StyleSpec("reference", reference=WAVE), floor=0)
    original = _original()
    assert result.engine == "reference" and result.engine_version == ENGINE_VERSIONS["reference"]
    assert (result.height, result.width) == original.shape[:2]
    assert np.abs(_pixels(result.image) - original).mean() > 0.05


def test_reference_strength_interpolates_the_style_vector(stylizer):
    scores = [
        stylizer.restyle(PHOTO, StyleSpec("reference", reference=STARRY, strength=s), floor=0).ssim
        for s in (1.0, 0.5, 0.0)
    ]
    assert scores[0] < scores[1] < scores[2]


def test_style_vectors_are_embeddings_cached_by_content(stylizer):
    wave = stylizer.style_vector(WAVE)
    assert wave.shape == (100,) and wave.dtype == np.float32
    assert np.array_equal(stylizer.style_vector(WAVE.read_bytes()), wave)  # same content, same vector
    cached = len(stylizer._vectors)
    stylizer.style_vector(str(WAVE))
    assert len(stylizer._vectors) == cached  # served from the cache
    starry = stylizer.style_vector(STARRY)
    cosine = float(wave @ starry / np.linalg.norm(wave) / np.linalg.norm(starry))
    assert cosine < 0.99
    wave[:] = 0  # callers get a copy, not the cache's array
    assert np.abs(stylizer.style_vector(WAVE)).sum() > 0


# ------------------------------------------------------------------ tone and enhance dispatch


def test_tone_keeps_structure_and_moves_colour_toward_the_reference(stylizer):
    from stylerec_plugin.engine import load_image

    result = stylizer.restyle(PHOTO, StyleSpec("tone", reference=WAVE), floor=0.35)
    original = _original()
    reference = load_image(WAVE, max_side=256).rgb
    out = _pixels(result.image)
    assert result.engine == "tone" and result.status == "ready" and result.strength_used == 1.0
    assert result.ssim > 0.7  # structure untouched
    before = np.abs(original.mean(axis=(0, 1)) - reference.mean(axis=(0, 1))).sum()
    after = np.abs(out.mean(axis=(0, 1)) - reference.mean(axis=(0, 1))).sum()
    assert after < 0.6 * before


def test_enhance_goes_through_the_same_gates_and_scoring(stylizer):
    result = stylizer.restyle(PHOTO, StyleSpec("enhance", strength=0.8), floor=0.35)
    assert result.engine == "enhance" and result.gates is not None and result.tried
    assert result.ssim > 0.8
    # This photo is already well exposed: an "enhancement" that leaves it as it was is not sold as a style.
    if result.gates.scene_change < 4.0:
        assert result.status == "rejected" and "barely changed" in result.reason
    else:
        assert result.status == "ready" and result.strength_used == 0.8


# ------------------------------------------------------------------ inputs


def test_alpha_is_kept_so_a_cutout_stays_a_cutout(stylizer):
    png = _cutout_png()
    result = stylizer.restyle(png, StyleSpec("preset", {6: 1.0}), floor=0)
    assert result.image.mode == "RGBA"
    from stylerec_plugin.engine import load_image

    expected_alpha = load_image(png, max_side=144).alpha
    got = np.asarray(result.image.getchannel("A"), dtype=np.float32) / 255
    assert np.abs(got - expected_alpha).max() <= 1 / 255 + 1e-6


@pytest.mark.parametrize(
    "data, error",
    [
        (b"definitely not an image", NotAnImageError),
        (b"", NotAnImageError),
        (PHOTO.read_bytes()[:4000], TruncatedImageError),
    ],
    ids=["text", "empty", "truncated"],
)
def test_bad_photos_raise_clear_errors(stylizer, data, error):
    with pytest.raises(error) as info:
        stylizer.restyle(data, StyleSpec("preset", {6: 1.0}))
    assert isinstance(info.value, ImageInputError) and isinstance(info.value, ValueError)
    assert str(info.value)


def test_a_bad_photo_in_a_batch_does_not_sink_the_others(stylizer):
    photos = [PHOTO, b"not an image", PRODUCTS[1]]
    results = stylizer.restyle_batch(photos, StyleSpec("preset", {6: 1.0}), floor=0)
    assert isinstance(results[0], RestyleResult) and results[0].status == "ready"
    assert isinstance(results[1], NotAnImageError)
    assert isinstance(results[2], RestyleResult) and results[2].status == "ready"
    single = stylizer.restyle(PRODUCTS[1], StyleSpec("preset", {6: 1.0}), floor=0)
    assert results[2].image.tobytes() == single.image.tobytes()


def test_tiny_photos_still_work(stylizer):
    tiny = Image.open(PHOTO).convert("RGB").resize((20, 13))
    result = stylizer.restyle(tiny, StyleSpec("preset", {6: 1.0}), floor=0)
    assert result.image.size == (20, 13)


def test_bfloat16_path_stays_close_to_float32():
    fast = Stylizer(device="cpu", max_side=144, precision="bfloat16")
    exact = Stylizer(device="cpu", max_side=144, precision="float32")
    spec = StyleSpec("preset", {19: 1.0})
    a, b = fast.restyle(PHOTO, spec, floor=0), exact.restyle(PHOTO, spec, floor=0)
    assert np.abs(_pixels(a.image) - _pixels(b.image)).mean() < 0.01


def test_importing_the_engine_does_not_import_torch():
    code = (
        "import sys; import stylerec_plugin.engine as e; "
        "e.StyleSpec, e.ENGINE_VERSIONS, e.load_image, e.content_ssim, e.encode_image; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize("kind", ["preset", "reference"])
def test_batched_restyle_matches_one_by_one(kind):
    # The CUDA path (same-size photos in one network call), exercised on the CPU.
    batched = Stylizer(device="cpu", max_side=96, precision="float32", batch=True)
    single = Stylizer(device="cpu", max_side=96, precision="float32", batch=False)
    photo = Image.open(PHOTO).convert("RGB").resize((96, 64))
    other = Image.open(PRODUCTS[1]).convert("RGB").resize((96, 64))
    spec = StyleSpec("preset", {10: 1.0}) if kind == "preset" else StyleSpec("reference", reference=WAVE, strength=0.7)
    together = batched.restyle_batch([photo, other, b"junk"], spec, floor=0.35)
    for image, result in zip([photo, other], together[:2], strict=True):
        alone = single.restyle(image, spec, floor=0.35)
        assert np.abs(_pixels(result.image) - _pixels(alone.image)).max() <= 1 / 255 + 1e-6
        assert [s for s, _ in result.tried] == [s for s, _ in alone.tried]
        assert [q for _, q in result.tried] == pytest.approx([q for _, q in alone.tried], abs=1e-3)
    assert isinstance(together[2], NotAnImageError)
