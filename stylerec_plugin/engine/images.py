"""Reading product photos into float arrays, and writing results back.

Shop photos arrive in every shape: phone JPEGs lying on their side (EXIF
orientation), palette PNGs, greyscale and 16-bit scans, CMYK files exported
for print, cut-outs with transparency, and now and then a broken upload or a
file that only pretends to be an image. ``load_image`` turns all of them into
one form the engines can use (float32 RGB in 0..1 at a capped working size,
plus the alpha channel when there is one) and refuses the bad ones with an
:class:`~stylerec_plugin.engine.errors.ImageInputError` subclass whose message
a shop admin can read.

Pure Pillow + numpy: no torch, no Django.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageInputError, ImageTooLargeError, NotAnImageError, TruncatedImageError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_SIDE",
    "ImageSource",
    "LoadedImage",
    "blend",
    "encode_image",
    "load_image",
    "luminance",
    "preserve_colour",
    "resize_array",
    "to_pil",
]

DEFAULT_MAX_SIDE = 1024
# Same cap as Pillow's own decompression-bomb warning (about 89.5 megapixels),
# but enforced as an error: a product photo never needs more.
DEFAULT_MAX_PIXELS = 1024 * 1024 * 1024 // 4 // 3

ImageSource = bytes | bytearray | memoryview | str | Path | BinaryIO | Image.Image

# Errors Pillow's decoders raise on damaged data (beyond the OSError for "truncated").
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}
# BT.601 luma weights, as in JPEG's YCbCr.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass
class LoadedImage:
    """A photo ready for the engines.

    ``rgb`` is float32 (H, W, 3) in 0..1 at the working size, upright (EXIF
    orientation applied) and in sRGB. ``alpha`` is float32 (H, W) in 0..1, or
    None when the photo is opaque (an alpha channel that is fully opaque
    everywhere is dropped, so the result can be saved as a JPEG).
    ``original_size`` is (width, height) of the upright original before any
    downscaling, ``mode`` the Pillow mode of the file ("RGB", "P", "CMYK",
    "I;16", ...).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    original_size: tuple[int, int]
    mode: str

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the working-size arrays."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None

    def to_pil(self) -> Image.Image:
        return to_pil(self.rgb, self.alpha)


