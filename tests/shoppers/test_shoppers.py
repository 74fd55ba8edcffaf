"""Anonymous shoppers keep their history and choices when they sign in."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from demo_shop.catalog.demo_data import load_catalogue, load_styles
from demo_shop.catalog.models import Product
from stylerec_plugin.models import Interaction, ShopperProfile, Style, StylePreference

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(media_root):
    load_catalogue()
    load_styles()


def test_product_views_and_purchases_are_recorded(client, shop):
    product = Product.objects.get(slug="tent")
    client.get(reverse("catalog:product", args=[product.slug]))
    client.post(reverse("catalog:cart_add", args=[product.slug]))
    client.post(reverse("catalog:place_order"))
    kinds = list(Interaction.objects.filter(product=product).order_by("created_at").values_list("kind", flat=True))
    assert kinds == ["view", "cart", "purchase"]
    assert Interaction.objects.values("shopper_key").distinct().count() == 1


def test_signing_in_moves_session_history_to_the_user(client, shop):
    product = Product.objects.get(slug="orchid")
    client.get(reverse("catalog:product", args=[product.slug]))
    session_key = Interaction.objects.get().shopper_key
    assert session_key.startswith("session:")
    style = Style.objects.first()
    StylePreference.objects.create(shopper_key=session_key, style=style, source="explicit")
    ShopperProfile.objects.create(shopper_key=session_key, personalisation_enabled=False)

    user = get_user_model().objects.create_user("ana", password="a-long-password-1")
    client.post(reverse("login"), {"username": "ana", "password": "a-long-password-1"})

    key = f"user:{user.pk}"
    assert Interaction.objects.get().shopper_key == key
    assert StylePreference.objects.get().shopper_key == key
    assert ShopperProfile.objects.get().shopper_key == key
    assert ShopperProfile.objects.get().personalisation_enabled is False
