"""Where variant files live: any Django storage backend (local, S3-like, ...)."""

from __future__ import annotations

import posixpath

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