def load_image(
    source: ImageSource,
    max_side: int = DEFAULT_MAX_SIDE,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> LoadedImage:
    """Decode a photo into a :class:`LoadedImage`, long edge capped at ``max_side`` (never upscaled).

    ``source`` may be raw bytes, a path, an open binary file (read from its
    current position, not closed) or a Pillow image (not modified).
    ``max_pixels`` refuses images with more pixels than that *before* their
    data is decoded (a 40 kB PNG can declare 100000 x 100000 pixels). Note that
    Pillow itself refuses anything over twice its own ``Image.MAX_IMAGE_PIXELS``.

    Raises :class:`NotAnImageError`, :class:`TruncatedImageError`,
    :class:`ImageTooLargeError` (all :class:`ImageInputError`, a ``ValueError``)
    for bad input; a missing path raises the usual ``FileNotFoundError``.
    The same input always gives the same arrays.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    if isinstance(source, Image.Image):
        _check_pixels(source.size, max_pixels)
        try:
            source.load()
        except _DECODE_ERRORS as exc:
            raise TruncatedImageError() from exc
        return _prepare(source, max_side)

    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise NotAnImageError("not an image file (the file is empty)")
        return _load_stream(io.BytesIO(bytes(source)), max_side, max_pixels)
    if isinstance(source, str | Path):
        # Opened here, outside the error mapping: a missing file is not a bad image.
        with open(source, "rb") as fp:
            return _load_stream(fp, max_side, max_pixels)
    if hasattr(source, "read"):
        return _load_stream(source, max_side, max_pixels)
    raise TypeError(f"load_image() cannot read a {type(source).__name__}")


def _load_stream(fp: BinaryIO, max_side: int, max_pixels: int) -> LoadedImage:
    try:
        with warnings.catch_warnings():
            # We enforce our own cap just below; Pillow's warning would be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise _bomb_error(exc, max_pixels) from exc
    except UnidentifiedImageError as exc:
        if _stream_is_empty(fp):
            raise NotAnImageError("not an image file (the file is empty)") from exc
        known = _sniff_unreadable_format(fp)
        if known:
            raise NotAnImageError(f"{known} files cannot be read; save the photo as JPEG, PNG or WebP") from exc
        raise NotAnImageError() from exc
    except _DECODE_ERRORS as exc:
        raise TruncatedImageError() from exc

    with image:
        _check_pixels(image.size, max_pixels)
        stored_size = image.size
        if image.format == "JPEG":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is far
            # larger than the working size: much faster, and still above the
            # target, which the Lanczos resize below then reaches.
            target = _fit_size(image.size, max_side)
            if target != image.size:
                image.draft(None, target)
        try:
            image.load()
        except Image.DecompressionBombError as exc:
            raise _bomb_error(exc, max_pixels) from exc
        except _DECODE_ERRORS as exc:
            # Pillow says "image file is truncated"; LOAD_TRUNCATED_IMAGES is
            # deliberately left alone (it is process-global and would hide
            # damaged uploads everywhere else too).
            raise TruncatedImageError() from exc
        return _prepare(image, max_side, stored_size=stored_size)


def _prepare(image: Image.Image, max_side: int, stored_size: tuple[int, int] | None = None) -> LoadedImage:
    """``stored_size``: the file's own size when a JPEG draft already shrank ``image`` while decoding."""
    source_mode = image.mode
    stored_size = stored_size or image.size
    decoded_size = image.size
    image = _upright(image)
    turned = image.size != decoded_size  # a 90-degree EXIF rotation swaps width and height
    original_size = (stored_size[1], stored_size[0]) if turned else stored_size
    target = _fit_size(original_size, max_side)

    if image.mode in _SIXTEEN_BIT_MODES or image.mode == "F":
        rgb, alpha = _high_bit_depth_to_float(image, target), None
    else:
        image = _to_resizable_mode(image)
        if image.size != target:
            # reducing_gap: a fast box reduction first, then Lanczos on the rest.
            image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        image = _to_srgb(image)
        array = np.asarray(image, dtype=np.float32) / np.float32(255.0)
        if image.mode == "RGBA":
            rgb, alpha = array[..., :3], array[..., 3]
            if alpha.min() >= 1.0:
                alpha = None
        else:
            rgb, alpha = array, None
    return LoadedImage(
        rgb=np.ascontiguousarray(rgb, dtype=np.float32),
        alpha=None if alpha is None else np.ascontiguousarray(alpha, dtype=np.float32),
        original_size=(int(original_size[0]), int(original_size[1])),
        mode=source_mode,
    )


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - damaged EXIF must not cost us an otherwise good photo
        return image


def _to_resizable_mode(image: Image.Image) -> Image.Image:
    """Bring any 8-bit mode to RGB, RGBA or CMYK (kept for its ICC profile)."""
    mode = image.mode
    has_transparency = mode in ("RGBA", "LA", "La", "RGBa", "PA") or "transparency" in image.info
    if mode == "CMYK" and not has_transparency:
        return image
    if mode in ("RGB", "RGBA") and "transparency" not in image.info:
        return image
    try:
        return image.convert("RGBA" if has_transparency else "RGB")
    except (ValueError, OSError) as exc:
        raise ImageInputError(f"the image uses an unsupported colour mode ({mode})") from exc


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded ICC profile (Display P3 phone photos, Adobe RGB, print CMYK); end in RGB/RGBA."""
    icc = image.info.get("icc_profile")
    if icc:
        converted = _apply_icc(image, icc)
        if converted is not None:
            return converted
    if image.mode == "CMYK":
        return image.convert("RGB")
    return image


def _apply_icc(image: Image.Image, icc: bytes) -> Image.Image | None:
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(profile) or ""
        if image.mode != "CMYK" and "srgb" in description.lower():
            return None  # already sRGB: skip a no-op transform
        srgb = ImageCms.createProfile("sRGB")
        alpha = image.getchannel("A") if image.mode == "RGBA" else None
        colour = image.convert("RGB") if image.mode == "RGBA" else image
        converted = ImageCms.profileToProfile(colour, profile, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile: fall back to plain conversion rather than refuse the photo
    if converted is None:
        return None
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _high_bit_depth_to_float(image: Image.Image, target: tuple[int, int]) -> np.ndarray:
    """16-bit and 32-bit greyscale (scans, PNG/TIFF I;16) to RGB float without losing the low bits."""
    values = np.asarray(image, dtype=np.float32)
    if image.mode == "F":
        # Float images have no fixed range; 0..1 data is taken as is, else as 8-bit scale.
        scale = 1.0 if float(values.max(initial=0.0)) <= 1.0 else 255.0
    else:
        scale = 65535.0
    grey = np.clip(values / np.float32(scale), 0.0, 1.0)
    if (grey.shape[1], grey.shape[0]) != target:
        grey = np.asarray(
            Image.fromarray(grey).resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0),
            dtype=np.float32,
        )
        grey = np.clip(grey, 0.0, 1.0)
    return np.repeat(grey[..., None], 3, axis=2)


def _fit_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    pixels = int(size[0]) * int(size[1])
    if max_pixels and pixels > max_pixels:
        raise ImageTooLargeError(pixels, max_pixels)


def _bomb_error(exc: Exception, max_pixels: int) -> ImageTooLargeError:
    # Pillow's message: "Image size (N pixels) exceeds limit of M pixels, ..."
    numbers = re.findall(r"\((\d+) pixels\)|limit of (\d+)", str(exc))
    pixels = next((int(a) for a, _ in numbers if a), None)
    limit = next((int(b) for _, b in numbers if b), None)
    return ImageTooLargeError(pixels, min(limit, max_pixels) if limit else max_pixels)


# Formats shop admins upload that Pillow cannot decode, by their first bytes.
_UNREADABLE_SIGNATURES = (
    (4, (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypheim", b"ftypmif1", b"ftypmsf1"), "HEIC/HEIF"),
    (0, (b"%PDF",), "PDF"),
    (0, (b"<svg", b"<?xml"), "SVG"),
)


def _sniff_unreadable_format(fp: BinaryIO) -> str | None:
    try:
        fp.seek(0)
        head = fp.read(32)
    except (OSError, AttributeError, ValueError):
        return None
    stripped = head.lstrip()
    for offset, signatures, name in _UNREADABLE_SIGNATURES:
        window = stripped if offset == 0 else head[offset:]
        if any(window.startswith(signature) for signature in signatures):
            return name
    return None


def _stream_is_empty(fp: BinaryIO) -> bool:
    try:
        fp.seek(0, io.SEEK_END)
        return fp.tell() == 0
    except (OSError, AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- arrays <-> images


def to_pil(rgb: np.ndarray, alpha: np.ndarray | None = None) -> Image.Image:
    """Float (H, W, 3) in 0..1 to an 8-bit RGB image, or RGBA when ``alpha`` (H, W) is given."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) array, got shape {rgb.shape}")
    rgb8 = _to_uint8(rgb)
    if alpha is None:
        return Image.fromarray(rgb8)
    alpha = np.asarray(alpha)
    if alpha.shape != rgb.shape[:2]:
        alpha = resize_array(alpha, rgb.shape[:2])
    return Image.fromarray(np.dstack([rgb8, _to_uint8(alpha)]))


