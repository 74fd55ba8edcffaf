"""Batched restyle throughput on one device, with decode, transfer, network and encode broken out.

    # On a GPU host (unmeasured so far: no GPU was available to this project yet):
    .venv/bin/python bench/gpu_restyle.py --device cuda --size 512 --batch 16 --batches 20
    # The same on CPU, to check the script (batch 1 is what a CPU worker does):
    .venv/bin/python bench/gpu_restyle.py --device cpu --size 512 --batch 1 --batches 10

Real demo photos (``demo_shop/fixtures/products``) are decoded at ``--size`` on their
long edge and centre-cropped to a square, so every image of a batch has one shape (the
worker groups photos of one working size the same way). Each stage is synchronised
before its clock stops. It ends with the catalogue-scale figure: 10,000 products x 8
styles = 80,000 variants on one such device.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from itertools import cycle, islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CATALOGUE_VARIANTS = 10_000 * 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None, help="cuda, cuda:N or cpu (default: CUDA when present)")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--batches", type=int, default=20, help="timed batches (after 2 untimed)")
    parser.add_argument("--engine", choices=["preset", "reference"], default="preset")
    args = parser.parse_args()

    import numpy as np
    import torch

    from stylerec_plugin.engine import Stylizer
    from stylerec_plugin.engine.images import encode_image, load_image, to_pil

    stylizer = Stylizer(device=args.device, max_side=args.size)
    cuda = stylizer.device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    photos = [path.read_bytes() for path in sorted((ROOT / "demo_shop" / "fixtures" / "products").glob("*.jpg"))]
    if args.engine == "preset":
        net = stylizer._network("multistyle")
        weights = np.zeros(26, np.float32)
        weights[0] = 1.0
        condition = torch.from_numpy(weights).to(stylizer._torch_device)
    else:
        net = stylizer._network("transformer")
        vector = stylizer.style_vector(photos[0])
        condition = torch.from_numpy(np.repeat(vector[None], args.batch, 0).astype(np.float32)).to(
            stylizer._torch_device
        )
    source = cycle(photos)
    stages: dict[str, list[float]] = {"decode": [], "transfer in": [], "network": [], "transfer out": [], "encode": []}

    def square(rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        side = min(height, width, args.size)
        top, left = (height - side) // 2, (width - side) // 2
        return np.ascontiguousarray(rgb[top : top + side, left : left + side])

    def one_batch(timed: bool) -> None:
        clock = time.perf_counter()
        rgbs = [square(load_image(data, max_side=args.size).rgb) for data in islice(source, args.batch)]
        side = min(rgb.shape[0] for rgb in rgbs)
        rgbs = [rgb[:side, :side] for rgb in rgbs]
        marks = [("decode", time.perf_counter())]
        with torch.inference_mode():
            x = stylizer._to_tensor(rgbs)
            sync()
            marks.append(("transfer in", time.perf_counter()))
            out = net(x, condition)
            sync()
            marks.append(("network", time.perf_counter()))
            arrays = out.float().clamp(0.0, 1.0).permute(0, 2, 3, 1).cpu().numpy()
            marks.append(("transfer out", time.perf_counter()))
        for array in arrays:
            encode_image(to_pil(np.ascontiguousarray(array)))
        marks.append(("encode", time.perf_counter()))
        if timed:
            previous = clock
            for name, moment in marks:
                stages[name].append((moment - previous) * 1000 / args.batch)
                previous = moment

    for _ in range(2):
        one_batch(timed=False)
    for _ in range(args.batches):
        one_batch(timed=True)

    total = sum(statistics.median(values) for values in stages.values())
    print(f"\n{args.engine} network on {stylizer.device} ({stylizer.precision}), {args.size} px, batch {args.batch}, "
          f"median of {args.batches} batches, ms per image\n")
    print("| " + " | ".join(stages) + " | total | images/s |")
    print("|" + "---:|" * (len(stages) + 2))
    print("| " + " | ".join(f"{statistics.median(v):.1f}" for v in stages.values()) + f" | {total:.1f} | "
          f"{1000 / total:.1f} |")
    seconds = CATALOGUE_VARIANTS * total / 1000
    print(f"\n{CATALOGUE_VARIANTS} variants (10,000 products x 8 styles) on this one device: {seconds / 3600:.1f} h "
          f"({60000 / total:.0f} variants/min; engine stages only, no database or storage round trips)")


if __name__ == "__main__":
    main()
