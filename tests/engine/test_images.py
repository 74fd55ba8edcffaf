"""Loading product photos: every odd format works, every bad file gets a clear error."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from stylerec_plugin.engine.errors import (
    ImageInputError,
    ImageTooLargeError,
    NotAnImageError,
    TruncatedImageError,
)
from stylerec_plugin.engine.images import (
    LoadedImage,
    blend,
    encode_image,
    load_image,
    luminance,
    preserve_colour,
    to_pil,
)

PRODUCTS = Path(__file__).resolve().parents[2] / "demo_shop" / "fixtures" / "products"


def _save(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _two_colour(width: int = 60, height: int = 40) -> Image.Image:
    """Left half red, right half blue: easy to check orientation on."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny but well-formed PNG whose header claims width x height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _rgb_icc_profile(red, green, blue, gamma: float = 2.2, name: str = "test RGB") -> bytes:
    """A minimal ICC v2 matrix/TRC display profile with the given (D50) primaries."""

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)

    text = name.encode() + b"\0"
    description = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8) + bytes(3) + bytes(67)
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)
    tags = [
        (b"desc", description),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(*red)),
        (b"gXYZ", xyz(*green)),
        (b"bXYZ", xyz(*blue)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    header = (
        struct.pack(">I", 128 + len(body))
        + bytes(4)
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + bytes(48)
    )
    return header + body


# sRGB's primaries, adapted to D50 as ICC profiles store them.
SRGB_RED, SRGB_GREEN, SRGB_BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)


@pytest.fixture(scope="module")
def product_jpeg() -> bytes:
    return (PRODUCTS / "derick-david-409858-unsplash.jpg").read_bytes()


# --------------------------------------------------------------------------- bad input


def test_errors_are_permanent_value_errors_with_readable_messages():
    for error_type in (NotAnImageError, TruncatedImageError, ImageTooLargeError):
        assert issubclass(error_type, ImageInputError)
    assert issubclass(ImageInputError, ValueError)
    assert str(NotAnImageError()) == "not an image file"
    assert str(TruncatedImageError()) == "the image is truncated or corrupt"
    assert str(ImageTooLargeError(250_000_000, 89_478_485)) == "the image has 250 megapixels; the limit is 89"


