"""Reasons that inform: a card says why this product, never that it matches the style on screen,
never names another style, and a grid is only "Picked for you" when something in it is personal."""

from __future__ import annotations

import re

import pytest

from demo_shop.catalog.models import Category
from stylerec_plugin.models import RecommendationList, RecommenderModel
from stylerec_plugin.shoppers import Shopper, set_explicit_styles

pytestmark = pytest.mark.django_db


def cards(page: str, surface: str = "home") -> list[tuple[int, str, str]]:
    """(product id, reason code, reason text) of each card in the grid shown on ``surface``."""
    grid = page.split(f'data-stylerec-surface="{surface}"')[1].split("</section>")[0]
    found = re.findall(
        r'data-product-id="(\d+)" data-reason="([a-z_]*)">.*?(?:<p class="reason">([^<]*)</p>)?\s*</article>',
        grid,
        flags=re.S,
    )
    return [(int(pk), code, text) for pk, code, text in found]


def heading(page: str) -> str:
    return re.search(r'<h2 class="stylerec-grid__heading"[^>]*>([^<]+)</h2>', page).group(1)


@pytest.fixture
def lamps(db):
    return Category.objects.create(name="Lamps", slug="lamps")


@pytest.fixture
def model(products, lamps, wave, starry):
    """An active model: a popular list, and a Great Wave list whose products came from both styles."""
    for product in products[3:]:
        product.category = lamps
        product.save()
    model = RecommenderModel.objects.create(
        algorithm="implicit_svd", status="ready", is_active=True,
        params={"style_names": {str(wave.pk): "Great Wave", str(starry.pk): "Starry Night"}, "data_until": None},
    )
    popular = [[p.pk, 1.0 - n / 10, "popular", None] for n, p in enumerate(products)]
    RecommendationList.objects.create(model=model, shopper_key="", items=popular)
    wave_list = [[p.pk, 1.0 - n / 10, "style", starry.pk if n % 2 else wave.pk] for n, p in enumerate(products)]
    RecommendationList.objects.create(model=model, shopper_key=f"style:{wave.pk}", items=wave_list)
    return model


def wave_shopper(client, wave) -> Shopper:
    client.post("/styles/", {"use": wave.slug})
    return Shopper.for_session(client.session.session_key)


def test_a_first_time_visitor_sees_a_popular_list_called_popular(client, model, products):
    page = client.get("/").content.decode()
    assert heading(page) == "Popular right now" and "Picked for you" not in page
    shown = cards(page)
    assert len(shown) == 6 and {code for _pk, code, _text in shown} == {"popular"}
    # The reason names the product's own category, not a style.
    reasons = {pk: text for pk, _code, text in shown}
    assert reasons[products[0].pk] == "Popular in Mugs" and reasons[products[5].pk] == "Popular in Lamps"


def test_on_a_page_in_one_style_no_card_says_it_matches_that_style_or_names_another(
    client, model, products, wave, starry, make_variant
):
    for product in products:
        make_variant(product, wave)
    wave_shopper(client, wave)
    page = client.get("/").content.decode()
    assert '<style id="stylerec-theme" data-stylerec-style="great-wave">' in page
    shown = cards(page)
    assert len(shown) == 6 and {code for _pk, code, _text in shown} == {"style"}
    texts = [text for _pk, _code, text in shown]
    assert all(text == "Popular with shoppers who like your styles" for text in texts)
    assert not any("Great Wave" in text or "Starry Night" in text or "Matches" in text for text in texts)
    assert heading(page) == "Picked for you"  # the shopper chose a style: the list is theirs


def test_a_view_with_nothing_to_follow_it_is_not_called_picked_for_you(client, products):
    from stylerec_plugin.models import Interaction

    # No model and nothing hand-picked for the product looked at: the grid is the popular list.
    client.get(f"/product/{products[0].slug}/")
    page = client.get("/").content.decode()
    assert heading(page) == "Popular right now"  # a view alone, with nothing to go on, is not a pick
    assert Interaction.objects.filter(kind="view").count() == 1


