"""The demo shop a shop owner would believe: trying a style apart from liking it, translated style
names, search and sort, a cart with quantities, an order summary after a redirect, styled form
errors, a favicon, a grid heading that only says "for you" when something is personal."""

from __future__ import annotations

import re

import pytest

from demo_shop.catalog.models import Category, Order
from stylerec_plugin.models import ProductPhoto, RestyledImage, StylePreference, StyleTranslation
from stylerec_plugin.shoppers import Shopper, explicit_styles

pytestmark = pytest.mark.django_db


def shopper_of(client) -> Shopper:
    return Shopper.for_session(client.session.session_key)


def trial_note(page: str) -> str | None:
    found = re.search(r'<p class="trial-note" role="status">([^<]+)<', page)
    return found.group(1).strip() if found else None


@pytest.fixture
def styles(make_style):
    return [make_style(slug) for slug in ("great-wave", "starry-night", "sepia-oil", "warm-retro")]


def test_trying_styles_records_no_choice_and_the_shop_follows_the_try(client, products, styles, make_variant):
    for product in products:
        make_variant(product, styles[1])
    for style in styles:
        client.post("/styles/", {"try": style.slug})
    assert explicit_styles(shopper_of(client)) == []  # four tries are not four chosen styles
    assert not StylePreference.objects.exists()
    page = client.get("/styles/").content.decode()
    assert trial_note(page) == "You are trying Warm Retro for this visit. Nothing is saved." and "checked" not in page
    client.post("/styles/", {"try": "starry-night"})
    home = client.get("/").content.decode()
    assert '<style id="stylerec-theme" data-stylerec-style="starry-night">' in home
    assert home.count('data-stylerec-style="starry-night"') >= 6  # the grid's photos follow the try
    client.post("/styles/", {"end_trial": "1"})
    assert '<style id="stylerec-theme" data-stylerec-style="original">' in client.get("/").content.decode()


def test_a_try_lasts_for_the_visit_only(client, products, styles):
    from django.test import Client

    client.post("/styles/", {"try": "great-wave"})
    assert 'data-stylerec-style="great-wave">' in client.get("/").content.decode()
    assert 'data-stylerec-style="original">' in Client().get("/").content.decode()  # another visit: no trace


def test_using_a_style_records_it_and_keeps_only_what_is_ticked(client, products, styles):
    wave, starry, sepia, _retro = styles
    client.post("/styles/", {"try": starry.slug})
    client.post("/styles/", {"use": wave.slug})
    assert [s.slug for s in explicit_styles(shopper_of(client))] == ["great-wave"]  # the earlier try is not kept
    assert trial_note(client.get("/styles/").content.decode()) is None  # using ends the try
    client.post("/styles/", {"use": sepia.slug})
    # Using another style does not keep earlier picks ticked: great-wave was not ticked.
    assert [s.slug for s in explicit_styles(shopper_of(client))] == ["sepia-oil"]
    client.post("/styles/", {"use": starry.slug, "liked": [wave.slug]})
    assert [s.slug for s in explicit_styles(shopper_of(client))] == ["starry-night", "great-wave"]
    page = client.get("/styles/").content.decode()
    assert re.search(r'value="great-wave" checked', page)
    assert page.count(" checked") == 1  # the chosen style is shown as such, not as a like
    assert re.search(r'data-style="starry-night"[^>]*>\s*<h2[^>]*>Starry Night<span class="badge">Your style', page)


def test_liking_is_separate_from_trying_and_using(client, products, styles):
    wave, starry, sepia, _retro = styles
    client.post("/styles/", {"use": wave.slug})
    client.post("/styles/", {"try": sepia.slug})
    client.post("/styles/", {"save_likes": "1", "liked": [starry.slug]})
    # Saving likes keeps the chosen style and the try, and records no choice for the style being tried.
    assert [s.slug for s in explicit_styles(shopper_of(client))] == ["great-wave", "starry-night"]
    note = trial_note(client.get("/styles/").content.decode())
    assert note == "You are trying Sepia Oil for this visit. Nothing is saved."
    client.post("/styles/", {"save_likes": "1"})  # nothing ticked: only the chosen style is left
    assert [s.slug for s in explicit_styles(shopper_of(client))] == ["great-wave"]
    client.post("/styles/", {"originals": "1"})
    assert explicit_styles(shopper_of(client)) == []
    assert 'data-stylerec-style="original">' in client.get("/").content.decode()  # the try ended too


