"""The REST API: who may read and change what, validation, throttling and the schema."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from stylerec_plugin.models import Interaction, StylePreference, VariantStatus
from stylerec_plugin.models.shoppers import PreferenceSource
from stylerec_plugin.shoppers import Shopper, record_interaction

pytestmark = pytest.mark.django_db

API = "/stylerec/api"


def session_client() -> APIClient:
    """An anonymous browser: it gets a session (and a CSRF cookie) by visiting the shop."""
    client = APIClient(enforce_csrf_checks=True)
    client.get("/styles/")  # the style picker starts a session
    return client


def csrf(client: APIClient) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value} if "csrftoken" in client.cookies else {}


def shopper_of(client: APIClient) -> Shopper:
    return Shopper.for_session(client.session.session_key)


@pytest.fixture
def user_client(db):
    user = get_user_model().objects.create_user("alice", password="pw-alice-123")
    client = APIClient()
    client.force_authenticate(user)
    client.user = user
    return client


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_user("staff", password="pw-staff-123", is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    return client


def put_prefs(client, **data):
    client.get(f"{API}/me/preferences/")  # a page view sets the CSRF cookie in a real browser
    return client.put(f"{API}/me/preferences/", data, format="json", **csrf(client))


# --- styles ----------------------------------------------------------------------------


def test_everyone_reads_active_styles_only_staff_write(wave, starry, staff_client):
    starry.is_active = False
    starry.save()
    anonymous = APIClient()
    listed = anonymous.get(f"{API}/styles/").json()
    slugs = [row["slug"] for row in (listed["results"] if isinstance(listed, dict) else listed)]
    assert slugs == ["great-wave"]
    assert anonymous.get(f"{API}/styles/great-wave/").json()["css_variables"]["--stylerec-primary"] == "#123456"
    assert anonymous.patch(f"{API}/styles/great-wave/", {"name": "Hacked"}, format="json").status_code in (401, 403)
    response = staff_client.patch(f"{API}/styles/great-wave/", {"name": "Great Wave II"}, format="json")
    assert response.status_code == 200, response.content
    wave.refresh_from_db()
    assert wave.name == "Great Wave II"
    created = staff_client.post(
        f"{API}/styles/",
        {"name": "Scream", "slug": "scream", "kind": "preset", "preset_weights": {"3": 1}, "theme_primary": "#aa0000"},
        format="json",
    )
    assert created.status_code == 201, created.content


def test_style_api_refuses_bad_preset_weights(staff_client):
    response = staff_client.post(
        f"{API}/styles/", {"name": "Bad", "slug": "bad", "kind": "preset", "preset_weights": {"99": 1}}, format="json"
    )
    assert response.status_code == 400
    assert "preset_weights" in response.json()


# --- my preferences: owner only ----------------------------------------------------------


def test_a_shopper_sets_and_reads_their_own_preferences(wave, starry):
    client = session_client()
    response = put_prefs(client, styles=["starry-night", "great-wave"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["style"] == "starry-night"
    assert [row["style"] for row in body["explicit"]] == ["starry-night", "great-wave"]
    assert client.get(f"{API}/me/preferences/").json()["style"] == "starry-night"


def test_one_shopper_never_sees_or_changes_anothers_preferences(wave, starry):
    alice, bob = session_client(), session_client()
    assert put_prefs(alice, styles=["great-wave"]).status_code == 200
    # Bob tries every way a client could name Alice: query string, body fields.
    alice_key = shopper_of(alice).key
    seen = bob.get(f"{API}/me/preferences/", {"shopper": alice_key, "shopper_key": alice_key}).json()
    assert seen["style"] is None and seen["explicit"] == []
    response = put_prefs(bob, styles=["starry-night"], shopper_key=alice_key, shopper=alice_key)
    assert response.status_code == 200
    assert list(
        StylePreference.objects.filter(shopper_key=alice_key).values_list("style__slug", flat=True)
    ) == ["great-wave"]
    assert StylePreference.objects.get(shopper_key=shopper_of(bob).key).style.slug == "starry-night"


def test_preferences_reject_unknown_or_inactive_styles(wave, starry):
    starry.is_active = False
    starry.save()
    client = session_client()
    assert put_prefs(client, styles=["starry-night"]).status_code == 400
    assert put_prefs(client, styles=["nope"]).status_code == 400
    assert not StylePreference.objects.exists()


def test_switching_personalisation_off_through_the_api(wave, products, make_variant):
    make_variant(products[0], wave)
    client = session_client()
    put_prefs(client, styles=["great-wave"])
    assert put_prefs(client, personalisation_enabled=False).json()["personalisation_enabled"] is False
    rows = client.get(f"{API}/me/recommendations/", {"count": 3}).json()
    assert rows and all(row["photo"]["is_original"] for row in rows)


def test_csrf_is_required_for_session_shoppers(wave):
    client = session_client()
    response = client.put(f"{API}/me/preferences/", {"styles": ["great-wave"]}, format="json")  # no token
    assert response.status_code == 403
    assert not StylePreference.objects.exists()


def test_signed_in_user_preferences_are_keyed_to_the_account(user_client, wave):
    response = user_client.put(f"{API}/me/preferences/", {"styles": ["great-wave"]}, format="json")
    assert response.status_code == 200
    pref = StylePreference.objects.get()
    assert pref.shopper_key == f"user:{user_client.user.pk}" and pref.user_id == user_client.user.pk
    assert pref.source == PreferenceSource.EXPLICIT


# --- recommendations and interactions: owner only ------------------------------------


def test_recommendations_use_my_style_and_never_anothers(products, wave, starry, make_variant):
    for product in products:
        make_variant(product, wave)
        make_variant(product, starry)
    alice, bob = session_client(), session_client()
    put_prefs(alice, styles=["great-wave"])
    put_prefs(bob, styles=["starry-night"])
    alice_rows = alice.get(f"{API}/me/recommendations/", {"count": 4}).json()
    bob_rows = bob.get(f"{API}/me/recommendations/", {"count": 4, "shopper": shopper_of(alice).key}).json()
    assert len(alice_rows) == 4
    assert {row["photo"]["style"] for row in alice_rows} == {"great-wave"}
    assert {row["photo"]["style"] for row in bob_rows} == {"starry-night"}
    first = alice_rows[0]
    assert first["photo"]["srcset"].endswith("640w") and first["reason"] and first["url"].startswith("http")


def test_recommendations_validate_parameters(products):
    client = session_client()
    assert client.get(f"{API}/me/recommendations/", {"count": "lots"}).status_code == 400
    assert client.get(f"{API}/me/recommendations/", {"category": "x"}).status_code == 400
    assert len(client.get(f"{API}/me/recommendations/", {"count": 1000}).json()) == len(products)


def test_interactions_are_listed_for_their_owner_only(products):
    alice, bob = session_client(), session_client()
    record_interaction(shopper_of(alice), products[0], "view")
    record_interaction(shopper_of(bob), products[1], "cart")
    rows = alice.get(f"{API}/me/interactions/").json()
    assert [(row["product"], row["kind"]) for row in rows] == [(products[0].pk, "view")]
    assert bob.get(f"{API}/me/interactions/{Interaction.objects.get(kind='view').pk}/").status_code == 404


def test_events_are_recorded_for_the_requesting_shopper(products, wave):
    client = session_client()
    response = client.post(
        f"{API}/events/",
        {"product": products[0].pk, "kind": "click", "style": "great-wave", "shopper_key": "user:1"},
        format="json",
        **csrf(client),
    )
    assert response.status_code == 201, response.content
    event = Interaction.objects.get()
    assert event.shopper_key == shopper_of(client).key and event.style == wave and event.kind == "click"


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "click"},  # no product
        {"product": 999999, "kind": "click"},
        {"product": "PRODUCT", "kind": "teleport"},
        {"product": "PRODUCT", "kind": "rating"},  # a rating needs a value
        {"product": "PRODUCT", "kind": "rating", "value": 9},
        {"product": "PRODUCT", "kind": "click", "value": 3},
        {"product": "PRODUCT", "kind": "click", "style": "no-such-style"},
    ],
)
def test_events_are_validated(products, payload):
    payload = {k: (products[0].pk if v == "PRODUCT" else v) for k, v in payload.items()}
    client = session_client()
    response = client.post(f"{API}/events/", payload, format="json", **csrf(client))
    assert response.status_code == 400
    assert not Interaction.objects.exists()


def test_events_from_a_guest_need_the_csrf_token():
    # A guest's first event makes them a shopper (tests/shoppers/test_guests.py), but only
    # with the CSRF token a page of the shop gave them.
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(f"{API}/events/", {"kind": "click", "product": 1}, format="json")
    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_events_are_throttled_per_shopper(products, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"stylerec_events": "3/min"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        client, other = session_client(), session_client()
        codes = [
            client.post(f"{API}/events/", {"product": products[0].pk, "kind": "view"}, format="json",
                        **csrf(client)).status_code
            for _ in range(4)
        ]
        assert codes == [201, 201, 201, 429]
        # Another shopper is not slowed down by the first one.
        assert other.post(f"{API}/events/", {"product": products[0].pk, "kind": "view"}, format="json",
                          **csrf(other)).status_code == 201
    finally:
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert Interaction.objects.count() == 4


# --- my data ----------------------------------------------------------------------------


def test_my_data_export_and_delete_touch_only_my_rows(products, wave):
    alice, bob = session_client(), session_client()
    put_prefs(alice, styles=["great-wave"])
    put_prefs(bob, styles=["great-wave"])
    record_interaction(shopper_of(alice), products[0], "view")
    record_interaction(shopper_of(bob), products[1], "view")
    exported = alice.get(f"{API}/me/data/").json()
    assert exported["shopper"] == shopper_of(alice).key
    assert [row["product_id"] for row in exported["all_records"]["interaction"]] == [products[0].pk]
    response = alice.delete(f"{API}/me/data/", **csrf(alice))
    assert response.status_code == 200
    assert response.json()["deleted"]["interaction"] == 1
    assert not Interaction.objects.filter(shopper_key=shopper_of(alice).key).exists()
    assert Interaction.objects.filter(shopper_key=shopper_of(bob).key).count() == 1
    assert StylePreference.objects.filter(shopper_key=shopper_of(bob).key).count() == 1


# --- variants, schema, docs -------------------------------------------------------------


def test_product_variants_and_their_status(products, wave, starry, make_style, make_variant):
    failed = make_style("failed-style")
    make_variant(products[0], wave)
    make_variant(products[0], starry, status=VariantStatus.REJECTED)
    make_variant(products[0], failed, status=VariantStatus.FAILED)
    rows = {row["style"]: row for row in APIClient().get(f"{API}/products/{products[0].pk}/variants/").json()}
    assert rows["great-wave"]["status"] == "ready" and rows["great-wave"]["url"].endswith(".jpg")
    assert rows["great-wave"]["is_current"] is True
    assert rows["starry-night"]["status"] == "rejected" and rows["starry-night"]["url"] is None
    assert rows["failed-style"]["status"] == "failed"
    assert APIClient().get(f"{API}/products/999999/variants/").status_code == 404


def test_schema_and_docs_need_no_schema_class_from_the_project(settings):
    # A shop that never heard of drf-spectacular: DRF's own DEFAULT_SCHEMA_CLASS.
    settings.REST_FRAMEWORK = {}
    client = APIClient()
    schema = client.get(f"{API}/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert "/me/recommendations/" in schema.json()["paths"]
    assert client.get(f"{API}/docs/").status_code == 200


def test_openapi_schema_and_docs_are_served():
    client = APIClient()
    schema = client.get(f"{API}/schema/", {"format": "json"})
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    paths = ("/me/preferences/", "/me/recommendations/", "/me/data/", "/events/", "/styles/",
             "/products/{product_id}/variants/")
    for path in paths:
        assert path in document["paths"], path
    assert document["servers"] == [{"url": "/stylerec/api"}]
    docs = client.get(f"{API}/docs/")
    assert docs.status_code == 200
    assert b"/stylerec/api/me/preferences/" in docs.content
