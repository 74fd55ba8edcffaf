"""Small admin thumbnails, made on first request and kept in storage (like django-imagekit's
cached files): a changelist of 100 variants then loads about 2 KB per row instead of the full-size
files (about 60 KB each in the demo, several MB per page).

A variant's thumbnail is made from its smallest stored copy (``rendition_widths``), an original's
from the photo itself. Names derive from the source file's name, which changes whenever the file
does (variants are named by their identity), so a thumbnail is never stale. They live under
``stylerec/admin-thumbnails/``, outside ``STYLEREC["UPLOAD_TO"]``, so ``stylerec_cleanup`` leaves
them alone; deleting that folder is always safe (they are made again on demand).
"""

from __future__ import annotations

import hashlib
import io
import logging
import posixpath

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.http import Http404, HttpResponse
from PIL import Image, ImageOps, UnidentifiedImageError

from ..storage import rendition_name, variant_storage

logger = logging.getLogger(__name__)

THUMBNAIL_FOLDER = "stylerec/admin-thumbnails"
# Long edge in pixels; shown at 48 CSS px, so sharp on 2x screens. WebP at this size is ~1.8 KB.
THUMBNAIL_SIDE = 96
THUMBNAIL_QUALITY = 65
CACHE_SECONDS = 7 * 24 * 3600


def thumbnail_name(source_name: str) -> str:
    digest = hashlib.sha256(source_name.encode()).hexdigest()[:24]
    return posixpath.join(THUMBNAIL_FOLDER, digest[:2], f"{digest}-{THUMBNAIL_SIDE}.webp")


def version_token(source_name: str) -> str:
    """A short token for the thumbnail URL, so browsers may cache it for a week."""
    return hashlib.sha256(source_name.encode()).hexdigest()[:12]


def smallest_copy(image_name: str, rendition_widths) -> str:
    """The smallest stored copy of a variant file (or the file itself when it has none)."""
    widths = sorted(int(width) for width in rendition_widths or ())
    return rendition_name(image_name, widths[0]) if widths else image_name


def _make(source_storage: Storage, source_name: str) -> bytes:
    with source_storage.open(source_name, "rb") as handle:
        with Image.open(handle) as opened:
            opened.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))  # fast JPEG decode at a fraction
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            buffer = io.BytesIO()
            image.save(buffer, "WEBP", quality=THUMBNAIL_QUALITY, method=4)
    return buffer.getvalue()


def thumbnail_response(source_storage: Storage, source_name: str) -> HttpResponse:
    """The thumbnail's bytes (made and stored on first use). 404 when the source is unreadable."""
    if not source_name:
        raise Http404("no image")
    cache = variant_storage()
    name = thumbnail_name(source_name)
    if cache.exists(name):
        with cache.open(name, "rb") as handle:
            data = handle.read()
    else:
        try:
            data = _make(source_storage, source_name)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as error:
            logger.info("No admin thumbnail for %s: %s", source_name, error)
            raise Http404("unreadable image") from error
        if not cache.exists(name):  # another request may have made it meanwhile
            cache.save(name, ContentFile(data))
    response = HttpResponse(data, content_type="image/webp")
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}, immutable"
    return response
