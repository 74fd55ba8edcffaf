"""Upload checks for style references and product photos: images only, bounded size."""

from __future__ import annotations

import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from .conf import settings

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP"}


def validate_image_upload(file) -> None:
    """Refuse non-images, truncated images, oversize files and decompression bombs with a clear message.

    Only new uploads are inspected; a file already in storage is not re-read.
    """
    if getattr(file, "_committed", True) and not hasattr(file, "content_type"):
        return
    size = getattr(file, "size", None)
    if size is not None and size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB."),
            code="file_too_large",
            params={
                "size": round(size / 1e6, 1),
                "limit": round(settings.MAX_UPLOAD_BYTES / 1e6, 1),
            },
        )
    position = file.tell() if hasattr(file, "tell") else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                fmt = image.format
                width, height = image.size
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("The image has too many pixels to be processed safely."), code="too_many_pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("Upload a valid image (JPEG, PNG, WebP, GIF, TIFF or BMP)."), code="not_an_image"
        ) from None
    finally:
        if position is not None:
            file.seek(position)
    if fmt not in ALLOWED_FORMATS:
        raise ValidationError(
            _("%(format)s images are not accepted; use JPEG, PNG or WebP."),
            code="format_not_allowed",
            params={"format": fmt},
        )
    if width * height > settings.MAX_UPLOAD_PIXELS:
        raise ValidationError(
            _("The image is %(w)s×%(h)s pixels; the limit is %(limit)s megapixels."),
            code="too_many_pixels",
            params={"w": width, "h": height, "limit": settings.MAX_UPLOAD_PIXELS // 1_000_000},
        )
    _decode_fully(file, position)


def _decode_fully(file, position: int | None) -> None:
    """Decode every pixel: ``verify()`` only checks a file's structure, so a JPEG cut short
    passes it and fails later, in a worker (the pixel cap was checked before this)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                image.load()
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The image is truncated or corrupt: its data ends early or is damaged. Export it again and upload "
              "the new file."),
            code="truncated_image",
        ) from None
    finally:
        if position is not None:
            file.seek(position)