def test_truncated_jpeg_is_refused(product_jpeg):
    with pytest.raises(TruncatedImageError, match="truncated or corrupt"):
        load_image(product_jpeg[: len(product_jpeg) // 2])
    # Refusing must not flip Pillow's process-wide switch on (or leave it on).
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_png_is_refused():
    data = _save(_two_colour(200, 200).convert("RGB"), "PNG")
    with pytest.raises(TruncatedImageError):
        load_image(data[: len(data) - 40])


def test_random_bytes_are_not_an_image():
    with pytest.raises(NotAnImageError, match="not an image file"):
        load_image(np.random.default_rng(7).bytes(4096))


def test_empty_input_says_so(tmp_path):
    with pytest.raises(NotAnImageError, match="empty"):
        load_image(b"")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(NotAnImageError, match="empty"):
        load_image(empty)


def test_text_file_named_like_a_photo_is_not_an_image(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("name,price\nmug,12.00\n")
    with pytest.raises(NotAnImageError, match="not an image file"):
        load_image(str(fake))


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC/HEIF"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    ],
)
def test_formats_pillow_cannot_read_are_named(head, name):
    with pytest.raises(NotAnImageError, match=f"{name} files cannot be read; save the photo as JPEG, PNG or WebP"):
        load_image(head + bytes(200))


def test_missing_file_is_not_mistaken_for_a_bad_image(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "nope.jpg")


def test_decompression_bomb_far_over_the_limit_is_refused_before_decoding():
    bomb = _png_declaring(20_000, 12_500)  # 250 megapixels declared in a ~100 byte file
    assert len(bomb) < 200
    with pytest.raises(ImageTooLargeError) as caught:
        load_image(bomb)
    assert str(caught.value) == "the image has 250 megapixels; the limit is 89"


def test_image_just_over_the_limit_is_refused():
    with pytest.raises(ImageTooLargeError, match="the image has 100 megapixels; the limit is 89"):
        load_image(_png_declaring(10_000, 10_000))


def test_pixel_cap_is_configurable(product_jpeg):
    with pytest.raises(ImageTooLargeError, match="the limit is 0.25"):
        load_image(product_jpeg, max_pixels=250_000)
    assert load_image(product_jpeg, max_pixels=1_000_000).original_size == (800, 600)


def test_pixel_cap_applies_to_pil_images_too():
    with pytest.raises(ImageTooLargeError):
        load_image(Image.new("RGB", (1000, 1000)), max_pixels=999_999)


def test_unknown_source_type_is_a_type_error():
    with pytest.raises(TypeError):
        load_image(12345)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- formats and modes


def test_product_photo_loads_as_float_rgb_capped_and_deterministic(product_jpeg):
    first = load_image(product_jpeg, max_side=256)
    again = load_image(io.BytesIO(product_jpeg), max_side=256)
    assert isinstance(first, LoadedImage)
    assert first.rgb.dtype == np.float32 and first.rgb.shape == (192, 256, 3)
    assert first.size == (256, 192)
    assert first.original_size == (800, 600)
    assert first.alpha is None and first.mode == "RGB"
    assert 0.0 <= first.rgb.min() and first.rgb.max() <= 1.0
    np.testing.assert_array_equal(first.rgb, again.rgb)


def test_small_images_are_never_upscaled():
    loaded = load_image(_save(_two_colour(60, 40), "PNG"), max_side=1024)
    assert loaded.size == (60, 40)


def test_large_jpeg_is_reduced_keeping_aspect_ratio():
    big = Image.fromarray((np.random.default_rng(1).random((1200, 2400, 3)) * 255).astype(np.uint8))
    loaded = load_image(_save(big, "JPEG", quality=80), max_side=300)
    assert loaded.size == (300, 150)
    assert loaded.original_size == (2400, 1200)


def test_exif_orientation_is_applied():
    stored = _two_colour(60, 40)  # left red, right blue as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    loaded = load_image(_save(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert loaded.size == (40, 60) and loaded.original_size == (40, 60)
    top, bottom = loaded.rgb[5, 20], loaded.rgb[-5, 20]
    assert top[0] > 0.8 and top[2] < 0.2  # red is now on top
    assert bottom[2] > 0.8 and bottom[0] < 0.2


def test_exif_orientation_with_downscale_reports_the_upright_original_size():
    stored = _two_colour(1600, 800)
    exif = Image.Exif()
    exif[0x0112] = 8
    loaded = load_image(_save(stored, "JPEG", quality=90, exif=exif.tobytes()), max_side=200)
    assert loaded.original_size == (800, 1600)
    assert loaded.size == (100, 200)


def test_palette_image_keeps_its_colours():
    palette = _two_colour(64, 32).quantize(colors=4)
    assert palette.mode == "P"
    loaded = load_image(_save(palette, "PNG"))
    assert loaded.alpha is None and loaded.mode == "P"
    np.testing.assert_allclose(loaded.rgb[10, 5], [1.0, 0.0, 0.0], atol=1 / 255)
    np.testing.assert_allclose(loaded.rgb[10, 60], [0.0, 0.0, 1.0], atol=1 / 255)


def test_palette_transparency_becomes_alpha():
    palette = _two_colour(64, 32).quantize(colors=4)
    transparent_index = palette.getpixel((60, 10))  # make the blue half transparent
    loaded = load_image(_save(palette, "PNG", transparency=transparent_index))
    assert loaded.alpha is not None
    assert loaded.alpha[10, 60] == 0.0 and loaded.alpha[10, 5] == 1.0


def test_greyscale_becomes_three_equal_channels():
    grey = Image.linear_gradient("L").resize((64, 64))
    loaded = load_image(_save(grey, "PNG"))
    assert loaded.rgb.shape == (64, 64, 3)
    np.testing.assert_array_equal(loaded.rgb[..., 0], loaded.rgb[..., 2])
    np.testing.assert_allclose(loaded.rgb[..., 1], np.asarray(grey) / 255.0, atol=1e-6)


def test_greyscale_with_alpha_keeps_the_alpha():
    alpha = Image.new("L", (32, 32), 0)
    alpha.paste(255, (0, 16, 32, 32))  # bottom half opaque
    la = Image.merge("LA", [Image.new("L", (32, 32), 128), alpha])
    loaded = load_image(_save(la, "PNG"))
    assert loaded.alpha is not None
    np.testing.assert_allclose(loaded.rgb[..., 0], 128 / 255, atol=1e-6)
    assert loaded.alpha[0, 0] == 0.0 and loaded.alpha[-1, 0] == 1.0


@pytest.mark.parametrize("mode", ["I;16", "I"])
def test_sixteen_bit_greyscale_keeps_fine_levels(mode):
    levels = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    image = Image.fromarray(levels) if mode == "I;16" else Image.fromarray(levels.astype(np.int32))
    loaded = load_image(_save(image, "PNG" if mode == "I;16" else "TIFF"))
    assert loaded.mode in ("I;16", "I")
    np.testing.assert_allclose(loaded.rgb[..., 0], levels / 65535.0, atol=1e-6)
    assert len(np.unique(loaded.rgb[..., 0])) > 1000  # not squashed to 8 bits


def test_sixteen_bit_image_is_resized_too():
    levels = (np.random.default_rng(2).random((300, 600)) * 65535).astype(np.uint16)
    loaded = load_image(_save(Image.fromarray(levels), "PNG"), max_side=150)
    assert loaded.size == (150, 75)
    assert 0.0 <= loaded.rgb.min() and loaded.rgb.max() <= 1.0


def test_cmyk_jpeg_comes_out_as_rgb():
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # pure red ink mix
    loaded = load_image(_save(cmyk, "JPEG", quality=95))
    assert loaded.mode == "CMYK" and loaded.rgb.shape == (32, 32, 3)
    np.testing.assert_allclose(loaded.rgb[16, 16], [1.0, 0.0, 0.0], atol=0.03)


def test_embedded_colour_profile_is_applied():
    # A profile that says the file's first channel is blue: the red square must come out blue.
    swapped = _rgb_icc_profile(SRGB_BLUE, SRGB_GREEN, SRGB_RED, name="swapped primaries")
    loaded = load_image(_save(Image.new("RGB", (16, 16), (200, 30, 30)), "PNG", icc_profile=swapped))
    red, _, blue = loaded.rgb[8, 8]
    assert blue > 0.7 and red < 0.2


def test_colour_profile_keeps_alpha():
    swapped = _rgb_icc_profile(SRGB_BLUE, SRGB_GREEN, SRGB_RED)
    image = Image.new("RGBA", (16, 16), (200, 30, 30, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))
    loaded = load_image(_save(image, "PNG", icc_profile=swapped))
    assert loaded.alpha is not None and loaded.alpha[0, 0] == 0.0 and loaded.alpha[8, 8] == 1.0
    assert loaded.rgb[8, 8, 2] > 0.7


def test_srgb_like_or_broken_colour_profiles_change_nothing():
    image = Image.new("RGB", (16, 16), (200, 30, 30))
    plain = load_image(_save(image, "PNG")).rgb
    srgb_like = _rgb_icc_profile(SRGB_RED, SRGB_GREEN, SRGB_BLUE, name="almost sRGB")
    np.testing.assert_allclose(load_image(_save(image, "PNG", icc_profile=srgb_like)).rgb, plain, atol=3 / 255)
    np.testing.assert_array_equal(load_image(_save(image, "PNG", icc_profile=b"not a profile" * 20)).rgb, plain)


def test_rgba_cut_out_keeps_alpha_and_round_trips_as_png():
    cut_out = _two_colour(64, 64).convert("RGBA")
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    cut_out.putalpha(mask)
    loaded = load_image(_save(cut_out, "PNG"))
    assert loaded.alpha is not None and loaded.alpha.shape == (64, 64)
    assert loaded.alpha[0, 0] == 0.0 and loaded.alpha[32, 32] == 1.0

    data, extension = encode_image(to_pil(loaded.rgb, loaded.alpha))
    assert extension == ".png"
    reread = Image.open(io.BytesIO(data))
    assert reread.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(reread.getchannel("A")), np.asarray(mask))


def test_fully_opaque_alpha_is_dropped():
    loaded = load_image(_save(_two_colour().convert("RGBA"), "PNG"))
    assert loaded.alpha is None


def test_pil_image_source_is_not_modified():
    source = _two_colour(300, 100)
    before = source.copy()
    loaded = load_image(source, max_side=150)
    assert loaded.size == (150, 50)
    assert source.size == (300, 100) and source.tobytes() == before.tobytes()


def test_file_object_is_read_and_left_open(product_jpeg):
    handle = io.BytesIO(product_jpeg)
    load_image(handle, max_side=64)
    assert not handle.closed


# --------------------------------------------------------------------------- writing and combining


def test_encode_image_picks_jpeg_for_opaque_and_is_deterministic():
    image = _two_colour()
    first, extension = encode_image(image, quality=85)
    second, _ = encode_image(image, quality=85)
    assert extension == ".jpg" and first == second
    assert Image.open(io.BytesIO(first)).format == "JPEG"


def test_to_pil_rounds_and_clips():
    rgb = np.array([[[-0.5, 0.5, 1.7]]], dtype=np.float32)
    assert to_pil(rgb).getpixel((0, 0)) == (0, 128, 255)


def test_blend_interpolates_between_original_and_stylized():
    original = np.zeros((8, 8, 3), np.float32)
    stylized = np.ones((8, 8, 3), np.float32)
    np.testing.assert_allclose(blend(original, stylized, 0.0), original)
    np.testing.assert_allclose(blend(original, stylized, 1.0), stylized)
    np.testing.assert_allclose(blend(original, stylized, 0.25), 0.25)
    np.testing.assert_allclose(blend(original, stylized, 3.0), stylized)  # clamped


def test_blend_accepts_a_stylized_image_of_slightly_different_size():
    original = np.full((10, 12, 3), 0.2, np.float32)
    stylized = np.full((12, 12, 3), 0.6, np.float32)
    assert blend(original, stylized, 0.5).shape == (10, 12, 3)


def test_preserve_colour_keeps_hue_and_takes_stylized_brightness():
    rng = np.random.default_rng(3)
    original = np.clip(rng.random((16, 16, 3)) * 0.3 + 0.35, 0, 1).astype(np.float32)
    stylized = np.clip(rng.random((16, 16, 3)) * 0.3 + 0.35, 0, 1).astype(np.float32)
    result = preserve_colour(original, stylized)
    # Brightness follows the stylized image ...
    np.testing.assert_allclose(luminance(result), luminance(stylized), atol=1e-5)
    # ... while colour differences (chroma) stay the original's.
    np.testing.assert_allclose(
        result - luminance(result)[..., None], original - luminance(original)[..., None], atol=1e-5
    )
