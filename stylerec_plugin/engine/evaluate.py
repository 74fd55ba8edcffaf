"""``python -m stylerec_plugin.engine evaluate``: the issue-10 "Done means" figures for a catalogue.

Two ways in:

* from photos: render every photo in every style (the eight demo styles by default) through
  the real ``Stylizer`` path at the stored size, gates and retries included;

      python -m stylerec_plugin.engine evaluate /work/shared/demo-assets/products \\
          --styles-dir /work/shared/demo-assets/styles --size 800 --csv scores.csv --sheets sheets/

* from (original, variant) pairs someone else made (the Django path after ``make demo``):
  a CSV with columns ``original,variant,style,status`` (paths; status "ready" = shown);

      python -m stylerec_plugin.engine evaluate --pairs pairs.csv

For every variant it measures, in CIELAB (CIE76 ΔE) at 256 px, the shift of the product
region's mean colour twice: in the product mask ``find_product`` gives (what the gate sees)
and in the issue's own independent region, "pixels far from the photo's border colour"
(ΔE over ``BORDER_REGION_DE`` from the border strip's median colour), so the gate does not
grade itself. "Visibly styled" is the gate's ``scene_change``: the mean per-pixel ΔE between
original and variant outside the product at 128 px; a shown variant under
``DEFAULT_MIN_SCENE_CHANGE`` counts as not visibly styled. Styles of kind "enhance" are
reported but left out of the totals (the issue measures styles that are not a plain
enhancement).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ImageInputError

# The demo shop's eight styles (demo_shop/catalog/demo_data.py; the engine cannot import Django).
DEMO_STYLES: list[dict] = [
    {"slug": "great-wave", "kind": "reference", "reference": "great-wave_hokusai_1831.jpg", "strength": 1.0},
    {"slug": "starry-night", "kind": "reference", "reference": "starry-night_van-gogh_1889.jpg", "strength": 0.8},
    {"slug": "kandinsky", "kind": "reference", "reference": "composition-viii_kandinsky_1923.jpg", "strength": 1.0},
    {"slug": "midnight-teal", "kind": "preset", "preset_weights": {23: 1.0}, "strength": 1.0},
    {"slug": "sepia-oil", "kind": "preset", "preset_weights": {10: 1.0}, "strength": 0.9},
    {"slug": "pastel-haze", "kind": "preset", "preset_weights": {14: 0.5, 12: 0.5}, "strength": 1.0},
    {"slug": "warm-retro", "kind": "tone", "reference": "bal-du-moulin_renoir_1876.jpg", "strength": 0.8},
    {"slug": "studio-enhance", "kind": "enhance", "strength": 1.0},
]
# The independent product region: pixels at least this far (CIE76) from the border's median colour.
BORDER_REGION_DE = 20.0
MEASURE_SIDE = 256


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photos", nargs="*", help="product photos (files or folders)")
    parser.add_argument("--pairs", help="CSV of original,variant,style,status to measure instead of rendering")
    parser.add_argument("--styles-dir", help="folder with the demo styles' reference paintings")
    parser.add_argument("--styles", default="all", help="comma-separated demo style slugs (default all)")
    parser.add_argument("--mode", default="product_true", choices=["product_true", "artistic"])
    parser.add_argument("--size", type=int, default=None, help="working long edge (default: the stored size, 800)")
    parser.add_argument("--floor", type=float, default=None, help="structure floor (default: the engine's)")
    parser.add_argument("--csv", help="write one row per variant here")
    parser.add_argument("--sheets", help="write one contact sheet per style into this folder")
    parser.add_argument("--tile", type=int, default=120, help="sheet tile long edge (default 120)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--precision", default="auto")


@dataclass
class Measured:
    photo: str
    style: str
    kind: str
    status: str
    strength: float
    mask_de: float  # product mean colour shift in the find_product mask
    border_de: float  # ... in the independent border-distance region
    dominant_de: float
    region_ssim: float
    scene_change: float
    confidence: float
    reason: str

    @property
    def shown(self) -> bool:
        return self.status == "ready"


def border_region(lab: np.ndarray) -> np.ndarray:
    """The issue's product region: pixels far from the photo's border colour (bool, H x W)."""
    height, width = lab.shape[:2]
    strip = max(2, round(0.03 * min(height, width)))
    border = np.concatenate(
        [
            lab[:strip].reshape(-1, 3),
            lab[-strip:].reshape(-1, 3),
            lab[:, :strip].reshape(-1, 3),
            lab[:, -strip:].reshape(-1, 3),
        ]
    )
    colour = np.median(border, axis=0)
    region = np.linalg.norm(lab - colour, axis=2) > BORDER_REGION_DE
    if region.mean() < 0.01:
        region[:] = True  # nothing stands out: the whole frame
    return region


def measure(original_rgb: np.ndarray, variant_rgb: np.ndarray, mask) -> dict[str, float]:
    """The figures for one (original, variant) pair (float RGB at the same size)."""
    from .gates import _area, _fit, judge
    from .product_true import rgb_to_lab

    report = judge(original_rgb, variant_rgb, mask, structure_floor=0.0, min_scene_change=0.0)
    shape = _fit(*original_rgb.shape[:2], MEASURE_SIDE)
    before, after = rgb_to_lab(_area(original_rgb, shape)), rgb_to_lab(_area(variant_rgb, shape))
    region = border_region(before)
    border_de = float(np.linalg.norm(after[region].mean(axis=0) - before[region].mean(axis=0)))
    return {
        "mask_de": report.colour_mean_de,
        "border_de": border_de,
        "dominant_de": report.colour_dominant_de,
        "region_ssim": report.region_ssim,
        "scene_change": report.scene_change,
    }


def _style_specs(args: argparse.Namespace) -> list[tuple[dict, object]]:
    from .stylizer import StyleSpec

    chosen = DEMO_STYLES if args.styles == "all" else [s for s in DEMO_STYLES if s["slug"] in args.styles.split(",")]
    specs = []
    for style in chosen:
        reference = None
        if "reference" in style:
            if not args.styles_dir:
                raise SystemExit(f"--styles-dir is needed for {style['slug']} (a {style['kind']} style)")
            reference = Path(args.styles_dir) / style["reference"]
        spec = StyleSpec(
            kind=style["kind"],
            preset_weights=style.get("preset_weights"),
            reference=reference,
            strength=style["strength"],
            mode=args.mode,
        )
        specs.append((style, spec))
    return specs


def render_and_measure(args: argparse.Namespace) -> tuple[list[Measured], dict]:
    from .calibrate import _photo_paths
    from .images import load_image
    from .segment import find_product_array
    from .stylizer import DEFAULT_FLOOR, Stylizer

    size = args.size or STORED_SIZE
    stylizer = Stylizer(device=args.device, max_side=size, precision=args.precision)
    floor = DEFAULT_FLOOR if args.floor is None else args.floor
    rows: list[Measured] = []
    tiles: dict[str, list] = {}
    photos = _photo_paths(args.photos)
    specs = _style_specs(args)
    for n, path in enumerate(photos):
        try:
            photo = load_image(path, max_side=size)
        except (ImageInputError, OSError) as exc:
            print(f"skipping {path}: {exc}", file=sys.stderr)
            continue
        mask = find_product_array(photo.rgb, photo.alpha)
        for style, spec in specs:
            result = stylizer.restyle(photo, spec, floor=floor, mask=mask)
            variant = np.asarray(result.image.convert("RGB"), np.float32) / 255.0
            figures = measure(_shown(photo), variant, mask)
            rows.append(
                Measured(
                    path.name,
                    style["slug"],
                    style["kind"],
                    result.status,
                    result.strength_used,
                    confidence=mask.confidence,
                    reason=result.reason,
                    **figures,
                )  # fmt: skip
            )
            if args.sheets:
                tiles.setdefault(style["slug"], []).append((n, result.image, rows[-1]))
        print(f"[{n + 1}/{len(photos)}] {path.name}", file=sys.stderr, flush=True)
    return rows, tiles


STORED_SIZE = 800  # the demo shop stores and serves photos at about 800 px (see docs/engine.md)


def _shown(photo) -> np.ndarray:
    if photo.alpha is None:
        return photo.rgb
    a = photo.alpha[..., None]
    return photo.rgb * a + (1.0 - a)


def measure_pairs(path: str) -> list[Measured]:
    from .images import load_image, resize_array
    from .segment import find_product_array

    rows: list[Measured] = []
    masks: dict[str, object] = {}
    with open(path, newline="") as fp:
        for record in csv.DictReader(fp):
            original = load_image(record["original"], max_side=STORED_SIZE)
            rgb = _shown(original)
            variant = load_image(record["variant"], max_side=STORED_SIZE)
            variant_rgb = np.clip(resize_array(_shown(variant), rgb.shape[:2]), 0.0, 1.0)
            if record["original"] not in masks:
                masks[record["original"]] = find_product_array(original.rgb, original.alpha)
            mask = masks[record["original"]]
            kind = record.get("kind") or ("enhance" if "enhance" in record["style"] else "style")
            rows.append(
                Measured(
                    Path(record["original"]).name,
                    record["style"],
                    kind,
                    record.get("status", "ready"),
                    float(record.get("strength") or 0.0),
                    confidence=mask.confidence,
                    reason=record.get("reason", ""),
                    **measure(rgb, variant_rgb, mask),
                )  # fmt: skip
            )
    return rows


def summarise(rows: Sequence[Measured], min_scene_change: float) -> str:
    lines = [
        "| style | variants | shown | rejected | shown within ΔE 10 (mask / border region) | over 20 (mask / border) "
        "| median ΔE (mask / border) | not visibly styled | min scene change |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    styles = list(dict.fromkeys(r.style for r in rows))

    def line(name: str, group: list[Measured]) -> str:
        shown = [r for r in group if r.shown]
        rejected = len(group) - len(shown)
        if not shown:
            return (
                f"| {name} | {len(group)} | 0 | {rejected} ({rejected / max(len(group), 1):.0%}) | - | - | - | - | - |"
            )
        mask = np.array([r.mask_de for r in shown])
        border = np.array([r.border_de for r in shown])
        scene = np.array([r.scene_change for r in shown])
        return (
            f"| {name} | {len(group)} | {len(shown)} | {rejected} ({rejected / len(group):.1%}) "
            f"| {np.mean(mask <= 10):.1%} / {np.mean(border <= 10):.1%} "
            f"| {int((mask > 20).sum())} / {int((border > 20).sum())} "
            f"| {np.median(mask):.1f} / {np.median(border):.1f} "
            f"| {int((scene < min_scene_change).sum())} | {scene.min():.1f} |"
        )

    for style in styles:
        lines.append(line(style, [r for r in rows if r.style == style]))
    counted = [r for r in rows if r.kind != "enhance"]
    lines.append(line("**all but enhance**", counted))
    return "\n".join(lines)


def write_sheets(folder: str, tiles: dict[str, list], tile: int) -> list[str]:
    from PIL import Image, ImageDraw

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for style, items in tiles.items():
        columns = 9
        rows = -(-len(items) // columns)
        sheet = Image.new("RGB", (columns * (tile + 4) + 4, rows * (tile + 18) + 4), "white")
        draw = ImageDraw.Draw(sheet)
        for k, (n, image, row) in enumerate(items):
            thumb = image.convert("RGB")
            thumb.thumbnail((tile, tile))
            r, c = divmod(k, columns)
            x, y = 4 + c * (tile + 4), 4 + r * (tile + 18)
            sheet.paste(thumb, (x, y + 16))
            colour = "black" if row.shown else "red"
            draw.text((x + 1, y + 2), f"{n} dE{row.mask_de:.0f} s{row.scene_change:.0f}", fill=colour)
        path = out / f"{style}.png"
        sheet.save(path)
        written.append(str(path))
    return written


def run_evaluate(args: argparse.Namespace) -> int:
    from .gates import DEFAULT_MIN_SCENE_CHANGE

    if args.pairs:
        rows, tiles = measure_pairs(args.pairs), {}
    elif args.photos:
        rows, tiles = render_and_measure(args)
    else:
        print("give product photos (or --pairs pairs.csv)", file=sys.stderr)
        return 2
    if args.csv:
        with open(args.csv, "w", newline="") as fp:
            writer = csv.writer(fp)
            fields = list(Measured.__dataclass_fields__)
            writer.writerow(fields)
            for row in rows:
                writer.writerow(
                    [
                        getattr(row, f) if not isinstance(getattr(row, f), float) else round(getattr(row, f), 4)
                        for f in fields
                    ]
                )
    print(summarise(rows, DEFAULT_MIN_SCENE_CHANGE))
    if args.sheets and tiles:
        print(json.dumps({"sheets": write_sheets(args.sheets, tiles, args.tile)}))
    return 0
