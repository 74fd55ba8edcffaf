"""Command line: ``python -m stylerec_plugin.engine stylize|sheet|calibrate|evaluate|bench``.

    python -m stylerec_plugin.engine stylize mug.jpg --style preset:19 --strength 0.8 -o mug-19.jpg
    python -m stylerec_plugin.engine stylize mug.jpg --style starry-night.jpg -o mug-vg.jpg
    python -m stylerec_plugin.engine stylize mug.jpg --style warm.jpg --engine tone -o mug-warm.jpg
    python -m stylerec_plugin.engine sheet mug.jpg -o mug-sheet.png
    python -m stylerec_plugin.engine calibrate demo_shop/fixtures/products --references paintings/*.jpg
    python -m stylerec_plugin.engine bench --sizes 256,512 --repeats 5

``stylize`` prints one JSON line (engine, device, sizes, strength used, scores, ms); bad
photos exit with status 2 and an ``error`` line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import ImageInputError

EXIT_BAD_INPUT = 2


def _floor_arg(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("the floor must be between 0 and 1")
    return value


def _strength_arg(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("strength must be between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .stylizer import DEFAULT_FLOOR, KINDS

    parser = argparse.ArgumentParser(prog="python -m stylerec_plugin.engine", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--size", type=int, default=800, help="working long edge in pixels (default 800: the size a shop stores)"
    )
    common.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: CUDA when present)")
    common.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "float32", "bfloat16", "float16"],
        help="network precision (default auto: float16 on CUDA, bfloat16 on CPUs with native bf16)",
    )

    stylize = sub.add_parser("stylize", parents=[common], help="restyle one photo and print a JSON line")
    stylize.add_argument("input", help="product photo")
    stylize.add_argument("--style", help="preset:N, preset:N:w,M:w, or a reference image path")
    stylize.add_argument("--engine", choices=KINDS, help="default: preset for preset:..., else reference")
    stylize.add_argument("--strength", type=_strength_arg, default=1.0)
    stylize.add_argument("--preserve-colour", "--preserve-color", action="store_true", dest="preserve_colour")
    stylize.add_argument(
        "--mode", default="product_true", choices=["product_true", "artistic"], help="artistic recolours the product"
    )
    stylize.add_argument(
        "--floor", type=_floor_arg, default=DEFAULT_FLOOR, help=f"content floor (default {DEFAULT_FLOOR})"
    )
    stylize.add_argument("--retry", default="0.8,0.6,0.4", help="lower strengths to retry under the floor")
    stylize.add_argument("-o", "--output", required=True, help="output image (.jpg, .png, .webp)")

    sheet = sub.add_parser(
        "sheet", parents=[common], help="contact sheet: one photo in every preset, rendered at --size, shown at --tile"
    )
    sheet.add_argument("input", help="product photo")
    sheet.add_argument("-o", "--output", required=True, help="sheet image (.png)")
    sheet.add_argument("--tile", type=int, default=256, help="tile long edge on the sheet (default 256)")
    sheet.add_argument("--mode", default="product_true", choices=["product_true", "artistic"])
    sheet.add_argument("--columns", type=int, default=7)
    sheet.add_argument("--strength", type=_strength_arg, default=1.0)
    sheet.add_argument("--references", nargs="*", default=[], help="also render these reference images")
    sheet.add_argument("--floor", type=_floor_arg, default=DEFAULT_FLOOR, help="tiles under it get a red label")

    calibrate = sub.add_parser("calibrate", help="how content floors would treat a catalogue of photos")
    from .calibrate import add_arguments as add_calibrate_arguments

    add_calibrate_arguments(calibrate)

    evaluate = sub.add_parser("evaluate", help="the product-true figures (colour shift, visibly styled, rejected)")
    from .evaluate import add_arguments as add_evaluate_arguments

    add_evaluate_arguments(evaluate)

    bench = sub.add_parser("bench", help="PyTorch vs onnxruntime speed table (each in its own process)")
    from .bench import add_arguments

    add_arguments(bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        from .bench import run_bench

        return run_bench(args)
    if args.command == "calibrate":
        from .calibrate import run_calibrate

        return run_calibrate(args)
    if args.command == "evaluate":
        from .evaluate import run_evaluate

        return run_evaluate(args)
    if args.command == "sheet":
        return _sheet(args)
    return _stylize(args)


def spec_from_args(
    style: str | None, engine: str | None, strength: float, preserve_colour: bool, mode: str = "product_true"
):
    from .presets import parse_preset_spec
    from .stylizer import StyleSpec

    if engine is None:
        if style is None:
            raise ValueError("--style is needed (preset:N or a reference image), or pass --engine enhance")
        engine = "preset" if style.lower().startswith("preset:") else "reference"
    if engine == "preset":
        if not style:
            raise ValueError("--style preset:N is needed for the preset engine")
        return StyleSpec(
            kind="preset",
            preset_weights=parse_preset_spec(style),
            strength=strength,
            preserve_colour=preserve_colour,
            mode=mode,
        )
    if engine in ("reference", "tone"):
        if not style or style.lower().startswith("preset:"):
            raise ValueError(f"the {engine} engine needs a reference image as --style")
        if not Path(style).is_file():
            raise ValueError(f"reference image not found: {style}")
        return StyleSpec(
            kind=engine, reference=Path(style), strength=strength, preserve_colour=preserve_colour, mode=mode
        )
    return StyleSpec(kind="enhance", strength=strength, preserve_colour=preserve_colour, mode=mode)


def _print_error(message: str, **extra: object) -> None:
    print(json.dumps({"error": message, **extra}), flush=True)


def _stylize(args: argparse.Namespace) -> int:
    from .stylizer import Stylizer

    try:
        spec = spec_from_args(args.style, args.engine, args.strength, args.preserve_colour, mode=args.mode)
        retry = [float(s) for s in args.retry.split(",") if s.strip()]
    except ValueError as exc:
        _print_error(str(exc))
        return EXIT_BAD_INPUT
    input_path = Path(args.input)
    if not input_path.is_file():
        _print_error(f"input not found: {input_path}")
        return EXIT_BAD_INPUT
    started = time.perf_counter()
    stylizer = Stylizer(device=args.device, max_side=args.size, precision=args.precision)
    try:
        result = stylizer.restyle(input_path, spec, floor=args.floor, retry_strengths=retry)
    except ImageInputError as exc:
        _print_error(str(exc), input=str(input_path), kind=type(exc).__name__)
        return EXIT_BAD_INPUT
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    image = result.image
    if image.mode == "RGBA" and output.suffix.lower() in (".jpg", ".jpeg"):
        output = output.with_suffix(".png")  # a cut-out stays a cut-out
    image.save(output)
    from PIL import Image

    with Image.open(input_path) as original:
        input_size = list(original.size)
    line = {
        "input": str(input_path),
        "output": str(output),
        "input_size": input_size,
        "output_size": [result.width, result.height],
        "precision": stylizer.precision if result.engine in ("preset", "reference") else "float32",
        **result.as_dict(),
        "total_ms": round((time.perf_counter() - started) * 1000.0, 1),
    }
    print(json.dumps(line), flush=True)
    return 0


def _sheet(args: argparse.Namespace) -> int:
    from PIL import Image, ImageDraw

    from .images import load_image
    from .presets import NUM_PRESETS
    from .stylizer import StyleSpec, Stylizer

    # Rendered (and scored) at the working size a shop stores, then shrunk to tiles for the sheet.
    stylizer = Stylizer(device=args.device, max_side=args.size, precision=args.precision)
    try:
        photo = load_image(args.input, max_side=args.size)
    except ImageInputError as exc:
        _print_error(str(exc), input=str(args.input), kind=type(exc).__name__)
        return EXIT_BAD_INPUT
    tiles: list[tuple[str, Image.Image, float | None]] = [("original", _tile(photo.to_pil(), args.tile), None)]
    specs = [
        (str(i), StyleSpec(kind="preset", preset_weights={i: 1.0}, strength=args.strength, mode=args.mode))
        for i in range(NUM_PRESETS)
    ]
    specs += [
        (
            Path(ref).stem.split("_")[0][:18],
            StyleSpec(kind="reference", reference=Path(ref), strength=args.strength, mode=args.mode),
        )
        for ref in args.references
    ]
    for label, spec in specs:
        # floor 0: show every style at the asked strength; the label carries its product-region score.
        result = stylizer.restyle(photo, spec, floor=0.0, retry_strengths=())
        tiles.append((label, _tile(result.image, args.tile), result.gates.region_ssim))

    tile_w, tile_h = tiles[0][1].size
    pad, label_h = 6, 16
    columns = max(1, args.columns)
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * (tile_w + pad) + pad, rows * (tile_h + label_h + pad) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (label, image, score) in enumerate(tiles):
        row, col = divmod(n, columns)
        x, y = pad + col * (tile_w + pad), pad + row * (tile_h + label_h + pad)
        if image.mode == "RGBA":
            backdrop = Image.new("RGBA", image.size, "white")
            image = Image.alpha_composite(backdrop, image).convert("RGB")
        sheet.paste(image, (x, y + label_h))
        text = label if score is None else f"{label}  ssim {score:.2f}"
        colour = "black" if score is None or score >= args.floor else "red"
        draw.text((x + 2, y + 2), text, fill=colour)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(output)
    print(json.dumps({"output": str(output), "tiles": len(tiles), "scores": {t[0]: t[2] for t in tiles[1:]}}))
    return 0


def _tile(image, side: int):
    image = image.copy()
    image.thumbnail((side, side))
    return image


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
