"""Contact sheets: one PNG per style, each product's original next to its variant, with the scores.

Read from the stored files (the product's photo through the product adapter, the variant
through the variants' storage), so a sheet shows exactly what shoppers are shown. Pillow only.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..models import VariantStatus
from ..products import get_product_adapter
from ..storage import variant_storage
from .quality_report import StyleQuality

CELL = 200  # each picture fits a CELL x CELL box
PAIRS_PER_ROW = 3
CAPTION = 46
GAP = 8
SHOWN_COLOUR, HIDDEN_COLOUR = (30, 30, 30), (186, 33, 33)


def _thumbnail(data: bytes | None) -> Image.Image:
    box = Image.new("RGB", (CELL, CELL), (236, 236, 236))
    if data:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image = image.convert("RGB")
                image.thumbnail((CELL, CELL))
                box.paste(image, ((CELL - image.width) // 2, (CELL - image.height) // 2))
        except OSError:
            pass
    return box


def _read_variant(name: str) -> bytes | None:
    try:
        with variant_storage().open(name, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _caption(row, limit: float) -> str:
    def num(value, digits: int) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    state = "shown" if row.shown else row.status
    if row.review:
        state += f" ({row.review})"
    return (
        f"{state}  dE {num(row.colour_mean_de, 1)}/{num(row.colour_dominant_de, 1)} (limit {limit:g})\n"
        f"SSIM {num(row.region_ssim, 2)}  scene {num(row.scene_change, 2)}  mask {num(row.mask_confidence, 2)}"
    )


def write_sheet(report: StyleQuality, folder: Path, *, include_hidden: bool = False) -> Path | None:
    """Write ``<style slug>.png`` in ``folder``; returns its path (None when the style shows nothing)."""
    adapter = get_product_adapter()
    rows = [
        row
        for row in report.rows
        if row.image and (row.shown or (include_hidden and row.status in (VariantStatus.READY, VariantStatus.REJECTED)))
    ]
    if not rows:
        return None
    font = ImageFont.load_default()
    pair_width = CELL * 2 + GAP
    lines = (len(rows) + PAIRS_PER_ROW - 1) // PAIRS_PER_ROW
    header = 28
    sheet = Image.new(
        "RGB",
        (PAIRS_PER_ROW * (pair_width + GAP * 2) + GAP, header + lines * (CELL + CAPTION + GAP * 2)),
        "white",
    )
    draw = ImageDraw.Draw(sheet)
    draw.text((GAP, 8), f"{report.name} ({report.kind}, {report.render_mode}): original | shown variant", fill="black",
              font=font)
    for index, row in enumerate(rows):
        x = GAP + (index % PAIRS_PER_ROW) * (pair_width + GAP * 2)
        y = header + (index // PAIRS_PER_ROW) * (CELL + CAPTION + GAP * 2)
        try:
            original = adapter.read_photo(row.product)
        except (FileNotFoundError, ValueError):
            original = None
        sheet.paste(_thumbnail(original), (x, y))
        sheet.paste(_thumbnail(_read_variant(row.image.name)), (x + CELL + GAP, y))
        colour = SHOWN_COLOUR if row.shown else HIDDEN_COLOUR
        name = adapter.name(row.product)[:40]
        draw.text((x, y + CELL + 3), f"{name}\n{_caption(row, report.colour_limit)}", fill=colour, font=font)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{report.style}.png"
    sheet.save(path, optimize=True)
    return path
