"""Fixtures for storefront tests: a few products with real (tiny) photos, styles and variants."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from PIL import Image

from demo_shop.catalog.models import Category, Product
from stylerec_plugin.models import ProductPhoto, RestyledImage, Style, StyleKind, VariantStatus


def jpeg_bytes(colour=(200, 80, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Treatments, throttles and recommendation lists are cached; tests must not leak them.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(name="Mugs", slug="mugs")


@pytest.fixture
def make_product(db, media_root, category):
    counter = {"n": 0}

    def make(name: str | None = None, cat: Category | None = None, price: str = "12.50") -> Product:
        counter["n"] += 1
        n = counter["n"]
        product = Product(
            name=name or f"Product {n}", slug=f"product-{n}", price=Decimal(price), category=cat or category
        )
        product.image.save(f"product-{n}.jpg", ContentFile(jpeg_bytes((10 * n % 255, 90, 120))), save=False)
        product.save()
        ProductPhoto.objects.create(product=product, source_hash=f"hash{n}", width=64, height=48)
        return product

    return make


@pytest.fixture
def products(make_product):
    return [make_product() for _ in range(6)]


@pytest.fixture
def make_style(db):
    def make(slug: str, **fields) -> Style:
        defaults = {"name": slug.replace("-", " ").title(), "kind": StyleKind.PRESET, "preset_weights": {"19": 1}}
        defaults.update(fields)
        return Style.objects.create(slug=slug, **defaults)

    return make


@pytest.fixture
def wave(make_style):
    return make_style("great-wave", theme_primary="#123456", theme_accent="#abcdef", theme_font="serif")


@pytest.fixture
def starry(make_style):
    return make_style("starry-night", theme_primary="#0b1d51", theme_accent="#f2c14e")


@pytest.fixture
def make_variant(media_root):
    def make(product: Product, style: Style, status: str = VariantStatus.READY, *, version: int | None = None,
             source_hash: str | None = None, with_file: bool = True) -> RestyledImage:
        variant = RestyledImage(
            product=product,
            style=style,
            style_version=version or style.version,
            engine="preset",
            engine_version="preset-1",
            source_hash=source_hash or product.stylerec_photo.source_hash,
            status=status,
            width=640 if status == VariantStatus.READY else None,
            height=480 if status == VariantStatus.READY else None,
        )
        if with_file and status == VariantStatus.READY:
            variant.image.save("out.jpg", ContentFile(jpeg_bytes((30, 160, 200))), save=False)
        variant.save()
        return variant

    return make

