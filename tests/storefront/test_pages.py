"""The demo shop's pages, through Django's test client."""

from __future__ import annotations

import json
import re

import pytest

from stylerec_plugin.models import Interaction, StylePreference
from stylerec_plugin.shoppers import Shopper

pytestmark = pytest.mark.django_db


def shopper_of(client) -> Shopper:
    return Shopper.for_session(client.session.session_key)


@pytest.fixture
def shop(products, wave, starry, make_variant):
    for product in products:
        make_variant(product, wave)
    make_variant(products[0], starry)
    return products


def test_home_shows_the_personalised_grid_and_follows_a_picked_style(client, shop, wave):
    page = client.get("/").content.decode()
    assert page.count("stylerec-card") >= 6
    assert 'data-stylerec-style="great-wave"' not in page  # no style yet: originals
    response = client.post("/styles/", {"use": "great-wave"}, follow=True)
    assert b"--stylerec-primary: #123456;" in response.content  # the picker page itself is re-themed
    page = client.get("/").content.decode()
    assert '<style id="stylerec-theme" data-stylerec-style="great-wave">' in page
    assert page.count('data-stylerec-style="great-wave"') >= 6


def test_style_picker_shows_swatches_and_keeps_liked_styles(client, shop, wave, starry):
    page = client.get("/styles/").content.decode()
    assert 'data-style="great-wave"' in page and 'data-style="starry-night"' in page
    assert page.count('class="stylerec-photo swatch"') == 2  # one per category: 1 wave + 1 starry
    client.post("/styles/", {"use": "starry-night", "liked": ["great-wave", "starry-night"]})
    prefs = StylePreference.objects.filter(shopper_key=shopper_of(client).key).order_by("-weight")
    assert [p.style.slug for p in prefs] == ["starry-night", "great-wave"]
    client.post("/styles/", {"originals": "1"})
    assert not StylePreference.objects.filter(shopper_key=shopper_of(client).key).exists()


def test_product_page_flips_between_original_and_styles(client, shop, wave):
    product = shop[0]
    page = client.get(f"/product/{product.slug}/").content.decode()
    for slug in ("original", "great-wave", "starry-night"):
        assert f'data-style="{slug}"' in page
    shown = client.get(f"/product/{product.slug}/?show=great-wave").content.decode()
    assert re.search(r'<img [^>]*class="stylerec-photo flip-image" data-stylerec-style="great-wave"', shown)
    view = Interaction.objects.filter(kind="view").order_by("-created_at").first()
    assert view.style == wave  # the view is recorded with the style that was shown


def test_product_page_marks_styles_that_are_not_ready(client, products, starry, make_variant):
    make_variant(products[1], starry, status="rejected")
    page = client.get(f"/product/{products[1].slug}/").content.decode()
    assert 'class="flip-button is-unavailable" data-style="starry-night"' in page


def test_category_page_lists_paged_products_and_recommends_only_unlisted_ones(client, shop, make_product, category):
    more = [make_product() for _ in range(10)]  # 16 products: 12 on page 1, 4 on page 2
    page = client.get(f"/category/{category.slug}/").content.decode()
    assert page.count("product-list") == 1
    above, listed = page.split('class="grid product-list"')
    listed_ids = set(re.findall(r'data-product-id="(\d+)"', listed))
    recommended_ids = set(re.findall(r'data-product-id="(\d+)"', above.split('data-stylerec-surface="category"')[1]))
    assert len(listed_ids) == 12 and recommended_ids
    assert not listed_ids & recommended_ids  # nothing shows twice on the page
    assert recommended_ids <= {str(p.pk) for p in shop + more}
    # Everything fits on one page: no recommendation block repeating the list.
    small = client.get(f"/category/{category.slug}/?q=Product+1").content.decode()
    assert 'data-stylerec-surface="category"' not in small


def test_your_data_page_switches_personalisation_and_exports_and_deletes(client, shop, wave):
    client.post("/styles/", {"use": "great-wave"})
    client.get(f"/product/{shop[0].slug}/")
    page = client.get("/your-data/").content.decode()
    assert "Great Wave" in page and shop[0].name in page
    client.post("/your-data/", {"action": "personalisation_off"})
    home = client.get("/").content.decode()
    assert 'data-stylerec-style="great-wave"' not in home  # originals again
    assert "--stylerec-primary: #1f4e79;" in home
    download = client.get("/your-data/download/")
    assert download["Content-Disposition"].startswith("attachment")
    data = json.loads(download.content)
    assert data["shopper"] == shopper_of(client).key
    assert data["all_records"]["stylepreference"][0]["style_id"] == wave.pk
    client.post("/your-data/", {"action": "delete"})
    key = shopper_of(client).key
    assert not Interaction.objects.filter(shopper_key=key).exists()
    assert not StylePreference.objects.filter(shopper_key=key).exists()
    assert "personalisation-on" in client.get("/your-data/").content.decode()  # still off after deleting


def test_shop_speaks_simplified_chinese(client, shop):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "选择风格" in page or "风格" in page
    assert "风格" in client.get("/styles/").content.decode()
    # The plugin's own strings are translated too (the alt text of a restyled photo).
    client.post("/styles/", {"use": "great-wave"})
    assert "Great Wave 风格" in client.get("/").content.decode()
