"""Every StyleRec and demo admin page renders for staff, with real rows present."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from demo_shop.catalog.demo_data import load_catalogue, load_styles

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_rows(media_root):
    """One or more rows of every registered model, as a running shop has them."""
    from demo_shop.catalog.models import Order, OrderLine, Product
    from demo_shop.catalog.synthetic import create_synthetic_shoppers
    from stylerec_plugin.models import (
        ProductPhoto,
        RecommendationList,
        RecommenderModel,
        RestyledImage,
        ShopperProfile,
        Style,
    )

    load_catalogue()
    load_styles()
    create_synthetic_shoppers(count=4, seed=1)
    product = Product.objects.first()
    style = Style.objects.first()
    order = Order.objects.create(shopper_key="session:abc")
    OrderLine.objects.create(order=order, product=product, price=product.price)
    ShopperProfile.objects.create(shopper_key="session:abc", personalisation_enabled=False)
    RestyledImage.objects.create(
        product=product, style=style, style_version=1, engine="reference",
        engine_version="arbitrary-1", source_hash="f" * 64, status="failed", last_error="boom",
    )
    ProductPhoto.objects.create(product=product, source_hash="f" * 64, width=800, height=600)
    model = RecommenderModel.objects.create(algorithm="implicit_svd", status="ready", is_active=True)
    RecommendationList.objects.create(model=model, shopper_key="", items=[[product.pk, 1.0, "popular", ""]])
    from demo_shop.catalog.management.commands.demo_experiment import simulate_experiment

    simulate_experiment(shoppers=20)  # experiment, arms, assignments, exposures, outcomes


def registered_models():
    return [m for m in admin.site._registry if m._meta.app_label in ("stylerec_plugin", "catalog")]


def test_all_plugin_models_are_in_admin():
    registered = {m._meta.model_name for m in registered_models()}
    plugin_models = {m._meta.model_name for m in apps.get_app_config("stylerec_plugin").get_models()}
    assert plugin_models <= registered


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_changelist_renders(admin_client, demo_rows, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_change_page_renders(admin_client, demo_rows, model):
    obj = model._default_manager.first()
    assert obj is not None, f"the fixture should hold a {model._meta.label}"
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    assert admin_client.get(url).status_code == 200


def test_style_admin_shows_reference_preview_and_palette(admin_client, demo_rows):
    from stylerec_plugin.models import Style

    style = Style.objects.get(slug="great-wave")
    page = admin_client.get(reverse("admin:stylerec_plugin_style_change", args=[style.pk])).content.decode()
    assert style.reference_image.url in page
    assert style.theme_primary in page


def test_style_add_form_refuses_a_text_file_as_reference(admin_client, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = admin_client.post(
        reverse("admin:stylerec_plugin_style_add"),
        {
            "name": "Bad",
            "slug": "bad",
            "kind": "reference",
            "strength": "1",
            "reference_image": SimpleUploadedFile("x.png", b"not an image", content_type="image/png"),
            "preset_weights": "{}",
            "theme_primary": "#000000",
            "theme_accent": "#000000",
            "theme_background": "#ffffff",
            "theme_surface": "#ffffff",
            "theme_text": "#000000",
            "theme_font": "system",
            "sort_order": "0",
            "translations-TOTAL_FORMS": "0",
            "translations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "reference_image" in response.context["adminform"].form.errors
