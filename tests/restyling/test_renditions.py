"""Smaller copies of each variant for srcset: made by the job, shown by the tags, deleted with the row."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from stylerec_plugin.models import RestyledImage, VariantStatus
from stylerec_plugin.storefront import photos_for

from .conftest import variant_files


def test_variant_gets_smaller_copies_listed_in_srcset_and_removed_with_it(
    pipeline_settings, make_product, make_style, run_worker
):
    pipeline_settings.STYLEREC = {**pipeline_settings.STYLEREC, "OUTPUT_WIDTHS": [32, 64, 4000]}
    style = make_style("tone")
    product = make_product()
    run_worker()

    variant = RestyledImage.objects.get(product=product, style=style)
    assert variant.status == VariantStatus.READY, variant.last_error
    assert variant.width == 96 and variant.rendition_widths == [32, 64], "only widths narrower than the variant"
    names = sorted(path.name for path in variant_files(pipeline_settings))
    stem = Path(variant.image.name).stem
    assert names == sorted([f"{stem}.jpg", f"{stem}-32w.jpg", f"{stem}-64w.jpg"])
    with default_storage.open(f"{Path(variant.image.name).parent}/{stem}-32w.jpg") as handle:
        assert Image.open(io.BytesIO(handle.read())).width == 32

    photo = photos_for([product], style)[0]
    assert [width for _url, width in photo.candidates] == [32, 64, 96]
    assert photo.srcset.count("w,") == 2 and photo.srcset.endswith("96w")

    call_command("stylerec_cleanup", min_age=0, stdout=io.StringIO())
    assert len(variant_files(pipeline_settings)) == 3, "smaller copies in use are not orphans"

    product.delete()
    assert variant_files(pipeline_settings) == []
    assert default_storage.exists(product.image.name), "the original photo stays"


def test_orphaned_smaller_copy_is_cleaned_up(pipeline_settings, make_product, make_style, run_worker):
    pipeline_settings.STYLEREC = {**pipeline_settings.STYLEREC, "OUTPUT_WIDTHS": [48]}
    style = make_style("tone")
    product = make_product()
    run_worker()
    variant = RestyledImage.objects.get(product=product, style=style)
    assert variant.rendition_widths == [48]
    RestyledImage.objects.filter(pk=variant.pk).update(rendition_widths=[])  # the row no longer lists it

    call_command("stylerec_cleanup", min_age=0, stdout=io.StringIO())  # files are seconds old here
    assert [path.name for path in variant_files(pipeline_settings)] == [Path(variant.image.name).name]
