"""The Oscar tier's catalogue: galleries, a parent with children, a hidden product, a category tree.

Built once per test session (``conftest.oscar_shop``) with real photos from the demo's
fixtures, shrunk for speed; StyleRec restyles them as an Oscar shop's saves make it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from PIL import Image

FIXTURES = Path(__file__).resolve().parents[2] / "demo_shop" / "fixtures"
PHOTOS = sorted((FIXTURES / "products").glob("*.jpg"))
PAINTINGS = sorted((FIXTURES / "styles").glob("*.jpg"))


def photo_bytes(index: int, side: int = 96, *, folder: list[Path] = PHOTOS) -> bytes:
    """Demo photo ``index`` (or painting, with ``folder=PAINTINGS``), ``side`` px on its long edge, as JPEG."""
    with Image.open(folder[index % len(folder)]) as image:
        image = image.convert("RGB")
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        return out.getvalue()


@dataclass
class Shop:
    """What the tests refer to, by role."""

    style: object
    clothing: object
    shirts: object
    linen: object
    books: object
    shirt: object  # a parent in Linen (under Shirts, under Clothing), two gallery images
    shirt_small: object  # its child without images: shows the parent's photo
    shirt_large: object  # its child with an image of its own
    tee: object  # standalone in Shirts
    coat: object  # standalone in Clothing
    hidden: object  # standalone, not public
    atlas: object  # standalone in Books; hand-picks the novel
    novel: object  # standalone in Books
    staff: object

    @property
    def browsable(self) -> list:
        return [self.shirt, self.tee, self.coat, self.atlas, self.novel]


def add_image(product, index: int, display_order: int = 0):
    from oscar.core.loading import get_model

    image = get_model("catalogue", "ProductImage")(product=product, display_order=display_order)
    image.original.save(f"photo-{index}.jpg", ContentFile(photo_bytes(index)), save=False)
    image.save()
    return image


def build_shop() -> Shop:
    from django.contrib.auth import get_user_model
    from oscar.core.loading import get_model

    from stylerec_plugin.models import Style

    Category = get_model("catalogue", "Category")
    Product = get_model("catalogue", "Product")
    ProductClass = get_model("catalogue", "ProductClass")
    ProductCategory = get_model("catalogue", "ProductCategory")
    Partner = get_model("partner", "Partner")
    StockRecord = get_model("partner", "StockRecord")
    Recommendation = get_model("catalogue", "ProductRecommendation")

    style = Style(name="Hokusai tone", slug="hokusai", kind="tone", strength=0.8)
    # A painting: a tone style toward another product photo barely changes a scene, and the
    # gates do not show a variant that is not visibly styled.
    style.reference_image.save("hokusai.jpg", ContentFile(photo_bytes(0, 128, folder=PAINTINGS)), save=False)
    style.save()

    clothing = Category.add_root(name="Clothing")
    shirts = clothing.add_child(name="Shirts")
    linen = shirts.add_child(name="Linen")
    books = Category.add_root(name="Books")

    apparel = ProductClass.objects.create(name="Apparel", requires_shipping=True, track_stock=False)
    book = ProductClass.objects.create(name="Book", requires_shipping=True, track_stock=False)
    partner = Partner.objects.create(name="Warehouse")
    sku = iter(range(1000, 2000))

    def stock(product, price: str) -> None:
        StockRecord.objects.create(
            product=product, partner=partner, partner_sku=str(next(sku)), price=Decimal(price), num_in_stock=50
        )

    def standalone(title: str, product_class, category, price: str, photo: int, *, public: bool = True):
        product = Product.objects.create(title=title, product_class=product_class, is_public=public)
        ProductCategory.objects.create(product=product, category=category)
        stock(product, price)
        add_image(product, photo)
        return product

    shirt = Product.objects.create(title="Linen shirt", product_class=apparel, structure=Product.PARENT)
    ProductCategory.objects.create(product=shirt, category=linen)
    # Photos the engine finds the product in (in 1 and 8 it does not, and a product-true tone
    # style then changes nothing: not shown). 11 and 10 stand in for them.
    add_image(shirt, 11, 0)
    add_image(shirt, 2, 1)
    shirt_small = Product.objects.create(parent=shirt, structure=Product.CHILD, title="Linen shirt S")
    stock(shirt_small, "30.00")
    shirt_large = Product.objects.create(parent=shirt, structure=Product.CHILD, title="Linen shirt L")
    stock(shirt_large, "32.00")
    add_image(shirt_large, 3)

    tee = standalone("Cotton tee", apparel, shirts, "12.99", 4)
    coat = standalone("Wool coat", apparel, clothing, "99.00", 5)
    hidden = standalone("Hidden jacket", apparel, clothing, "150.00", 6, public=False)
    atlas = standalone("World atlas", book, books, "20.00", 7)
    novel = standalone("A novel", book, books, "8.50", 10)
    Recommendation.objects.create(primary=atlas, recommendation=novel, ranking=1)

    staff = get_user_model().objects.create_user(
        username="staff", email="staff@example.com", password="staff-pass", is_staff=True, is_superuser=True
    )
    return Shop(style, clothing, shirts, linen, books, shirt, shirt_small, shirt_large, tee, coat, hidden, atlas,
                novel, staff)
