"""``python -m stylerec_plugin.engine calibrate``: how a content floor would treat a catalogue.

Renders every photo in every preset (and any reference images) at the full strength and at
each retry strength at the stored size (800 px by default: what shoppers see; scores at 256 px
differ by up to 0.16), scores each output with the structure gate's product-region SSIM
(``gates.judge``), then prints, for a range of
floors, how many (photo, style) pairs would be shown and at what strength, plus per-style
rows. Use it with contact sheets (``sheet``) to pick a shop's floor; docs/engine.md tells
how the default was chosen on the demo catalogue. ``--csv`` keeps every score.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import ImageInputError

# Shops store and serve photos at about this long edge (the demo: 800 px): score what shoppers see.
STORED_SIZE = 800


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("photos", nargs="+", help="product photos (files or folders of .jpg/.png)")
    parser.add_argument("--references", nargs="*", default=[], help="reference images to include")
    parser.add_argument("--presets", default="all", help="'all' or comma-separated indexes")
    parser.add_argument("--strengths", default="1.0,0.8,0.6,0.4", help="strengths to score, strongest first")
    parser.add_argument("--floors", default="0.2,0.25,0.3,0.35,0.4,0.45", help="floors to summarise")
    parser.add_argument(
        "--size", type=int, default=STORED_SIZE, help=f"working long edge (default {STORED_SIZE}: the stored size)"
    )
    parser.add_argument("--mode", default="product_true", choices=["product_true", "artistic"])
    parser.add_argument("--csv", help="write every (photo, style, strength, ssim) here")
    parser.add_argument("--device", default=None)
    parser.add_argument("--precision", default="auto")


def _photo_paths(items: Sequence[str]) -> list[Path]:
    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            paths += sorted(p for p in path.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp"))
        else:
            paths.append(path)
    return paths


def score_catalogue(args: argparse.Namespace) -> tuple[list[str], list[str], list[float], np.ndarray]:
    """SSIM array [photos, styles, strengths] (NaN where a photo could not be read)."""
    from .images import load_image
    from .presets import NUM_PRESETS
    from .stylizer import StyleSpec, Stylizer

    stylizer = Stylizer(device=args.device, max_side=args.size, precision=args.precision)
    strengths = [float(s) for s in args.strengths.split(",")]
    presets = range(NUM_PRESETS) if args.presets == "all" else [int(i) for i in args.presets.split(",")]
    mode = getattr(args, "mode", "product_true")
    styles: list[tuple[str, StyleSpec]] = [(f"preset {i}", StyleSpec("preset", {i: 1.0}, mode=mode)) for i in presets]
    styles += [(f"ref {Path(r).stem}", StyleSpec("reference", reference=Path(r), mode=mode)) for r in args.references]
    photos = _photo_paths(args.photos)
    scores = np.full((len(photos), len(styles), len(strengths)), np.nan, dtype=np.float32)
    for p, path in enumerate(photos):
        try:
            photo = load_image(path, max_side=args.size)
        except (ImageInputError, OSError) as exc:
            print(f"skipping {path}: {exc}", file=sys.stderr)
            continue
        for s, (_, spec) in enumerate(styles):
            # Floor above 1 forces every strength to be tried and scored.
            result = stylizer.restyle(photo, spec, floor=1.01, retry_strengths=strengths[1:])
            for k, ((strength, _), report) in enumerate(zip(result.tried, result.attempts, strict=True)):
                assert strength == strengths[k]
                scores[p, s, k] = report.region_ssim  # the structure gate's score
        print(f"[{p + 1}/{len(photos)}] {path.name}", file=sys.stderr, flush=True)
    return [p.name for p in photos], [name for name, _ in styles], strengths, scores


def summarise(styles: list[str], strengths: list[float], scores: np.ndarray, floors: list[float]) -> str:
    valid = ~np.isnan(scores[:, 0, 0])
    scores = scores[valid]
    lines = [
        f"{scores.shape[0]} photos x {len(styles)} styles; strengths tried {strengths}",
        "| floor | shown at full strength | shown after retries | rejected | mean strength shown |",
        "|---|---|---|---|---|",
    ]
    for floor in floors:
        passing = scores >= floor
        first = np.where(passing.any(axis=2), passing.argmax(axis=2), -1)
        shown = first >= 0
        used = np.where(shown, np.array(strengths)[np.clip(first, 0, None)], np.nan)
        lines.append(
            f"| {floor:.2f} | {np.mean(first == 0):.0%} | {np.mean(first > 0):.0%} | {np.mean(~shown):.0%} "
            f"| {np.nanmean(used):.2f} |"
        )
    lines += ["", "| style | median ssim at " + " / ".join(str(s) for s in strengths) + " | photos under 0.35 at 1.0 |"]
    lines.append("|---|---|---|")
    for s, name in enumerate(styles):
        medians = " / ".join(f"{np.median(scores[:, s, k]):.2f}" for k in range(len(strengths)))
        lines.append(f"| {name} | {medians} | {np.mean(scores[:, s, 0] < 0.35):.0%} |")
    return "\n".join(lines)


def run_calibrate(args: argparse.Namespace) -> int:
    names, styles, strengths, scores = score_catalogue(args)
    if args.csv:
        with open(args.csv, "w", newline="") as fp:
            writer = csv.writer(fp)
            writer.writerow(["photo", "style", "strength", "ssim"])
            for p, name in enumerate(names):
                for s, style in enumerate(styles):
                    for k, strength in enumerate(strengths):
                        if not np.isnan(scores[p, s, k]):
                            writer.writerow([name, style, strength, f"{scores[p, s, k]:.4f}"])
    floors = [float(f) for f in args.floors.split(",")]
    print(summarise(styles, strengths, scores, floors))
    print(json.dumps({"photos": len(names), "styles": len(styles)}))
    return 0