def test_session_reasons_say_which_product_they_follow(client, model, products):
    shopper_page = client.get(f"/product/{products[0].slug}/")
    assert shopper_page.status_code == 200
    shopper = Shopper.for_session(client.session.session_key)
    RecommendationList.objects.create(
        model=model, shopper_key=f"item:{products[0].pk}", items=[[products[4].pk, 0.9]]
    )
    RecommenderModel.objects.filter(pk=model.pk).update(params={**model.params, "data_until": 0.0})
    from django.core.cache import cache

    cache.clear()
    assert shopper.key.startswith("session:")
    shown = cards(client.get("/").content.decode())
    reasons = {pk: (code, text) for pk, code, text in shown}
    assert reasons[products[4].pk] == ("session", f"Because you looked at {products[0].name}")
    assert heading(client.get("/").content.decode()) == "Picked for you"


def test_similar_shoppers_reason_and_an_opted_out_shopper_is_never_picked_for(client, model, products):
    client.get("/styles/")
    shopper = Shopper.for_session(client.session.session_key)
    RecommendationList.objects.create(
        model=model, shopper_key=shopper.key, items=[[products[2].pk, 0.9, "similar_shoppers", None]]
    )
    page = client.get("/").content.decode()
    assert ("similar_shoppers" in {code for _pk, code, _text in cards(page)}) and heading(page) == "Picked for you"
    assert "Shoppers with similar taste liked this" in page
    client.post("/your-data/", {"action": "personalisation_off"})
    page = client.get("/").content.decode()
    assert heading(page) == "Popular right now" and "similar taste" not in page


def test_category_recommendations_say_more_in_this_category_without_repeating_the_list(
    client, make_product, category
):
    for n in range(16):
        make_product(f"Mug {n:02d}")
    page = client.get(f"/category/{category.slug}/").content.decode()
    shown = cards(page, surface="category")
    assert shown and all(text in {"More in this category", "Popular with other shoppers"} for _pk, _c, text in shown)
    listed = set(map(int, re.findall(r'data-product-id="(\d+)"', page.split('class="grid product-list"')[1])))
    assert not listed & {pk for pk, _code, _text in shown}


def test_the_plugin_grid_template_shows_the_heading_the_grid_earned(rf, products, wave):
    from django.contrib.sessions.backends.db import SessionStore
    from django.template import Context, Template

    request = rf.get("/")
    request.session = SessionStore()
    template = Template(
        '{% load stylerec %}{% stylerec_grid count=3 heading="Popular" personal_heading="For you" '
        'template_name="stylerec/grid.html" %}'
    )
    html = template.render(Context({"request": request}))
    assert re.search(r'<h2 class="stylerec-grid__heading" data-stylerec-personal="false">Popular</h2>', html)
    shopper = Shopper(key="session:reasons-test")
    set_explicit_styles(shopper, [wave])
    request.shopper = shopper
    html = template.render(Context({"request": request}))
    assert "For you" not in html  # picks without any model: the grid is the popular fallback, not personal


def test_the_api_says_which_recommendations_are_personal_and_never_names_a_style(client, model, products, wave):
    rows = client.get("/stylerec/api/me/recommendations/", {"count": 6}).json()
    assert rows and not any(row["personal"] for row in rows)  # a first-time visitor: nothing personal
    client.post("/styles/", {"use": wave.slug})
    shopper = Shopper.for_session(client.session.session_key)
    RecommendationList.objects.create(
        model=model, shopper_key=shopper.key, items=[[products[2].pk, 0.9, "similar_shoppers", None]]
    )
    rows = {row["product_id"]: row for row in client.get("/stylerec/api/me/recommendations/", {"count": 6}).json()}
    assert rows[products[2].pk]["personal"] is True
    assert rows[products[2].pk]["reason"] == "Shoppers with similar taste liked this"
    assert not any("Great Wave" in row["reason"] or "Starry Night" in row["reason"] for row in rows.values())
