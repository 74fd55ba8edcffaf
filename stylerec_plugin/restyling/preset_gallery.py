"""The preset gallery in the style form: the 26 pretrained presets, each shown on one sample photo.

``manage.py stylerec_preset_gallery`` renders the pictures once with the installed network (a
worker-side job: it needs the ``engine`` extra) and stores them with a small manifest in the
variant storage; the admin only reads the manifest (one storage read per form), never torch.
Without a gallery the form shows numbered tiles and says how to make the pictures.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass

from ..models.styles import PRESET_COUNT
from ..storage import variant_storage

GALLERY_FOLDER = "stylerec/preset-gallery"
MANIFEST = posixpath.join(GALLERY_FOLDER, "gallery.json")
TILE_SIDE = 192


@dataclass(frozen=True)
class PresetTile:
    index: int
    url: str  # "" when the gallery has not been rendered


def tile_name(engine_version: str, index: int) -> str:
    return posixpath.join(GALLERY_FOLDER, engine_version, f"preset-{index:02d}.webp")


def read_manifest() -> dict | None:
    storage = variant_storage()
    try:
        if not storage.exists(MANIFEST):
            return None
        with storage.open(MANIFEST, "rb") as handle:
            manifest = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("tiles"), dict) else None


def gallery_tiles() -> tuple[list[PresetTile], dict | None]:
    manifest = read_manifest()
    storage = variant_storage()
    tiles = []
    for index in range(PRESET_COUNT):
        name = (manifest or {}).get("tiles", {}).get(str(index), "")
        tiles.append(PresetTile(index, storage.url(name) if name else ""))
    return tiles, manifest
