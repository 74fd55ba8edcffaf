"""Where variant files live: any Django storage backend (local, S3-like, ...)."""

from __future__ import annotations

import hashlib
import posixpath
import re

from django.core.files.storage import Storage, default_storage, storages
from django.utils.module_loading import import_string

from .conf import settings


def variant_storage() -> Storage:
    """The storage for variant files: an alias in STORAGES or a dotted class path."""
    name = settings.STORAGE or "default"
    if name == "default":
        return default_storage
    if "." in name:
        return import_string(name)()
    return storages[name]


def variant_upload_to(instance, filename: str) -> str:
    """A path that is unique per variant identity; the name never defines identity."""
    ext = posixpath.splitext(filename)[1].lower() or ".jpg"
    return posixpath.join(
        settings.UPLOAD_TO,
        str(instance.style_id),
        f"{instance.product_id}-{instance.source_hash[:16]}-v{instance.style_version}"
        f"-{instance.engine_version}{ext}",
    )


def content_addressed_name(name: str, data: bytes) -> str:
    """``name`` with a digest of the file's bytes before the extension: ``a/x.jpg`` -> ``a/x-c3f2a...jpg``.

    A URL then never serves two different files, so a CDN may cache it for ever: a
    re-render that gives other pixels gets another name, whether or not the storage
    overwrites files (django-storages' S3 backend does by default).
    """
    stem, ext = posixpath.splitext(name)
    return f"{stem}-c{hashlib.sha256(data).hexdigest()[:16]}{ext}"


def mask_upload_to(instance, filename: str) -> str:
    """Product masks live in a ``masks`` folder under UPLOAD_TO, named by product and photo hash."""
    kind = "uploaded" if getattr(instance, "mask_uploaded", False) else "computed"
    return posixpath.join(
        settings.UPLOAD_TO, "masks", f"{instance.product_id}-{(instance.mask_source_hash or 'none')[:16]}-{kind}.png"
    )


_RENDITION = re.compile(r"^(?P<stem>.+)-(?P<width>\d+)w(?P<ext>\.[A-Za-z0-9]+)$")


def rendition_name(name: str, width: int) -> str:
    """The name of a variant's smaller copy: ``a/b/x.jpg`` at 320 px is ``a/b/x-320w.jpg``."""
    stem, ext = posixpath.splitext(name)
    return f"{stem}-{int(width)}w{ext}"


def rendition_names(name: str, widths) -> list[str]:
    return [rendition_name(name, width) for width in widths or ()] if name else []


def rendition_parent(name: str) -> str | None:
    """The variant file a rendition belongs to, or None when ``name`` is not a rendition's."""
    match = _RENDITION.match(name)
    return f"{match['stem']}{match['ext']}" if match else None
