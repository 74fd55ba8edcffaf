"""The data export a shopper can read: an explanation first, names not ids, dates and events in
plain words, in the shopper's language; every stored row still follows under all_records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from demo_shop.catalog.models import Category, Product
from stylerec_plugin.models import Style, StyleKind, StyleTranslation
from stylerec_plugin.shoppers import Shopper, export_shopper_data, record_interaction, set_explicit_styles
from tests.storefront.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(media_root):
    mugs = Category.objects.create(name="Mugs", slug="mugs")
    products = []
    for n, name in enumerate(["Blue mug", "Tea pot"]):
        product = Product(name=name, slug=f"p{n}", price=Decimal("9.00"), category=mugs)
        product.image.save(f"p{n}.jpg", ContentFile(jpeg_bytes()), save=False)
        product.save()
        products.append(product)
    wave = Style.objects.create(slug="great-wave", name="Great Wave", kind=StyleKind.PRESET,
                                     preset_weights={"19": 1})
    starry = Style.objects.create(slug="starry-night", name="Starry Night", kind=StyleKind.PRESET,
                                       preset_weights={"3": 1})
    return products, wave, starry


def test_the_export_reads_in_plain_words(shop):
    (mug, pot), wave, starry = shop
    shopper = Shopper(key="session:export-test")
    set_explicit_styles(shopper, [wave, starry])
    record_interaction(shopper, mug, "view", style=wave, when=datetime(2026, 3, 4, 10, 30, tzinfo=UTC))
    record_interaction(shopper, pot, "purchase", when=datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    record_interaction(shopper, mug, "rating", value=4, when=datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
    data = json.loads(json.dumps(export_shopper_data(shopper)))  # still plain JSON

    assert list(data)[:3] == ["shopper", "about_this_file", "exported"]
    assert any("everything" in line for line in data["about_this_file"])
    assert data["your_styles"] == [
        {"style": "Great Wave", "how": "Your chosen style", "since": data["your_styles"][0]["since"]},
        {"style": "Starry Night", "how": "A style you like", "since": data["your_styles"][1]["since"]},
    ]
    activity = data["your_activity"]
    assert [row["what"] for row in activity] == [
        "You rated this product", "You bought this product", "You looked at this product",
    ]
    assert activity[1] == {"when": "March 5, 2026, 9 a.m.", "what": "You bought this product",
                           "product": "Tea pot", "photo_shown": "the original photo"}
    assert activity[2]["photo_shown"] == "in the Great Wave style" and activity[2]["product"] == "Blue mug"
    assert activity[0]["rating"] == "4 out of 5"
    assert data["personalisation"].startswith("on:")
    readable = json.dumps({k: v for k, v in data.items() if k != "all_records"})
    assert "style_id" not in readable and "product_id" not in readable and f'"{wave.pk}"' not in readable
    # Nothing is left out: the stored rows follow.
    assert {row["product_id"] for row in data["all_records"]["interaction"]} == {mug.pk, pot.pk}
    assert len(data["all_records"]["stylepreference"]) == 2


def test_the_export_speaks_the_shoppers_language(shop):
    (mug, _pot), wave, _starry = shop
    StyleTranslation.objects.create(style=wave, language="zh-hans", name="神奈川冲浪里")
    shopper = Shopper(key="session:export-zh")
    set_explicit_styles(shopper, [wave])
    record_interaction(shopper, mug, "cart", style=wave)
    with translation.override("zh-hans"):
        data = export_shopper_data(shopper)
    assert data["your_styles"][0]["style"] == "神奈川冲浪里"
    assert "神奈川冲浪里" in data["your_activity"][0]["photo_shown"]


def test_the_download_from_the_demo_shop_is_the_readable_export(client, shop):
    (mug, _pot), _wave, _starry = shop
    client.get(f"/product/{mug.slug}/")
    response = client.get("/your-data/download/")
    data = json.loads(response.content)
    assert response["Content-Type"].startswith("application/json")
    assert data["your_activity"][0]["what"] == "You looked at this product"
    assert data["your_activity"][0]["product"] == "Blue mug"
