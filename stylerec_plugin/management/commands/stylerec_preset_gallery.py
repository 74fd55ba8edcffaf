"""manage.py stylerec_preset_gallery: render the 26 presets on one sample photo for the style form.

Run it once after installing (``make demo`` does), and again after the engine changes: pictures
are stored per engine version in the variant storage, with ``stylerec/preset-gallery/gallery.json``
naming them. Needs the ``engine`` extra (PyTorch and the networks); the admin itself never imports
torch. The sample is ``--photo`` or the best-scored analysed product photo.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...conf import settings
from ...models import ProductPhoto
from ...models.styles import PRESET_COUNT
from ...restyling.preset_gallery import MANIFEST, TILE_SIDE, tile_name
from ...storage import variant_storage

WORKING_SIDE = 256  # the network runs at this long edge; tiles are then shrunk to TILE_SIDE


def _best_product_photo() -> tuple[bytes, str]:
    rows = (
        ProductPhoto.objects.filter(is_weak=False, quality_score__isnull=False)
        .select_related("product")
        .order_by("-quality_score", "product_id")
    )
    for row in rows[:20]:
        field_file = getattr(row.product, settings.PRODUCT_IMAGE_FIELD, None)
        if not field_file:
            continue
        try:
            with field_file.open("rb") as handle:
                return handle.read(), f"product {row.product_id} ({field_file.name})"
        except OSError:
            continue
    raise CommandError(
        "No analysed product photo to use yet: give one with --photo PATH (or restyle some products first)."
    )


class Command(BaseCommand):
    help = "Render the 26 pretrained presets on a sample photo, for the preset gallery in the style admin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--photo", help="the sample photo (default: the best-scored analysed product photo)")
        parser.add_argument("--force", action="store_true", help="render again even when the gallery is current")
        parser.add_argument("--size", type=int, default=WORKING_SIDE,
                            help=f"long edge the network runs at (default {WORKING_SIDE})")

    def handle(self, *args, photo: str | None = None, force: bool = False, size: int = WORKING_SIDE,
               **options) -> None:
        try:
            from ...engine.images import load_image
            from ...engine.stylizer import ENGINE_VERSIONS, StyleSpec, Stylizer
        except ImportError as error:
            raise CommandError(
                f"The preset gallery needs the engine: pip install 'django-stylerec[engine]' ({error})."
            ) from error
        from ...restyling.preset_gallery import read_manifest

        engine_version = ENGINE_VERSIONS["preset"]
        current = read_manifest()
        if current and current.get("engine_version") == engine_version and not force:
            self.stdout.write(f"The preset gallery is current ({engine_version}); --force renders it again.")
            return
        if photo:
            try:
                with open(photo, "rb") as handle:
                    data, source = handle.read(), Path(photo).name
            except OSError as error:
                raise CommandError(f"Cannot read {photo}: {error}") from error
        else:
            data, source = _best_product_photo()
        try:
            sample = load_image(data, max_side=size)
        except Exception as error:  # the engine's ImageInputError family, or Pillow's
            raise CommandError(f"{source} cannot be used as the sample photo: {error}") from error

        started = time.perf_counter()
        stylizer = Stylizer(max_side=size)
        storage = variant_storage()
        tiles = {}
        for index in range(PRESET_COUNT):
            spec = StyleSpec(kind="preset", preset_weights={index: 1.0}, strength=1.0)
            result = stylizer.restyle(sample, spec, floor=0.0, retry_strengths=())
            image = result.image.convert("RGB")
            image.thumbnail((TILE_SIDE, TILE_SIDE))
            buffer = io.BytesIO()
            image.save(buffer, "WEBP", quality=75)
            name = tile_name(engine_version, index)
            if storage.exists(name):
                storage.delete(name)
            tiles[str(index)] = storage.save(name, ContentFile(buffer.getvalue()))
            self.stdout.write(f"\rPresets: {index + 1}/{PRESET_COUNT}", ending="")
        self.stdout.write("")
        manifest = {
            "engine_version": engine_version,
            "sample": source,
            "created_at": timezone.now().isoformat(),
            "tile_side": TILE_SIDE,
            "tiles": tiles,
        }
        if storage.exists(MANIFEST):
            storage.delete(MANIFEST)
        storage.save(MANIFEST, ContentFile(json.dumps(manifest, indent=2).encode("utf-8")))
        self.stdout.write(
            self.style.SUCCESS(
                f"Preset gallery: {PRESET_COUNT} presets on {source} in {time.perf_counter() - started:.1f} s."
            )
        )
