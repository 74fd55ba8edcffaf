"""Oscar's own pages (browse, category, detail) with StyleRec: restyled photos, grids, prices."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from oscar.apps.partner.strategy import Default

from stylerec_plugin.models import Interaction, RestyledImage, VariantStatus

from .helpers import API, STYLE, attr, grid_product_ids, guest, imgs, pick_style


def variant_url(product) -> str:
    row = RestyledImage.objects.get(product=product, status=VariantStatus.READY)
    return row.image.url


def test_the_shop_is_restyled_as_oscar_saved_it(shop):
    """Every product that owns a photo got a variant; the child without images shares its parent's."""
    ready = set(RestyledImage.objects.filter(status=VariantStatus.READY).values_list("product_id", flat=True))
    owners = {shop.shirt.pk, shop.shirt_large.pk, shop.tee.pk, shop.coat.pk, shop.hidden.pk, shop.atlas.pk,
              shop.novel.pk}
    assert ready == owners
    assert shop.shirt_small.pk not in ready


def test_a_guest_without_a_session_picks_a_style_and_browses_restyled_photos(shop):
    client = guest()
    plain = client.get("/catalogue/").content.decode()
    assert imgs(plain, STYLE) == []  # no style yet: Oscar's originals, through StyleRec's tag
    assert len(imgs(plain, "original")) >= len(shop.browsable)

    response = pick_style(client)
    assert response.status_code == 200, response.content
    assert response.json()["style"] == STYLE
    assert "stylerec_guest" in response.cookies
    assert "sessionid" not in client.cookies  # no session needed (and none made)

    html = client.get("/catalogue/").content.decode()
    restyled = imgs(html, STYLE)
    # The product partial of every browsable product, plus the personalised grid on top.
    for product in shop.browsable:
        assert any(attr(tag, "src") == variant_url(product) for tag in restyled), product
    assert all(attr(tag, "alt").endswith("in the Hokusai tone style") for tag in restyled)
    assert variant_url(shop.hidden) not in html


def test_detail_page_gallery_shows_the_restyled_primary_photo(shop):
    client = guest()
    pick_style(client)
    html = client.get(shop.shirt.get_absolute_url()).content.decode()
    gallery = html.split('id="product_gallery"', 1)[1].split("</ol>", 1)[0]
    restyled = imgs(gallery, STYLE)
    assert [attr(tag, "src") for tag in restyled] == [variant_url(shop.shirt)]
    # The second gallery image is shown as it is (Oscar's thumbnail of the original).
    assert gallery.count("carousel-item") == 2


def test_a_child_without_images_shows_its_parents_restyled_photo(shop):
    client = guest()
    pick_style(client)
    small = client.get(shop.shirt_small.get_absolute_url())
    large = client.get(shop.shirt_large.get_absolute_url())
    assert small.status_code == large.status_code == 200
    assert attr(imgs(small.content.decode(), STYLE)[0], "src") == variant_url(shop.shirt)
    assert attr(imgs(large.content.decode(), STYLE)[0], "src") == variant_url(shop.shirt_large)


def test_category_pages_include_descendants(shop):
    client = guest()
    clothing = grid_product_ids(client.get(shop.clothing.get_absolute_url()).content.decode())
    assert set(clothing) == {shop.coat.pk, shop.tee.pk, shop.shirt.pk}  # Clothing > Shirts > Linen
    shirts = grid_product_ids(client.get(shop.shirts.get_absolute_url()).content.decode())
    assert set(shirts) == {shop.tee.pk, shop.shirt.pk}
    books = client.get(f"{API}/me/recommendations/", {"category": shop.books.pk}).json()
    assert {row["product_id"] for row in books} == {shop.atlas.pk, shop.novel.pk}
    linen = client.get(f"{API}/me/recommendations/", {"category": shop.clothing.pk}).json()
    assert {row["product_id"] for row in linen} == {shop.coat.pk, shop.tee.pk, shop.shirt.pk}


def test_prices_come_from_oscars_strategy_in_the_grid_and_the_api(shop):
    client = guest()
    html = client.get(shop.shirts.get_absolute_url()).content.decode()
    grid = html.split('<section class="stylerec-grid"', 1)[1].split("</section>", 1)[0]
    parent = Default().fetch_for_parent(shop.shirt).price.incl_tax  # Oscar prices a parent from a child
    assert parent in (Decimal("30.00"), Decimal("32.00"))
    assert "£12.99" in grid  # the tee's stock record
    assert f"£{parent}" in grid
    rows = {row["product_id"]: row for row in client.get(f"{API}/me/recommendations/", {"count": 10}).json()}
    assert (rows[shop.tee.pk]["price"], rows[shop.tee.pk]["currency"]) == ("12.99", "GBP")
    assert (rows[shop.shirt.pk]["price"], rows[shop.shirt.pk]["currency"]) == (str(parent), "GBP")
    assert rows[shop.tee.pk]["name"] == "Cotton tee"
    assert rows[shop.tee.pk]["url"].endswith(shop.tee.get_absolute_url())


def test_hidden_products_and_children_are_never_recommended(shop):
    # Many shoppers "looked at" the hidden product and a child: they would be the most popular.
    for number in range(6):
        for product in (shop.hidden, shop.shirt_large):
            Interaction.objects.create(shopper_key=f"guest:crowd{number}", product=product, kind="view",
                                       created_at=shop.staff.date_joined)
    client = guest()
    rows = client.get(f"{API}/me/recommendations/", {"count": 20}).json()
    ids = {row["product_id"] for row in rows}
    assert ids == {product.pk for product in shop.browsable}
    html = client.get("/catalogue/").content.decode()
    assert shop.hidden.pk not in grid_product_ids(html)
    assert shop.shirt_large.pk not in grid_product_ids(html)


def test_schema_and_docs_answer_without_any_rest_framework_setting(shop):
    assert not hasattr(settings, "REST_FRAMEWORK")  # DRF's DEFAULT_SCHEMA_CLASS is its own
    client = guest()
    schema = client.get(f"{API}/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/me/recommendations/", "/events/", "/styles/"} <= set(paths)
    docs = client.get(f"{API}/docs/")
    assert docs.status_code == 200
    assert "/stylerec/api/me/recommendations/" in docs.content.decode()


def test_a_grid_costs_the_same_queries_for_two_products_as_for_five(shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(client, count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            rows = client.get(f"{API}/me/recommendations/", {"count": count}).json()
        assert len(rows) == count
        return len(captured)

    plain = guest()
    queries(plain, 1)  # the first request fills the caches (styles, the active model)
    assert queries(plain, 2) == queries(plain, 5)  # originals: photos from the gallery, prices from stock
    styled = guest()
    pick_style(styled)
    queries(styled, 1)
    assert queries(styled, 2) == queries(styled, 5)