def encode_image(image: Image.Image, quality: int = 90) -> tuple[bytes, str]:
    """Encode for storage: PNG (".png") when the image has transparency, else JPEG (".jpg").

    Output is deterministic for the same pixels and carries no EXIF (the
    orientation was already applied when loading).
    """
    buffer = io.BytesIO()
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        image.convert("RGBA").save(buffer, format="PNG", compress_level=6)
        return buffer.getvalue(), ".png"
    if image.mode != "RGB":
        image = image.convert("RGB")
    image.save(buffer, format="JPEG", quality=int(quality), optimize=True, progressive=True)
    return buffer.getvalue(), ".jpg"


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def resize_array(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize (H, W) or (H, W, C) float data to ``shape`` = (H, W) with Lanczos, per channel."""
    values = np.asarray(values, dtype=np.float32)
    height, width = int(shape[0]), int(shape[1])
    if values.shape[:2] == (height, width):
        return values
    if values.ndim == 2:
        return np.asarray(Image.fromarray(values).resize((width, height), Image.Resampling.LANCZOS), dtype=np.float32)
    channels = [resize_array(np.ascontiguousarray(values[..., c]), (height, width)) for c in range(values.shape[2])]
    return np.stack(channels, axis=2)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma (as in JPEG) of float RGB, shape (H, W)."""
    return np.asarray(rgb, dtype=np.float32)[..., :3] @ _LUMA


# --------------------------------------------------------------------------- combining results


def preserve_colour(original_rgb: np.ndarray, stylized_rgb: np.ndarray) -> np.ndarray:
    """Keep the original's colours, take the stylized image's brightness pattern.

    Works in YCbCr: luma from ``stylized_rgb``, chroma (Cb, Cr) from
    ``original_rgb`` - a red mug stays red whatever palette the style paints
    with. ``stylized_rgb`` is resized to the original's size when the network
    returned a slightly different one.
    """
    original = np.asarray(original_rgb, dtype=np.float32)
    stylized = resize_array(stylized_rgb, original.shape[:2])
    y_stylized = luminance(stylized)
    y_original = luminance(original)
    # RGB = Y + (RGB_orig - Y_orig) keeps Cb/Cr exactly (they are linear in RGB - Y).
    result = original - y_original[..., None] + y_stylized[..., None]
    return np.clip(result, 0.0, 1.0).astype(np.float32)


def blend(original_rgb: np.ndarray, stylized_rgb: np.ndarray, strength: float) -> np.ndarray:
    """Linear mix: strength 0 gives the original, 1 the stylized image (clamped to 0..1)."""
    original = np.asarray(original_rgb, dtype=np.float32)
    stylized = resize_array(stylized_rgb, original.shape[:2])
    s = np.float32(min(max(float(strength), 0.0), 1.0))
    return np.clip(original + s * (stylized - original), 0.0, 1.0).astype(np.float32)
