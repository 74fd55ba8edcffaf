"""The adapter's settings on Oscar's models: any shop with a gallery model needs only settings."""

from __future__ import annotations

from decimal import Decimal

from django.core.management import call_command
from django.test import override_settings
from oscar.core.loading import get_model

from stylerec_plugin import checks
from stylerec_plugin.contrib.oscar import checks as oscar_checks
from stylerec_plugin.products import ProductAdapter, get_product_adapter

Product = get_model("catalogue", "Product")
ProductImage = get_model("catalogue", "ProductImage")

# What a shop with its own gallery model writes (no contrib app needed).
GALLERY_SHOP = {
    "PRODUCT_MODEL": "catalogue.Product",
    "PRODUCT_ADAPTER": "stylerec_plugin.products.ProductAdapter",
    "PRODUCT_IMAGE_MODEL": "catalogue.ProductImage",
    "PRODUCT_IMAGE_FK": "product",
    "PRODUCT_IMAGE_FILE_FIELD": "original",
    "PRODUCT_IMAGE_ORDERING": ["display_order"],
    "PRODUCT_PARENT_FIELD": "parent",
    "PRODUCT_VISIBLE": "browsable",
    "PRODUCT_CATEGORY_FIELD": "categories",
    "PRODUCT_NAME_FIELD": "title",
    "PRODUCT_PRICE_FIELD": "tests.oscar.test_settings.first_stock_price",
    "QUEUE_MODE": "inline",
}


def first_stock_price(product, request):
    record = product.stockrecords.order_by("pk").first()
    return record.price if record is not None else None


def test_the_oscar_app_passes_every_check():
    call_command("check", fail_level="WARNING")  # raises on any warning or error
    assert checks.check_product_model() == []


def test_a_gallery_model_shop_configured_by_settings_alone(shop):
    with override_settings(STYLEREC=GALLERY_SHOP):
        adapter = get_product_adapter()
        assert type(adapter) is ProductAdapter
        assert checks.check_product_model() == []
        first = ProductImage.objects.filter(product=shop.shirt).order_by("display_order").first()
        assert adapter.photo_file(shop.shirt).name == first.original.name
        assert adapter.photo_file(shop.shirt_small).name == first.original.name  # the parent's
        assert adapter.uses_parent_photo(shop.shirt_small) and not adapter.uses_parent_photo(shop.shirt_large)
        assert set(adapter.visible()) == set(shop.browsable)
        clothing = adapter.category_filter(adapter.visible(), shop.clothing)
        assert set(clothing) == {shop.coat, shop.tee, shop.shirt}
        assert adapter.name(shop.tee) == "Cotton tee"
        assert adapter.price(shop.tee) == Decimal("12.99")
        assert shop.shirt_small not in set(adapter.restyled())  # it shares its parent's variants
        assert adapter.tracked_product(shop.shirt_small) == shop.shirt


def test_gallery_settings_that_do_not_fit_get_their_own_check_ids():
    cases = {
        "stylerec.E041": {"PRODUCT_IMAGE_MODEL": "catalogue.Nope"},
        "stylerec.E042": {"PRODUCT_IMAGE_FK": "caption"},
        "stylerec.E043": {"PRODUCT_IMAGE_FILE_FIELD": "caption"},
        "stylerec.E044": {"PRODUCT_IMAGE_ORDERING": ["position"]},
        "stylerec.E046": {"PRODUCT_PARENT_FIELD": "product_class"},
        "stylerec.E047": {"PRODUCT_VISIBLE": "on_sale"},
        "stylerec.E048": {"PRODUCT_CATEGORY_FIELD": "category"},
    }
    for check_id, wrong in cases.items():
        with override_settings(STYLEREC={**GALLERY_SHOP, **wrong}):
            messages = checks.check_product_model()
        assert [m.id for m in messages] == [check_id], (check_id, [str(m) for m in messages])
        assert messages[0].hint


def test_a_shop_with_its_own_product_partial_is_told_it_shows_no_restyled_photo(tmp_path):
    own = tmp_path / "oscar" / "catalogue" / "partials"
    own.mkdir(parents=True)
    (own / "product.html").write_text("<article>{{ product.get_title }}</article>")
    templates = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(tmp_path)],
                  "APP_DIRS": True}]
    with override_settings(TEMPLATES=templates):
        messages = oscar_checks.check_oscar_templates()
    assert [m.id for m in messages] == ["stylerec.W050"]
    assert "stylerec/oscar/product_image.html" in messages[0].hint
    (own / "product.html").write_text('{% include "stylerec/oscar/product_image.html" %}')
    with override_settings(TEMPLATES=[{**templates[0], "DIRS": [str(tmp_path)]}]):
        assert oscar_checks.check_oscar_templates() == []
