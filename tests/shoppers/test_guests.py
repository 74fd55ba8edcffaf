"""Guests are shoppers without a session first: by a session made on their first event, or a cookie."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from stylerec_plugin.models import Interaction, ShopperProfile
from stylerec_plugin.shoppers import track
from stylerec_plugin.shoppers.identity import guest_token

pytestmark = pytest.mark.django_db

API = "/stylerec/api"
COOKIE_MODE = {"PRODUCT_MODEL": "catalog.Product", "QUEUE_MODE": "rq", "GUEST_IDENTITY": "cookie"}


@pytest.fixture
def product(media_root):
    from demo_shop.catalog.demo_data import load_catalogue

    load_catalogue()
    from demo_shop.catalog.models import Product

    return Product.objects.get(slug="tent")


def fresh_browser() -> APIClient:
    """No session, no cookies but the CSRF token a first page would give."""
    client = APIClient(enforce_csrf_checks=True)
    client.get(f"{API}/me/preferences/")  # a read makes no shopper...
    assert "sessionid" not in client.cookies and "stylerec_guest" not in client.cookies
    client.get(reverse("catalog:home"))  # ...and a page carries the CSRF cookie
    client.cookies.pop("sessionid", None)
    return client


def post_event(client, product, kind="click"):
    token = client.cookies["csrftoken"].value
    return client.post(f"{API}/events/", {"product": product.pk, "kind": kind}, format="json",
                       HTTP_X_CSRFTOKEN=token)


def test_the_first_event_of_a_guest_without_a_session_makes_one(product):
    client = fresh_browser()
    response = post_event(client, product)
    assert response.status_code == 201
    assert "sessionid" in response.cookies
    key = Interaction.objects.get().shopper_key
    assert key == f"session:{response.cookies['sessionid'].value}"


def test_a_guest_cookie_instead_of_a_session(product):
    with override_settings(STYLEREC=COOKIE_MODE):
        client = fresh_browser()
        response = post_event(client, product)
        assert response.status_code == 201
        assert "sessionid" not in response.cookies
        cookie = response.cookies["stylerec_guest"]
        assert cookie["httponly"] and cookie["max-age"] == 365 * 24 * 3600
        first = Interaction.objects.get().shopper_key
        assert first.startswith("guest:")
        post_event(client, product, "cart")  # the cookie, not a new guest
        assert set(Interaction.objects.values_list("shopper_key", flat=True)) == {first}
        exported = client.get(f"{API}/me/data/").json()
        assert exported["shopper"] == first and len(exported["all_records"]["interaction"]) == 2


def test_signing_in_merges_a_cookie_guest_and_removes_the_cookie(product):
    user = get_user_model().objects.create_user("guest-then-user", password="a-long-password-1")
    with override_settings(STYLEREC=COOKIE_MODE):
        client = fresh_browser()
        post_event(client, product)
        response = client.post(reverse("login"), {"username": "guest-then-user", "password": "a-long-password-1"},
                               HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
        assert response.status_code == 302
        assert response.cookies["stylerec_guest"].value == ""
    assert list(Interaction.objects.values_list("shopper_key", flat=True)) == [f"user:{user.pk}"]


def test_track_skips_opted_out_shoppers_and_counts_nothing_twice(product, rf):
    with override_settings(STYLEREC=COOKIE_MODE):
        request = rf.get("/")
        request.user = AnonymousUser()
        interaction = track(request, product, "view")
        assert interaction is not None and interaction.shopper_key == f"guest:{guest_token(request)}"
        ShopperProfile.objects.create(shopper_key=interaction.shopper_key, personalisation_enabled=False)
        assert track(request, product, "view") is None
        assert Interaction.objects.count() == 1
