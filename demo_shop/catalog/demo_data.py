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

from stylerec_plugin.models import Style

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
        "description": "Hokusai's woodblock blues and foam.",
        "kind": "reference",
        "reference": "styles/great-wave_hokusai_1831.jpg",
        "strength": 1.0,
        "theme": ("#1d3557", "#e76f51", "#f1f5f9", "#ffffff", "#14213d", "serif"),
    },
    {
        "slug": "starry-night",
        "name": "Starry Night",
        "description": "Van Gogh's swirling night sky.",
        "kind": "reference",
        "reference": "styles/starry-night_van-gogh_1889.jpg",
        "strength": 0.8,
        "theme": ("#0b2545", "#f4c430", "#eef2f8", "#ffffff", "#0b132b", "humanist"),
    },
    {
        "slug": "kandinsky",
        "name": "Composition VIII",
        "description": "Kandinsky's circles, lines and bright geometry.",
        "kind": "reference",
        "reference": "styles/composition-viii_kandinsky_1923.jpg",
        "strength": 1.0,
        "theme": ("#6a4c93", "#ff595e", "#fbf8f1", "#ffffff", "#22223b", "rounded"),
    },
    {
        "slug": "midnight-teal",
        "name": "Midnight Teal",
        "description": "A pretrained preset: deep teal night tones with crisp edges.",
        "kind": "preset",
        "preset_weights": {"23": 1.0},
        "strength": 1.0,
        "theme": ("#0f4c5c", "#e36414", "#eef5f6", "#ffffff", "#0b2027", "humanist"),
    },
    {
        "slug": "sepia-oil",
        "name": "Sepia Oil",
        "description": "A pretrained preset: warm sepia brushwork like an old oil painting.",
        "kind": "preset",
        "preset_weights": {"10": 1.0},
        "strength": 0.9,
        "theme": ("#7a4419", "#d5a021", "#fbf6ee", "#ffffff", "#2b1b10", "serif"),
    },
    {
        "slug": "pastel-haze",
        "name": "Pastel Haze",
        "description": "A blend of two pretrained presets, frosted pastel and lavender haze.",
        "kind": "preset",
        "preset_weights": {"14": 0.5, "12": 0.5},
        "strength": 1.0,
        "theme": ("#6d597a", "#e56b6f", "#faf5fb", "#ffffff", "#355070", "rounded"),
    },
    {
        "slug": "warm-retro",
        "name": "Warm Retro",
        "description": "Photographic tone transfer toward Renoir's warm afternoon light.",
        "kind": "tone",
        "reference": "styles/bal-du-moulin_renoir_1876.jpg",
        "strength": 0.8,
        "theme": ("#7f4f24", "#dda15e", "#fefae0", "#fffdf5", "#3d2b1f", "serif"),
    },
    {
        "slug": "studio-enhance",
        "name": "Studio Enhance",
        "description": "Exposure, contrast and sharpness fixed; the product exactly as it is.",
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
    """The demo styles; an existing style (perhaps edited in admin) is left as it is."""
    summary = LoadSummary()
    for order, spec in enumerate(DEMO_STYLES):
        if Style.objects.filter(slug=spec["slug"]).exists():
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
        summary.created += 1
    return summary
