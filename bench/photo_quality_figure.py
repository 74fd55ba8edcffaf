"""Draw docs/img/photo-quality.jpg: a degraded demo photo before and after ``enhance_photo``, and tone transfer.

.venv/bin/python bench/photo_quality_figure.py [--photo NAME] [-o docs/img/photo-quality.jpg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylerec_plugin.engine.enhance import enhance_photo  # noqa: E402
from stylerec_plugin.engine.images import load_image, to_pil  # noqa: E402
from stylerec_plugin.engine.metrics import content_ssim  # noqa: E402
from stylerec_plugin.engine.quality import assess_photo, degrade_photo  # noqa: E402
from stylerec_plugin.engine.tone import tone_transfer  # noqa: E402

PANEL = 300
PANEL_HEIGHT = 200
CAPTION = 36


def _panel(images: list[np.ndarray], lines: list[str], font) -> Image.Image:
    """One or more pictures side by side in a PANEL x PANEL_HEIGHT box, captioned."""
    panel = Image.new("RGB", (PANEL, PANEL_HEIGHT + CAPTION), "white")
    width = PANEL // len(images)
    for i, rgb in enumerate(images):
        image = to_pil(rgb)
        image.thumbnail((width - 4, PANEL_HEIGHT), Image.Resampling.LANCZOS)
        panel.paste(image, (i * width + (width - image.width) // 2, (PANEL_HEIGHT - image.height) // 2))
    draw = ImageDraw.Draw(panel)
    for i, line in enumerate(lines):
        draw.text((6, PANEL_HEIGHT + 4 + i * 14), line, fill=(20, 20, 20), font=font)
    return panel


def _verdict(rgb: np.ndarray) -> str:
    quality = assess_photo(rgb)
    return f"score {quality.score:.2f}" + (f" - {', '.join(quality.reasons)}" if quality.reasons else " - ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", default="nik-shuliahin-619349-unsplash.jpg")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "img" / "photo-quality.jpg"))
    args = parser.parse_args()
    font = ImageFont.load_default(size=12)

    original = load_image(ROOT / "demo_shop" / "fixtures" / "products" / args.photo, max_side=800).rgb
    weak = degrade_photo(degrade_photo(original, "dark"), "blurred")
    fixed = enhance_photo(weak)
    warm_ref = load_image(ROOT / "demo_shop" / "fixtures" / "styles" / "bal-du-moulin_renoir_1876.jpg", 256).rgb
    cool_ref = load_image(ROOT / "demo_shop" / "fixtures" / "styles" / "starry-night_van-gogh_1889.jpg", 256).rgb
    warm, cool = tone_transfer(original, warm_ref), tone_transfer(original, cool_ref)

    panels = [
        _panel([original], ["original", _verdict(original)], font),
        _panel([weak], ["darkened + blurred copy", _verdict(weak)], font),
        _panel(
            [fixed], [f"enhance_photo (SSIM to original {content_ssim(original, fixed):.3f})", _verdict(fixed)], font
        ),
        _panel([warm_ref, cool_ref], ["tone references: Renoir (warm), Van Gogh (cool)"], font),
        _panel([warm], [f'"warm retro": tone toward Renoir (SSIM {content_ssim(original, warm):.3f})'], font),
        _panel([cool], [f'"cool": tone toward Starry Night (SSIM {content_ssim(original, cool):.3f})'], font),
    ]
    sheet = Image.new("RGB", (3 * PANEL, 2 * (PANEL_HEIGHT + CAPTION)), "white")
    for i, panel in enumerate(panels):
        sheet.paste(panel, ((i % 3) * PANEL, (i // 3) * (PANEL_HEIGHT + CAPTION)))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, quality=82, optimize=True, progressive=True)
    print(f"wrote {args.output} ({Path(args.output).stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