def test_picker_samples_one_product_per_category_best_photos_first(
    client, make_product, make_style, make_variant
):
    wave = make_style("great-wave")
    lamps, mugs = Category.objects.create(name="Lamps", slug="lamps"), Category.objects.create(name="Mugs2", slug="m2")
    dim = make_product("Dim lamp", cat=lamps)
    bright = make_product("Bright lamp", cat=lamps)
    mug = make_product("Mug", cat=mugs)
    small = make_product("Tiny mug", cat=mugs)
    ProductPhoto.objects.filter(product=dim).update(quality_score=0.4, width=800)
    ProductPhoto.objects.filter(product=bright).update(quality_score=0.9, width=800)
    ProductPhoto.objects.filter(product=mug).update(quality_score=0.7, width=800)
    ProductPhoto.objects.filter(product=small).update(quality_score=0.99, width=120)  # too small to sample
    for product in (dim, bright, mug, small):
        make_variant(product, wave)
    page = client.get("/styles/").content.decode()
    samples = re.findall(r'alt="([^"]+) in the Great Wave style"[^>]*class="stylerec-photo swatch"', page)
    assert samples == ["Bright lamp", "Mug"]


def test_style_names_and_descriptions_follow_the_shoppers_language(client, products, make_style):
    wave = make_style("great-wave", name="Great Wave", description="Deep blues and foam.")
    StyleTranslation.objects.create(style=wave, language="zh-hans", name="神奈川冲浪里", description="深蓝与浪花。")
    english = client.get("/styles/").content.decode()
    assert "Great Wave" in english and "Deep blues and foam." in english
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = client.get("/styles/").content.decode()
    assert "神奈川冲浪里" in chinese and "深蓝与浪花。" in chinese and "Deep blues" not in chinese
    StyleTranslation.objects.create(style=wave, language="de", name="Die große Welle")
    wave.refresh_from_db()
    assert wave.translated("name", "de-at") == "Die große Welle"  # a regional code finds its base language
    assert wave.translated("description", "de") == "Deep blues and foam."  # an empty field falls back
    assert wave.translated("name", "fr") == "Great Wave"


def test_search_and_sort_the_product_list(client, make_product, category):
    make_product("Brass desk lamp", price="80.00")
    make_product("Paper lamp", price="15.00")
    make_product("Oak chair", price="120.00")
    page = client.get("/products/?q=lamp&sort=-price").content.decode()
    names = re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', page.split('class="grid product-list"')[1])
    assert names == ["Brass desk lamp", "Paper lamp"]
    assert "2 products match" in page
    cheap_first = client.get("/products/?sort=price").content.decode()
    listed = re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', cheap_first.split('class="grid product-list"')[1])
    assert listed[0] == "Paper lamp" and listed[-1] == "Oak chair"
    assert "Nothing matches" in client.get("/products/?q=zebra").content.decode()
    assert client.get("/products/?sort=%3Cscript%3E").status_code == 200  # unknown sort: by name


def test_pager_keeps_search_and_sort(client, make_product):
    for n in range(14):
        make_product(f"Lamp {n:02d}")
    page = client.get("/products/?q=lamp&sort=-price").content.decode()
    assert 'href="?q=lamp&amp;sort=-price&amp;page=2"' in page


def test_cart_quantities_totals_and_an_order_summary_after_a_redirect(client, products):
    first, second = products[0], products[1]
    client.post(f"/cart/add/{first.slug}/")
    client.post(f"/cart/add/{second.slug}/")
    client.post(f"/cart/update/{first.slug}/", {"quantity": "3"})
    page = client.get("/cart/").content.decode()
    assert '<th scope="col">Quantity</th>' in page and 'value="3"' in page
    total = first.price * 3 + second.price
    assert f'id="cart-total">${total}' in page and "Total (4 items)" in page
    client.post(f"/cart/update/{second.slug}/", {"quantity": "0"})  # 0 removes the line
    assert second.name not in client.get("/cart/").content.decode().split("<tbody>")[1]

    response = client.post("/order/")
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/order/{order.pk}/?placed=1"
    summary = client.get(response["Location"]).content.decode()
    assert "Thank you!" in summary and first.name in summary and f'id="order-total">${first.price * 3}' in summary
    assert Order.objects.count() == 1  # reloading the summary places nothing
    assert client.get(response["Location"]).status_code == 200 and Order.objects.count() == 1
    assert order.lines.get().quantity == 3


def test_an_order_is_only_shown_to_whoever_placed_it(client, products, django_user_model):
    from django.test import Client

    client.post(f"/cart/add/{products[0].slug}/")
    location = client.post("/order/")["Location"]
    assert Client().get(location).status_code == 404


def test_cart_refuses_a_bad_quantity_with_a_message(client, products):
    client.post(f"/cart/add/{products[0].slug}/")
    page = client.post(f"/cart/update/{products[0].slug}/", {"quantity": "lots"}, follow=True).content.decode()
    assert "Enter a quantity from 0 to 99" in page


