"""The pipeline as a shop owner sees it: save things, a worker runs, variants appear and stay current."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image

from stylerec_plugin.models import ProductPhoto, RestyledImage, VariantStatus
from stylerec_plugin.queue import get_queue

from .conftest import PRODUCT_PHOTOS, small_jpeg, variant_files

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def test_product_created_gets_ready_variants_in_every_active_style(
    pipeline_settings, make_product, make_style, run_worker
):
    tone_a = make_style("tone", index=0)
    tone_b = make_style("tone", index=3)
    inactive = make_style("tone", index=5, is_active=False)
    with transaction.atomic():
        product = make_product(index=2)  # a photo whose product the engine finds
        assert get_queue().count == 3, "nothing is queued before the commit (only the three style syncs)"
    assert get_queue().count == 4

    run_worker()

    photo = ProductPhoto.objects.get(product=product)
    assert len(photo.source_hash) == 64
    assert photo.style_vector is not None and len(photo.style_vector) == 100
    assert photo.quality_score is not None and photo.width and photo.height
    variants = {v.style_id: v for v in RestyledImage.objects.filter(product=product)}
    assert set(variants) == {tone_a.pk, tone_b.pk}, "no variant for the inactive style"
    assert inactive.pk not in variants
    for variant in variants.values():
        assert variant.status == VariantStatus.READY, variant.last_error
        assert variant.source_hash == photo.source_hash
        assert 0 < variant.ssim <= 1 and variant.duration_ms is not None and variant.device
        assert variant.attempts == 1
        with default_storage.open(variant.image.name) as handle:
            output = Image.open(io.BytesIO(handle.read()))
            assert output.size == (variant.width, variant.height)
    assert len(variant_files(pipeline_settings)) == 2


def test_rolled_back_save_queues_nothing(pipeline_settings, make_product, make_style):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        make_style("tone")
        make_product()
        raise Boom
    assert get_queue().count == 0
    assert not RestyledImage.objects.exists()


def test_photo_replaced_under_same_file_name_is_regenerated(pipeline_settings, make_product, make_style, run_worker):
    style = make_style("tone")
    product = make_product(index=2)
    run_worker()
    first = RestyledImage.objects.get(product=product, style=style)
    assert first.status == VariantStatus.READY
    original_name = product.image.name
    first_file = first.image.name

    # A bulk script rewrites the photo in storage under the same name, then saves the product.
    default_storage.delete(original_name)
    assert default_storage.save(original_name, ContentFile(small_jpeg(PRODUCT_PHOTOS[7]))) == original_name
    product.save()
    # Until the worker runs, the old variant keeps showing (no hole).
    assert RestyledImage.objects.get(product=product, style=style).status == VariantStatus.READY
    run_worker()

    rows = list(RestyledImage.objects.filter(product=product, style=style))
    assert len(rows) == 1, "the stale variant is gone once the new one is ready"
    assert rows[0].pk != first.pk and rows[0].status == VariantStatus.READY
    assert rows[0].source_hash == ProductPhoto.objects.get(product=product).source_hash != first.source_hash
    assert not default_storage.exists(first_file), "the stale file was deleted"
    assert default_storage.exists(rows[0].image.name)
    assert default_storage.exists(original_name), "the original photo is untouched"
    assert [path.name for path in variant_files(pipeline_settings)] == [Path(rows[0].image.name).name]


def test_photo_replaced_by_field_file_save(pipeline_settings, make_product, make_style, run_worker):
    style = make_style("tone")
    product = make_product(index=4)
    run_worker()
    old = RestyledImage.objects.get(product=product, style=style)
    product.image.save("new-photo.jpg", ContentFile(small_jpeg(PRODUCT_PHOTOS[9])))
    run_worker()
    row = RestyledImage.objects.get(product=product, style=style)
    assert row.pk != old.pk and row.status == VariantStatus.READY


def test_saving_other_fields_only_queues_nothing(pipeline_settings, make_product, make_style, run_worker):
    make_style("tone")
    product = make_product()
    run_worker()
    product.price = "12.00"
    product.save(update_fields=["price"])
    assert get_queue().count == 0


def test_style_change_regenerates_and_old_variant_shows_until_new_is_ready(
    pipeline_settings, make_product, make_style, run_worker
):
    style = make_style("tone", strength=0.9)
    product = make_product(index=3)
    run_worker()
    old = RestyledImage.objects.get(product=product, style=style)

    style.strength = 0.5
    style.save()
    assert style.version == 2
    style.name = "Renamed"  # not output-affecting: no new work
    style.save()
    assert get_queue().count == 1

    # Before the worker: only the old ready row.
    assert list(RestyledImage.objects.filter(product=product, style=style).values_list("status", flat=True)) == [
        VariantStatus.READY
    ]
    run_worker()
    rows = list(RestyledImage.objects.filter(product=product, style=style))
    assert len(rows) == 1 and rows[0].style_version == 2 and rows[0].status == VariantStatus.READY
    assert rows[0].strength_used <= 0.5
    assert not default_storage.exists(old.image.name)

    stylevec = type(style).objects.get(pk=style.pk)
    assert stylevec.style_vector_version == 2 and len(stylevec.style_vector) == 100


def test_deactivated_style_drops_unstarted_work_and_keeps_ready(
    pipeline_settings, make_product, make_style, run_worker
):
    style = make_style("tone")
    product = make_product()
    run_worker()
    make_product(index=5)  # queued sync -> a pending row once the worker plans it
    style.is_active = False
    style.save()
    run_worker()
    assert list(RestyledImage.objects.filter(style=style).values_list("product_id", "status")) == [
        (product.pk, VariantStatus.READY)
    ]


def test_deleting_product_or_style_removes_variants_and_files_never_the_original(
    pipeline_settings, make_product, make_style, run_worker
):
    style_a = make_style("tone")
    style_b = make_style("tone", index=2)
    product = make_product()
    other = make_product(index=6)
    run_worker()
    assert len(variant_files(pipeline_settings)) == 4
    photo_name = product.image.name

    product.delete()
    assert not RestyledImage.objects.filter(product_id=product.pk).exists()
    assert len(variant_files(pipeline_settings)) == 2
    assert default_storage.exists(photo_name), "the original product photo is never deleted"

    style_a.delete()
    remaining = list(RestyledImage.objects.all())
    assert [(row.product_id, row.style_id) for row in remaining] == [(other.pk, style_b.pk)]
    assert [path.name for path in variant_files(pipeline_settings)] == [Path(remaining[0].image.name).name]
    assert default_storage.exists(other.image.name)
