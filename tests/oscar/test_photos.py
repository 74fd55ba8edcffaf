"""Photos that live in Oscar's gallery: changes re-restyle, deletes clean up, nothing original is touched."""

from __future__ import annotations

import os

from oscar.core.loading import get_model

from stylerec_plugin.models import ProductPhoto, RestyledImage, VariantStatus
from stylerec_plugin.products import get_product_adapter

from .helpers import sha256
from .shop import add_image

ProductImage = get_model("catalogue", "ProductImage")


def ready_hashes(product) -> set[str]:
    return set(
        RestyledImage.objects.filter(product=product, status=VariantStatus.READY).values_list("source_hash", flat=True)
    )


def analysed_hash(product) -> str:
    return ProductPhoto.objects.get(product=product).source_hash


def test_reordering_the_gallery_restyles_the_new_first_image(shop, django_capture_on_commit_callbacks):
    first, second = ProductImage.objects.filter(product=shop.shirt).order_by("display_order")
    assert analysed_hash(shop.shirt) == sha256(first.original)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first.display_order, second.display_order = 1, 0
        first.save()
        second.save()
    assert analysed_hash(shop.shirt) == sha256(second.original)
    assert ready_hashes(shop.shirt) == {sha256(second.original)}  # the old variant is superseded and gone
    assert len(callbacks) >= 1


def test_deleting_the_primary_image_restyles_the_next_one(shop, django_capture_on_commit_callbacks):
    first, second = ProductImage.objects.filter(product=shop.shirt).order_by("display_order")
    old_variant = RestyledImage.objects.get(product=shop.shirt, status=VariantStatus.READY).image
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()  # Oscar renumbers the rest: one sync job all the same
    assert ready_hashes(shop.shirt) == {sha256(second.original)}
    assert not old_variant.storage.exists(old_variant.name)  # the old variant file went with its row
    assert os.path.exists(second.original.path)  # originals are never touched


def test_a_child_gets_variants_of_its_own_once_it_has_an_image(shop, django_capture_on_commit_callbacks):
    adapter = get_product_adapter()
    assert adapter.photo_file(shop.shirt_small).name == adapter.photo_file(shop.shirt).name  # the parent's
    with django_capture_on_commit_callbacks(execute=True):
        image = add_image(shop.shirt_small, 9)
    assert ready_hashes(shop.shirt_small) == {sha256(image.original)}
    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    assert not RestyledImage.objects.filter(product=shop.shirt_small).exists()  # back to the parent's photo
    assert not ProductPhoto.objects.filter(product=shop.shirt_small).exists()


def test_saving_a_product_without_touching_its_gallery_queues_nothing(shop, django_capture_on_commit_callbacks):
    tee = get_model("catalogue", "Product").objects.get(pk=shop.tee.pk)  # not the session's shared instance
    with django_capture_on_commit_callbacks() as callbacks:
        tee.title = "Cotton tee, washed"
        tee.save()
    assert callbacks == []


def test_dashboard_delete_answers_302_and_cleans_up_after_commit(shop, client, django_capture_on_commit_callbacks):
    variants = [row.image for row in RestyledImage.objects.filter(product__in=[shop.shirt, shop.shirt_large])]
    originals = [image.original.path for image in ProductImage.objects.filter(product=shop.coat)]
    assert variants and all(v.storage.exists(v.name) for v in variants)
    client.force_login(shop.staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/dashboard/catalogue/products/{shop.shirt.pk}/delete/")
    assert response.status_code == 302
    assert not get_model("catalogue", "Product").objects.filter(pk__in=[shop.shirt.pk, shop.shirt_large.pk]).exists()
    assert not any(v.storage.exists(v.name) for v in variants)  # variant files followed their rows
    assert all(os.path.exists(path) for path in originals)  # another product's photo: untouched
    assert RestyledImage.objects.filter(product=shop.coat, status=VariantStatus.READY).exists()


def test_protected_files_are_found_through_the_gallery(shop):
    from stylerec_plugin.restyling.files import protected_names

    photo = ProductImage.objects.filter(product=shop.coat).first().original.name
    assert protected_names([photo, "stylerec/variants/nothing.jpg"]) == {photo}


def test_the_commands_work_on_the_gallery(shop):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("stylerec_restyle", "--missing", "--inline", "--no-progress", stdout=out)
    # Every product that owns a photo, not the child that shows its parent's.
    assert "Products in scope: 7;" in out.getvalue()
    assert "Photos new or changed: 0" in out.getvalue()
    out = StringIO()
    call_command("stylerec_cleanup", "--dry-run", "--min-age", "0", stdout=out)
    assert "Would delete 0 orphaned files" in out.getvalue()
