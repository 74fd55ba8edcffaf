"""The demo catalogue and styles, loaded idempotently from demo_shop/fixtures/."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils.text import slugify

from stylerec_plugin.models import Style, StyleTranslation

from .models import Category, Product

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class LoadSummary:
    created: int = 0
    existing: int = 0


# Demo styles: several paintings, several pretrained presets (one a blend), a
# photographic tone style and an enhancement, each with its own palette. Presets
# and strengths follow the calibration in docs/engine.md (ones that keep products
# recognisable).
DEMO_STYLES: list[dict] = [
    {
        "slug": "great-wave",
        "name": "Great Wave",
        "description": "Deep Prussian blues and curling foam, like Hokusai's famous wave print.",
        "translations": {"zh-hans": ("神奈川冲浪里", "深沉的普鲁士蓝与翻卷的浪花，如同北斋的名作浮世绘。")},
        "kind": "reference",
        "reference": "styles/great-wave_hokusai_1831.jpg",
        "strength": 1.0,
        "theme": ("#1d3557", "#e76f51", "#f1f5f9", "#ffffff", "#14213d", "serif"),
    },
    {
        "slug": "starry-night",
        "name": "Starry Night",
        "description": "Swirling brushstrokes and glowing golds on midnight blue, after Van Gogh.",
        "translations": {"zh-hans": ("星月夜", "夜空般的深蓝上旋转的笔触与闪亮的金色，致敬梵高。")},
        "kind": "reference",
        "reference": "styles/starry-night_van-gogh_1889.jpg",
        "strength": 0.8,
        "theme": ("#0b2545", "#f4c430", "#eef2f8", "#ffffff", "#0b132b", "humanist"),
    },
    {
        "slug": "kandinsky",
        "name": "Composition VIII",
        "description": "Bold circles, crisp lines and bright colour blocks, after Kandinsky.",
        "translations": {"zh-hans": ("构成第八号", "醒目的圆形、利落的线条和明亮的色块，致敬康定斯基。")},
        "kind": "reference",
        "reference": "styles/composition-viii_kandinsky_1923.jpg",
        "strength": 1.0,
        "theme": ("#6a4c93", "#ff595e", "#fbf8f1", "#ffffff", "#22223b", "rounded"),
    },
    {
        "slug": "midnight-teal",
        "name": "Midnight Teal",
        "description": "Cool teal shadows and crisp edges, like a city at dusk.",
        "translations": {"zh-hans": ("午夜青", "清冷的青色阴影与利落的轮廓，像黄昏时的城市。")},
        "kind": "preset",
        "preset_weights": {"23": 1.0},
        "strength": 1.0,
        "theme": ("#0f4c5c", "#e36414", "#eef5f6", "#ffffff", "#0b2027", "humanist"),
    },
    {
        "slug": "sepia-oil",
        "name": "Sepia Oil",
        "description": "Warm sepia brushwork, like an old oil painting in a gallery.",
        "translations": {"zh-hans": ("复古油画", "温暖的棕褐色笔触，像美术馆里的一幅老油画。")},
        "kind": "preset",
        "preset_weights": {"10": 1.0},
        "strength": 0.9,
        "theme": ("#7a4419", "#d5a021", "#fbf6ee", "#ffffff", "#2b1b10", "serif"),
    },
    {
        "slug": "pastel-haze",
        "name": "Pastel Haze",
        "description": "Soft pastels and a lavender haze for a dreamy, gentle look.",
        "translations": {"zh-hans": ("粉彩薄雾", "柔和的粉彩与淡紫色薄雾，梦幻而温柔。")},
        "kind": "preset",
        "preset_weights": {"14": 0.5, "12": 0.5},
        "strength": 1.0,
        "theme": ("#6d597a", "#e56b6f", "#faf5fb", "#ffffff", "#355070", "rounded"),
    },
    {
        "slug": "warm-retro",
        "name": "Warm Retro",
        "description": "The warm, golden afternoon light of a Renoir party; the product stays sharp.",
        "translations": {"zh-hans": ("暖调复古", "雷诺阿笔下午后派对般温暖的金色光线，商品依然清晰。")},
        "kind": "tone",
        "reference": "styles/bal-du-moulin_renoir_1876.jpg",
        "strength": 0.8,
        "theme": ("#7f4f24", "#dda15e", "#fefae0", "#fffdf5", "#3d2b1f", "serif"),
    },
    {
        "slug": "studio-enhance",
        "name": "Studio Enhance",
        "description": "Bright, clear studio photos: the product exactly as it is, only better lit.",
        "translations": {"zh-hans": ("影棚增强", "明亮清晰的影棚照片：商品原样呈现，只是光线更好。")},
        "kind": "enhance",
        "strength": 1.0,
        "theme": ("#1f4e79", "#e07a2f", "#f7f5f2", "#ffffff", "#1d1d1f", "system"),
    },
]


def load_catalogue(fixtures: Path = FIXTURES) -> LoadSummary:
    """Categories and products from catalog.csv; photos are copied only for new products."""
    descriptions = json.loads((fixtures / "descriptions.json").read_text())
    summary = LoadSummary()
    with open(fixtures / "products" / "catalog.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        parent = None
        for name in row["categories"].split("|"):
            parent, _ = Category.objects.get_or_create(
                slug=slugify(name), defaults={"name": name, "parent": parent}
            )
        with transaction.atomic():
            product, created = Product.objects.get_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "price": Decimal(row["price"]),
                    "category": parent,
                    "description": descriptions.get(row["slug"], ""),
                },
            )
            if created or not product.image:
                with open(fixtures / "products" / row["image"], "rb") as photo:
                    product.image.save(row["image"], File(photo), save=True)
        if created:
            summary.created += 1
        else:
            summary.existing += 1
    return summary


def load_styles(fixtures: Path = FIXTURES) -> LoadSummary:
    """The demo styles; an existing style (perhaps edited in admin) is left as it is, apart from
    translations it does not have yet."""
    summary = LoadSummary()
    for order, spec in enumerate(DEMO_STYLES):
        existing = Style.objects.filter(slug=spec["slug"]).first()
        if existing is not None:
            _add_translations(existing, spec)
            summary.existing += 1
            continue
        primary, accent, background, surface, text, font = spec["theme"]
        style = Style(
            slug=spec["slug"],
            name=spec["name"],
            description=spec["description"],
            kind=spec["kind"],
            preset_weights=spec.get("preset_weights", {}),
            strength=spec["strength"],
            theme_primary=primary,
            theme_accent=accent,
            theme_background=background,
            theme_surface=surface,
            theme_text=text,
            theme_font=font,
            sort_order=order,
        )
        if spec.get("reference"):
            path = fixtures / spec["reference"]
            with open(path, "rb") as reference:
                style.reference_image.save(path.name, File(reference), save=False)
        style.full_clean()
        style.save()
        _add_translations(style, spec)
        summary.created += 1
    return summary


def _add_translations(style: Style, spec: dict) -> None:
    for language, (name, description) in spec.get("translations", {}).items():
        StyleTranslation.objects.get_or_create(
            style=style, language=language, defaults={"name": name, "description": description}
        )
