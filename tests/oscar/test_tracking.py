"""Guests and customers tracked from Oscar's own signals, on to their recommendations."""

from __future__ import annotations

from django.test import RequestFactory
from oscar.apps.partner.strategy import Default
from oscar.core.loading import get_model
from oscar.test.factories import create_order

from stylerec_plugin.models import Interaction, RecommendationList, ShopperProfile
from stylerec_plugin.recommendations.training import train
from stylerec_plugin.shoppers import Shopper, ShopperMiddleware
from stylerec_plugin.shoppers.identity import guest_token

from .helpers import API, csrf_headers, guest

GUEST_COOKIE = "stylerec_guest"


def events(client=None, key: str | None = None) -> list[tuple[int, str]]:
    if key is None:
        key = guest_key(client)
    return list(Interaction.objects.filter(shopper_key=key).order_by("created_at").values_list("product_id", "kind"))


def guest_key(client) -> str:
    """The shopper key the client's guest cookie stands for (read as the plugin reads it)."""
    request = RequestFactory().get("/")
    request.COOKIES[GUEST_COOKIE] = client.cookies[GUEST_COOKIE].value
    return Shopper.for_guest(guest_token(request)).key


def test_a_product_view_makes_a_guest_a_shopper_with_a_cookie_and_no_session(shop):
    client = guest()
    response = client.get(shop.atlas.get_absolute_url())
    assert response.status_code == 200
    cookie = response.cookies[GUEST_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "sessionid" not in client.cookies
    assert events(client) == [(shop.atlas.pk, "view")]
    client.get(shop.tee.get_absolute_url())  # the same guest on their next page
    assert events(client) == [(shop.atlas.pk, "view"), (shop.tee.pk, "view")]
    assert GUEST_COOKIE not in client.get("/catalogue/").cookies  # set once, not on every page


def test_a_tampered_guest_cookie_is_a_new_guest(shop):
    client = guest()
    client.get(shop.atlas.get_absolute_url())
    first = guest_key(client)
    client.cookies[GUEST_COOKIE] = client.cookies[GUEST_COOKIE].value[:-2] + "xx"
    client.get(shop.tee.get_absolute_url())
    assert guest_key(client) != first
    assert events(key=first) == [(shop.atlas.pk, "view")]


def test_a_variant_counts_for_its_parent_and_a_basket_addition_is_a_cart_event(shop):
    client = guest()
    client.get(shop.shirt_large.get_absolute_url())
    response = client.post(f"/basket/add/{shop.shirt_large.pk}/", {"quantity": 1}, **csrf_headers(client))
    assert response.status_code == 302
    assert events(client) == [(shop.shirt.pk, "view"), (shop.shirt.pk, "cart")]


def test_before_any_training_a_guest_gets_what_the_shop_hand_picked(shop):
    client = guest()
    client.get(shop.atlas.get_absolute_url())
    rows = client.get(f"{API}/me/recommendations/", {"count": 3}).json()
    assert rows[0]["product_id"] == shop.novel.pk
    assert rows[0]["reason_code"] == "session"
    assert rows[0]["reason"] == "Because you looked at World atlas"


def test_guest_events_train_the_model_and_hand_picked_products_are_boosted(shop):
    crowd = []
    for _guest in range(8):  # guests who like clothes
        client = guest()
        for product in (shop.coat, shop.tee, shop.shirt):
            client.get(product.get_absolute_url())
        crowd.append(guest_key(client))
    train()
    assert RecommendationList.objects.filter(shopper_key__in=crowd).count() == len(crowd)  # guests are in the model
    newcomer = guest()
    newcomer.get(shop.coat.get_absolute_url())
    rows = newcomer.get(f"{API}/me/recommendations/", {"count": 4}).json()
    # Learned from the guests: the clothes they looked at together come before the books.
    assert {row["product_id"] for row in rows[:3]} == {shop.coat.pk, shop.tee.pk, shop.shirt.pk}
    newcomer.get(shop.atlas.get_absolute_url())
    rows = newcomer.get(f"{API}/me/recommendations/", {"count": 4}).json()
    novel = next(row for row in rows if row["product_id"] == shop.novel.pk)
    assert novel["reason"] == "Because you looked at World atlas"  # Oscar's recommended_products, boosted


def test_an_order_counts_as_purchases_of_the_customer(shop):
    customer = get_model("auth", "User").objects.create_user("ann", "ann@example.com", "pass")
    basket = get_model("basket", "Basket").objects.create(owner=customer)
    basket.strategy = Default()
    basket.add_product(shop.shirt_large)
    basket.add_product(shop.tee)
    create_order(basket=basket, user=customer)
    assert sorted(events(key=f"user:{customer.pk}")) == sorted([(shop.shirt.pk, "purchase"), (shop.tee.pk, "purchase")])


def test_a_guest_order_is_credited_to_the_guest_placing_it(shop):
    basket = get_model("basket", "Basket").objects.create()
    basket.strategy = Default()
    basket.add_product(shop.novel)
    request = RequestFactory().post("/checkout/preview/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()

    def place(request):
        from django.http import HttpResponse

        create_order(basket=basket)  # Oscar's order_placed carries no request
        return HttpResponse("thanks")

    response = ShopperMiddleware(place)(request)
    key = "guest:" + request._stylerec_new_guest
    assert events(key=key) == [(shop.novel.pk, "purchase")]
    assert GUEST_COOKIE in response.cookies


def test_an_opted_out_guest_is_not_tracked_and_can_export_and_delete(shop):
    client = guest()
    client.get(shop.atlas.get_absolute_url())
    off = client.patch(f"{API}/me/preferences/", {"personalisation_enabled": False}, content_type="application/json",
                       **csrf_headers(client))
    assert off.json()["personalisation_enabled"] is False
    client.get(shop.tee.get_absolute_url())
    assert events(client) == [(shop.atlas.pk, "view")]  # nothing after the opt-out
    exported = client.get(f"{API}/me/data/").json()
    assert exported["shopper"] == guest_key(client)
    assert [row["product_id"] for row in exported["all_records"]["interaction"]] == [shop.atlas.pk]
    deleted = client.delete(f"{API}/me/data/", **csrf_headers(client)).json()["deleted"]
    assert deleted["interaction"] == 1
    assert events(client) == []
    assert ShopperProfile.objects.get(shopper_key=guest_key(client)).personalisation_enabled is False


def test_signing_in_carries_the_guest_over_and_drops_the_guest_cookie(shop):
    customer = get_model("auth", "User").objects.create_user("bob", "bob@example.com", "secret-pass")
    client = guest()
    client.get(shop.atlas.get_absolute_url())
    key = guest_key(client)
    response = client.post(
        "/accounts/login/",
        {"login-username": "bob@example.com", "login-password": "secret-pass", "login_submit": "1"},
        **csrf_headers(client),
    )
    assert response.status_code == 302
    assert response.cookies[GUEST_COOKIE].value == ""  # removed
    assert events(key=key) == []
    assert events(key=f"user:{customer.pk}") == [(shop.atlas.pk, "view")]
