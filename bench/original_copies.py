"""Bytes a grid card downloads for an original photo: the full file vs the 320/640 px copies
the worker stores (stylerec_plugin.restyling.original_copies), on the demo's 54 product photos.

    .venv/bin/python bench/original_copies.py
"""
import glob
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_shop.settings")
import django  # noqa: E402

django.setup()
from stylerec_plugin.conf import settings  # noqa: E402
from stylerec_plugin.engine import load_image  # noqa: E402
from stylerec_plugin.restyling.rendering import smaller_copies  # noqa: E402

full = c320 = c640 = n = 0
wall, cpu = time.perf_counter(), time.process_time()
for path in sorted(glob.glob(str(ROOT / "demo_shop/fixtures/products/*.jpg"))):
    data = Path(path).read_bytes()
    copies = smaller_copies(load_image(data, max_side=settings.MAX_SIDE).to_pil())
    full, n = full + len(data), n + 1
    c320 += len(copies.get(320, data))
    c640 += len(copies.get(640, data))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
kb = 1024
print(f"{n} demo photos: originals {full / n / kb:.0f} KB each; copies 320w {c320 / n / kb:.0f} KB, "
      f"640w {c640 / n / kb:.0f} KB")
print(f"8 home cards at 390 px: {8 * full / n / kb:.0f} KB -> {8 * c320 / n / kb:.0f} KB at 1x (320w), "
      f"{8 * c640 / n / kb:.0f} KB at 3x (640w)")
print(f"making both copies: {wall / n * 1000:.0f} ms wall, {cpu / n * 1000:.0f} ms CPU per photo, with decoding")
