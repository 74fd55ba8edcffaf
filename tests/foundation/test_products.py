"""The product adapter on the demo's models: a field, a photo function, a category tree, callables."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory, override_settings
from PIL import Image

from demo_shop.catalog.models import Category, Product
from stylerec_plugin import checks
from stylerec_plugin.products import FieldPhotos, FunctionPhotos, get_product_adapter

pytestmark = pytest.mark.django_db

BASE = {"PRODUCT_MODEL": "catalog.Product", "PRODUCT_IMAGE_FIELD": "image", "QUEUE_MODE": "rq"}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 60, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def tree(media_root):
    home = Category.objects.create(name="Home", slug="home")
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen", parent=home)
    mugs = Category.objects.create(name="Mugs", slug="mugs", parent=kitchen)
    garden = Category.objects.create(name="Garden", slug="garden")
    made = {}
    for name, category in (("lamp", home), ("pan", kitchen), ("mug", mugs), ("rake", garden)):
        product = Product(name=name.title(), slug=name, price=Decimal("4.00"), category=category)
        product.image.save(f"{name}.jpg", ContentFile(jpeg()), save=False)
        product.save()
        made[name] = product
    return {"home": home, "kitchen": kitchen, "mugs": mugs, "garden": garden, **made}


# Callables the settings below name by dotted path.
def photo_of(product):
    return product.image


def in_stock_only(queryset):
    return queryset.exclude(slug="rake")


def price_for(product, request):
    vip = request is not None and request.GET.get("vip") == "1"
    return product.price * Decimal("0.5") if vip else product.price


def url_for(product, request):
    return f"/shop/{product.slug}/"


def test_a_product_field_is_the_default_photo_source(tree):
    adapter = get_product_adapter()
    assert isinstance(adapter.photo_source(), FieldPhotos)
    assert adapter.photo_file(tree["mug"]).name == tree["mug"].image.name
    assert adapter.products_using_files([tree["mug"].image.name, "other.jpg"]) == {tree["mug"].image.name}


def test_a_category_filter_includes_the_whole_subtree(tree):
    adapter = get_product_adapter()
    names = {p.slug for p in adapter.category_filter(adapter.visible(), tree["home"])}
    assert names == {"lamp", "pan", "mug"}
    assert {p.slug for p in adapter.category_filter(adapter.visible(), [tree["kitchen"].pk])} == {"pan", "mug"}
    with override_settings(STYLEREC={**BASE, "PRODUCT_CATEGORY_DESCENDANTS": False}):
        assert {p.slug for p in adapter.category_filter(adapter.visible(), tree["home"])} == {"lamp"}


def test_the_recommendations_api_filters_by_a_category_and_its_descendants(tree, client):
    rows = client.get("/stylerec/api/me/recommendations/", {"category": tree["kitchen"].pk, "count": 10}).json()
    assert {row["name"] for row in rows} == {"Pan", "Mug"}


def test_a_photo_function_a_visibility_hook_and_callables_for_price_and_url(tree):
    here = "tests.foundation.test_products"
    with override_settings(STYLEREC={
        **BASE,
        "PRODUCT_PHOTO_FUNCTION": f"{here}.photo_of",
        "PRODUCT_VISIBLE": f"{here}.in_stock_only",
        "PRODUCT_PRICE_FIELD": f"{here}.price_for",
        "PRODUCT_URL": f"{here}.url_for",
    }):
        adapter = get_product_adapter()
        assert checks.check_product_model() == []
        assert isinstance(adapter.photo_source(), FunctionPhotos)
        assert adapter.photo_file(tree["pan"]).name == tree["pan"].image.name
        assert adapter.photo_may_have_changed(["name"])  # a function's photo could be anything: always re-hash
        assert "rake" not in {p.slug for p in adapter.visible()}
        vip = RequestFactory().get("/", {"vip": "1"})
        assert adapter.price(tree["pan"], vip) == Decimal("2.00")
        assert adapter.price(tree["pan"]) == Decimal("4.00")
        assert adapter.url(tree["pan"]) == "/shop/pan/"


def test_a_shop_without_a_category_field_gets_nothing_for_a_category(tree):
    with override_settings(STYLEREC={**BASE, "PRODUCT_CATEGORY_FIELD": None}):
        adapter = get_product_adapter()
        assert list(adapter.category_filter(adapter.visible(), tree["home"])) == []
