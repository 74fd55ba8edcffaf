"""Calibrate the photo-quality check on the demo catalogue: originals vs deliberately degraded copies.

    .venv/bin/python bench/photo_quality.py [--side 800] [--limit N] [--verbose]
    .venv/bin/python bench/photo_quality.py --timing     # ms per call at 512 and 1024 px

Prints, per variant (original and each degradation, then each degradation
after ``enhance_photo``), how many photos are flagged weak, the reasons, the
median score and the median content SSIM of the enhanced image to its input
and to the undegraded original (for a degraded row: its SSIM to the original). The thresholds in
``stylerec_plugin/engine/quality.py`` were chosen from this table.
"""

from __future__ import annotations

import argparse
import collections
import functools
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylerec_plugin.engine.enhance import enhance_photo  # noqa: E402
from stylerec_plugin.engine.images import load_image, resize_array  # noqa: E402
from stylerec_plugin.engine.metrics import content_ssim  # noqa: E402
from stylerec_plugin.engine.quality import DEGRADATIONS, assess_photo, degrade_photo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=800, help="load photos at this long edge (demo photos are 800)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N photos")
    parser.add_argument("--verbose", action="store_true", help="list the originals that are flagged")
    parser.add_argument("--timing", action="store_true", help="time tone_transfer, enhance_photo, assess_photo")
    args = parser.parse_args()
    if args.timing:
        timing()
        return

    photos = sorted((ROOT / "demo_shop" / "fixtures" / "products").glob("*.jpg"))
    if args.limit:
        photos = photos[: args.limit]
    rows: dict[str, list] = collections.defaultdict(list)
    times = []
    for path in photos:
        original = load_image(path, max_side=args.side).rgb
        quality = assess_photo(original)
        rows["original"].append((quality, None, None))
        if args.verbose and quality.is_weak:
            print(f"flagged original: {path.name}: {quality.reasons} score {quality.score}")
        for kind in DEGRADATIONS:
            weak = degrade_photo(original, kind)
            rows[kind].append((assess_photo(weak), None, content_ssim(original, weak)))
            start = time.perf_counter()
            fixed = enhance_photo(weak)
            times.append(time.perf_counter() - start)
            rows[f"{kind} + enhance"].append(
                (assess_photo(fixed), content_ssim(weak, fixed), content_ssim(original, fixed))
            )
        fixed = enhance_photo(original)
        rows["original + enhance"].append((assess_photo(fixed), content_ssim(original, fixed), None))

    print(f"{len(photos)} demo photos at {args.side} px long edge")
    print(f"{'variant':<20} {'flagged':>8} {'score p50':>9} {'ssim(in)':>8} {'ssim(orig)':>10}  reasons")
    for name, results in rows.items():
        flagged = sum(q.is_weak for q, _, _ in results)
        reasons = collections.Counter(r for q, _, _ in results for r in q.reasons)
        ssim_in = [s for _, s, _ in results if s is not None]
        ssim_orig = [s for _, _, s in results if s is not None]
        print(
            f"{name:<20} {flagged:>4}/{len(results):<3} {statistics.median(q.score for q, _, _ in results):>9.3f}"
            f" {statistics.median(ssim_in) if ssim_in else float('nan'):>8.3f}"
            f" {statistics.median(ssim_orig) if ssim_orig else float('nan'):>10.3f}  "
            + ", ".join(f"{r} {n}" for r, n in reasons.most_common())
        )
    print(f"enhance_photo: median {statistics.median(times) * 1000:.0f} ms per photo")


def timing(repeats: int = 7) -> None:
    """Median wall time per call on one photo (single process, whatever threads numpy uses)."""
    from stylerec_plugin.engine.tone import lab_statistics, tone_transfer

    photo = ROOT / "demo_shop" / "fixtures" / "products" / "nik-shuliahin-619349-unsplash.jpg"
    reference = lab_statistics(
        load_image(ROOT / "demo_shop" / "fixtures" / "styles" / "starry-night_van-gogh_1889.jpg")
    )
    base = load_image(photo).rgb
    print(f"{'side':>5} {'tone_transfer':>14} {'enhance_photo':>14} {'assess_photo':>13}  (median ms of {repeats})")
    for side in (512, 1024):
        # The demo photos are 800 px: 1024 is an upscaled copy, only to time the size.
        scale = side / max(base.shape[:2])
        rgb = resize_array(base, (round(base.shape[0] * scale), round(base.shape[1] * scale))).clip(0, 1)
        weak = degrade_photo(rgb, "dark")
        row = []
        calls = (
            functools.partial(tone_transfer, rgb, reference),
            functools.partial(enhance_photo, weak),
            functools.partial(assess_photo, rgb),
        )
        for call in calls:
            call()
            samples = []
            for _ in range(repeats):
                start = time.perf_counter()
                call()
                samples.append((time.perf_counter() - start) * 1000)
            row.append(statistics.median(samples))
        print(f"{side:>5} {row[0]:>14.0f} {row[1]:>14.0f} {row[2]:>13.0f}")


if __name__ == "__main__":
    main()
