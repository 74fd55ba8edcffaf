"""The demo shop as `make demo` sets it up (catalogue, the 8 demo styles with their themes), with
stand-in variants instead of a worker's output, so browser tests see realistic pages quickly."""

from __future__ import annotations

import io
from functools import lru_cache

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from demo_shop.catalog.demo_data import load_catalogue, load_styles
from demo_shop.catalog.models import Product
from stylerec_plugin.models import ProductPhoto, RestyledImage, Style, VariantStatus
from stylerec_plugin.signals import paused

VARIANT_SIDE = 320
RESTYLED_PRODUCTS = 16  # per style; the rest of the catalogue shows originals


@lru_cache(maxsize=512)
def _look(slug: str, path: str, dark: str, light: str) -> tuple[bytes, int, int]:
    """A stand-in restyle: the photo posterised between two theme colours (cached across tests by slug)."""
    with Image.open(path) as opened:
        photo = ImageOps.exif_transpose(opened).convert("RGB")
    photo.thumbnail((VARIANT_SIDE, VARIANT_SIDE))
    look = ImageOps.posterize(ImageOps.colorize(ImageOps.grayscale(photo), dark, light), 3)
    buffer = io.BytesIO()
    look.save(buffer, "JPEG", quality=80)
    return buffer.getvalue(), look.width, look.height


def build_demo_shop() -> dict:
    """Catalogue, demo styles and stand-in variants; saves queue no restyle job (``paused``)."""
    with paused():
        return _build()


def _build() -> dict:
    load_catalogue()
    load_styles()
    styles = list(Style.objects.order_by("sort_order"))
    products = list(Product.objects.order_by("pk"))
    for product in products:
        with Image.open(product.image.path) as opened:
            width, height = ImageOps.exif_transpose(opened).size
        ProductPhoto.objects.create(product=product, source_hash=f"h{product.pk}", width=width, height=height,
                                    quality_score=0.5 + (product.pk % 7) / 20, is_weak=False)
    for style in styles:
        for index, product in enumerate(products[:RESTYLED_PRODUCTS]):
            status = VariantStatus.READY
            if index == 1 and style.sort_order == 1:
                status = VariantStatus.REJECTED  # one unavailable style on a product page
            variant = RestyledImage(
                product=product, style=style, style_version=style.version, engine="stand-in",
                engine_version="test-1", source_hash=f"h{product.pk}", status=status,
            )
            if status == VariantStatus.READY:
                data, variant.width, variant.height = _look(
                    product.slug, product.image.path, style.theme_text, style.theme_background
                )
                variant.image.save("out.jpg", ContentFile(data), save=False)
            variant.save()
    return {"styles": styles, "products": products}