def test_sign_up_errors_are_shown_next_to_their_fields(client):
    page = client.post("/signup/", {"username": "ann", "password1": "a-long-Passphrase-42",
                                    "password2": "something-else-42"}).content.decode()
    assert 'class="field has-error"' in page
    tag = re.search(r'<input[^>]*id="id_password2"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="id_password2_helptext id_password2_error"' in page
    assert '<ul class="errorlist" id="id_password2_error">' in page
    assert 'role="alert"' in page


def test_log_in_errors_are_styled(client, django_user_model):
    django_user_model.objects.create_user("ann", password="a-long-Passphrase-42")
    page = client.post("/accounts/login/", {"username": "ann", "password": "wrong"}).content.decode()
    assert 'class="form-errors" role="alert"' in page and "correct username and password" in page


def test_favicon_never_answers_404(client):
    assert 'rel="icon" href="/static/shop/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/shop/favicon.svg"


def test_product_page_says_why_a_style_is_missing_in_visible_text(client, products, make_style, make_variant):
    starry = make_style("starry-night")
    wave = make_style("great-wave")
    make_variant(products[0], starry, status="rejected")
    make_variant(products[0], wave, status="pending")
    page = client.get(f"/product/{products[0].slug}/").content.decode()
    assert re.search(r'data-style="starry-night"><span class="flip-name">Starry Night</span> '
                     r'<span class="flip-why">hides the product, not shown</span>', page)
    assert re.search(r'data-style="great-wave">.*?<span class="flip-why">being made…</span>', page)
    assert "title=" not in page.split('class="flip-buttons"')[1].split("</div>")[0]  # no tooltip-only text


def test_the_true_photo_is_one_tap_away_on_the_product_page(client, products, make_style, make_variant):
    wave = make_style("great-wave")
    make_variant(products[0], wave)
    client.post("/styles/", {"use": wave.slug})
    page = client.get(f"/product/{products[0].slug}/").content.decode()
    assert 'class="stylerec-photo flip-image" data-stylerec-style="great-wave"' in page  # the restyle is shown big
    link = re.search(
        r'<a class="stylerec-original-link true-photo" href="([^"]+)"[^>]*>([^<]+)<span[^>]*>([^<]+)', page
    )
    assert link, "a link to the real photo"
    assert link.group(1) == products[0].image.url  # the shop's own file, at full size
    assert link.group(2).strip() == "See the real photo" and link.group(3) == "(64 × 48 px)"


def test_the_original_link_tag_works_for_any_shop(products):
    from django.template import Context, Template

    html = Template("{% load stylerec %}{% stylerec_original_link product %}").render(
        Context({"product": products[1]})
    )
    assert f'href="{products[1].image.url}"' in html and "See the real photo at full size" in html
    assert Template("{% load stylerec %}{% stylerec_original_link None %}").render(Context({})) == ""


def test_translated_style_names_reach_pills_alt_texts_and_the_api(client, products, make_style, make_variant):
    wave = make_style("great-wave", name="Great Wave", description="Deep blues and foam.")
    StyleTranslation.objects.create(style=wave, language="zh-hans", name="神奈川冲浪里", description="深蓝与浪花。")
    for product in products:
        make_variant(product, wave)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    client.post("/styles/", {"use": wave.slug})
    home = client.get("/").content.decode()
    assert len(re.findall(r'alt="Product \d+（神奈川冲浪里 风格）"', home)) == len(products)
    assert "Great Wave" not in home
    product_page = client.get(f"/product/{products[0].slug}/").content.decode()
    assert 'data-name="神奈川冲浪里"' in product_page and "Great Wave" not in product_page
    api = client.get("/stylerec/api/styles/great-wave/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert api["name"] == "Great Wave"  # what the admin entered, for writing back
    assert api["display_name"] == "神奈川冲浪里" and api["display_description"] == "深蓝与浪花。"
    prefs = client.get("/stylerec/api/me/preferences/").json()
    assert prefs["explicit"][0]["style_name"] == "神奈川冲浪里"


def test_a_sample_file_narrower_than_200_px_is_not_shown_in_the_picker(client, make_product, make_style, make_variant):
    wave = make_style("great-wave")
    sharp, blurred = make_product("Sharp vase"), make_product("Tiny vase")
    ProductPhoto.objects.filter(product=sharp).update(quality_score=0.6, width=800)
    ProductPhoto.objects.filter(product=blurred).update(quality_score=0.9, width=800)
    make_variant(sharp, wave)
    make_variant(blurred, wave)
    RestyledImage.objects.filter(product=blurred).update(width=150, height=112)
    page = client.get("/styles/").content.decode()
    samples = re.findall(r'alt="([^"]+) in the Great Wave style"[^>]*class="stylerec-photo swatch"', page)
    assert samples == ["Sharp vase"]  # the better photo's restyle is 150 px wide: it would be blurred at 200
