"""Smaller copies of original product photos, so an original's ``srcset`` is responsive too.

A first visit shows originals (nobody has a style yet): without copies a 214 px card
downloads the full photo. The worker that analyses a photo writes 320 and 640 px copies
(``STYLEREC["OUTPUT_WIDTHS"]``, only those narrower than the photo) through the plugin's
storage, under ``stylerec/original-copies/``, named by the photo's content hash: a changed
photo gets new names, so a copy is never stale, and the names live on the
``ProductPhoto`` row, so a page builds the srcset with no storage call. The original file
is only read, never written, moved or deleted. The folder is outside ``UPLOAD_TO``, so
``stylerec_cleanup`` leaves it alone; the copies of a replaced photo are deleted after
the new ones are saved.
"""

from __future__ import annotations

import logging
import posixpath

from django.core.files.base import ContentFile
from django.db import transaction

from ..models import ProductPhoto
from ..storage import variant_storage

logger = logging.getLogger(__name__)

COPIES_FOLDER = "stylerec/original-copies"


def copy_name(digest: str, width: int, ext: str) -> str:
    return posixpath.join(COPIES_FOLDER, digest[:2], f"{digest[:32]}-{int(width)}w{ext}")


def save_original_copies(product_pk: int, image, digest: str) -> dict[str, str]:
    """Write the copies of ``image`` (the upright original, a PIL image) and return their names.

    Copies already stored under the same content hash are reused. A storage error is
    logged and gives no copies: the page then lists the original alone, as before.
    """
    from PIL import Image

    from .rendering import smaller_copies

    storage = variant_storage()
    previous = ProductPhoto.objects.filter(product_id=product_pk).values_list("original_copies", flat=True).first()
    names: dict[str, str] = {}
    try:
        for width, data in smaller_copies(image).items():
            ext = ".png" if data[:8] == b"\x89PNG\r\n\x1a\n" else ".jpg"
            wanted = copy_name(digest, width, ext)
            # The same content hash means the same copy: reuse it rather than store a twin.
            names[str(width)] = wanted if storage.exists(wanted) else storage.save(wanted, ContentFile(data))
    except (OSError, ValueError, Image.DecompressionBombError):
        logger.exception("StyleRec: could not store smaller copies of product %s's photo", product_pk)
        return {}
    stale = [name for name in (previous or {}).values() if name not in names.values()]
    if stale:
        transaction.on_commit(lambda: _delete(stale))
    return names


def _delete(names: list[str]) -> None:
    storage = variant_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("StyleRec: could not delete the old photo copy %s", name)
