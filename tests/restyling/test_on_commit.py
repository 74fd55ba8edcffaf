"""After-commit work that fails is logged, never turned into an error page for a request that succeeded."""

from __future__ import annotations

import logging

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from demo_shop.catalog.models import Category, Product
from stylerec_plugin.models import RestyledImage, Style, VariantStatus
from stylerec_plugin.restyling import files

from .conftest import PRODUCT_PHOTOS, small_jpeg

# Real commits: the admin's delete view commits, and the deletion batch runs then.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def product_with_variant(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STYLEREC = {**settings.STYLEREC, "QUEUE_MODE": "inline"}
    from stylerec_plugin.signals import paused

    with paused():
        style = Style.objects.create(slug="wave", name="Wave", kind="preset", preset_weights={"19": 1})
        product = Product(name="Lamp", slug="lamp", price="5.00", category=Category.objects.create(name="C", slug="c"))
        product.image.save("lamp.jpg", ContentFile(small_jpeg(PRODUCT_PHOTOS[0])), save=False)
        product.save()
        variant = RestyledImage(product=product, style=style, style_version=1, engine="preset",
                                engine_version="x", source_hash="h", status=VariantStatus.READY)
        variant.image.save("lamp-wave.jpg", ContentFile(small_jpeg(PRODUCT_PHOTOS[1])), save=False)
        variant.save()
    return product, variant


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123"))
    return client


def test_a_failing_delete_callback_is_logged_and_the_delete_still_answers_302(
    product_with_variant, admin_client, monkeypatch, caplog
):
    product, variant = product_with_variant

    def broken(names):
        raise RuntimeError("the protected-files lookup failed")

    monkeypatch.setattr(files, "protected_names", broken)
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"):
        response = admin_client.post(reverse("admin:catalog_product_delete", args=[product.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    assert any("_DeleteBatch.run" in record.getMessage() for record in caplog.records)
    # Nothing was deleted without the check: the file stays for stylerec_cleanup.
    assert variant.image.storage.exists(variant.image.name)


def test_the_delete_batch_removes_the_variant_file_after_commit(product_with_variant, admin_client):
    product, variant = product_with_variant
    response = admin_client.post(reverse("admin:catalog_product_delete", args=[product.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not variant.image.storage.exists(variant.image.name)
    assert product.image.storage.exists(product.image.name)  # the original photo is never touched
