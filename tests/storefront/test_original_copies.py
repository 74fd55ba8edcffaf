"""Originals get a responsive srcset too: the worker stores smaller copies through the plugin's
storage, never touching the original, and pages list them without any storage call."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from demo_shop.catalog.models import Product
from stylerec_plugin import signals
from stylerec_plugin.models import ProductPhoto
from stylerec_plugin.restyling.analysis import refresh_photo
from stylerec_plugin.storage import variant_storage

pytestmark = pytest.mark.django_db


def photo_bytes(colour, size=(800, 600)) -> bytes:
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 40):  # some detail, so the copies are real photos, not flat fills
        image.paste((255 - colour[0], colour[1], 90), (x, 100, x + 20, 400))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture
def lamp(media_root, category):
    with signals.paused():
        product = Product(name="Brass lamp", slug="brass-lamp", price=Decimal("40.00"), category=category)
        product.image.save("lamp.jpg", ContentFile(photo_bytes((200, 150, 60))), save=False)
        product.save()
    return product


def digest_of(product: Product) -> str:
    with product.image.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_the_worker_stores_smaller_copies_and_never_changes_the_original(lamp, django_capture_on_commit_callbacks):
    before = digest_of(lamp)
    refresh_photo(lamp.pk)
    photo = ProductPhoto.objects.get(product=lamp)
    assert set(photo.original_copies) == {"320", "640"}
    storage = variant_storage()
    for width, name in photo.original_copies.items():
        assert name.startswith("stylerec/original-copies/")
        with storage.open(name, "rb") as handle, Image.open(handle) as copy:
            assert copy.size == (int(width), int(width) * 600 // 800)
    assert digest_of(lamp) == before and lamp.image.name == Product.objects.get(pk=lamp.pk).image.name

    # A new photo gets new copies; the old copies go once the new ones are saved.
    old_names = list(photo.original_copies.values())
    with signals.paused():
        lamp.image.save("lamp-2.jpg", ContentFile(photo_bytes((30, 90, 200))), save=True)
    with django_capture_on_commit_callbacks(execute=True):
        refresh_photo(lamp.pk)
    fresh = ProductPhoto.objects.get(product=lamp).original_copies
    assert set(fresh) == {"320", "640"} and not set(fresh.values()) & set(old_names)
    assert not any(storage.exists(name) for name in old_names)
    assert all(storage.exists(name) for name in fresh.values())


def test_pages_list_the_copies_in_the_originals_srcset(client, lamp):
    refresh_photo(lamp.pk)
    copies = ProductPhoto.objects.get(product=lamp).original_copies
    storage = variant_storage()
    expected = f"{storage.url(copies['320'])} 320w, {storage.url(copies['640'])} 640w, {lamp.image.url} 800w"
    listing = client.get("/products/").content.decode()
    assert f'<img src="{lamp.image.url}" srcset="{expected}"' in listing
    product_page = client.get(f"/product/{lamp.slug}/").content.decode()
    assert f'data-srcset="{expected}"' in product_page  # the Original pill of the flip
    home = client.get("/").content.decode()
    assert expected in home and 'sizes="(max-width: 600px) 50vw, 240px"' in home


def test_a_photo_without_copies_keeps_its_single_entry(client, make_product):
    product = make_product("Small mug")  # analysed before copies existed: no copies recorded
    page = client.get("/products/").content.decode()
    assert f'srcset="{product.image.url} 64w"' in page


def test_a_photo_analysed_before_copies_existed_gets_them_once(lamp):
    refresh_photo(lamp.pk)
    ProductPhoto.objects.filter(product=lamp).update(original_copies={})  # as analysed by an older release
    assert refresh_photo(lamp.pk)["changed"] is True
    assert set(ProductPhoto.objects.get(product=lamp).original_copies) == {"320", "640"}
    assert refresh_photo(lamp.pk)["changed"] is False  # once only
