"""Product-true restyling through the pipeline: masks stored and reused, an admin's mask wins,
recolourings are rejected with a readable reason, and the artistic mode still works."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image, ImageDraw

from stylerec_plugin.models import ProductPhoto, RestyledImage, VariantStatus
from stylerec_plugin.storefront.photos import photos_for

from .conftest import studio_shot

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def counted_segmentation(monkeypatch):
    """Counts how often a product is segmented: by the analysis (find_product) or inside the engine."""
    from stylerec_plugin.engine import segment, stylizer

    calls = {"analysis": 0, "engine": 0}
    real_find, real_array = segment.find_product, stylizer.find_product_array

    def find(image):
        calls["analysis"] += 1
        return real_find(image)

    def array(*args, **kwargs):
        calls["engine"] += 1
        return real_array(*args, **kwargs)

    monkeypatch.setattr(segment, "find_product", find)
    monkeypatch.setattr(stylizer, "find_product_array", array)
    return calls


def test_mask_is_stored_with_the_analysis_and_reused_by_every_style(
    pipeline_settings, make_product, make_style, run_worker, counted_segmentation
):
    first, second = make_style("tone", index=0), make_style("tone", index=4)
    product = make_product(studio_shot(), filename="box.png", name="Red box")
    original = product.image.name
    run_worker()

    photo = ProductPhoto.objects.get(product=product)
    assert photo.mask and photo.mask_source_hash == photo.source_hash and photo.mask_method == "grabcut"
    assert photo.mask.name != original and default_storage.exists(photo.mask.name)
    with default_storage.open(photo.mask.name) as handle, Image.open(handle) as mask:
        assert mask.size == (160, 120) and mask.getpixel((80, 40)) > 200 and mask.getpixel((5, 5)) < 50
    variants = RestyledImage.objects.filter(product=product)
    assert {v.style_id for v in variants} == {first.pk, second.pk}
    for variant in variants:
        assert variant.status == VariantStatus.READY, variant.last_error
        assert variant.mask_confidence == pytest.approx(photo.mask_confidence)
        assert variant.colour_mean_de is not None and variant.colour_mean_de < first.colour_limit
        assert variant.region_ssim is not None and variant.scene_change is not None
    assert counted_segmentation == {"analysis": 1, "engine": 0}, "one segmentation serves every style"

    call_command("stylerec_restyle", "--all", stdout=io.StringIO())
    run_worker()
    assert counted_segmentation == {"analysis": 1, "engine": 0}, "a re-render reuses the stored mask"
    assert ProductPhoto.objects.get(product=product).mask.name == photo.mask.name


def test_an_admins_mask_wins_and_remakes_the_products_variants(
    pipeline_settings, admin_client, make_product, make_style, run_worker
):
    style = make_style("tone", index=1)
    product = make_product(studio_shot(), filename="box.png", name="Red box")
    run_worker()
    photo = ProductPhoto.objects.get(product=product)
    computed = photo.mask.name
    url = reverse("admin:stylerec_plugin_productphoto_change", args=[photo.pk])

    square = SimpleUploadedFile("mask.png", png(Image.new("L", (50, 50), 255)), content_type="image/png")
    page = admin_client.post(url, {"mask_upload": square, "_save": "1"}).content.decode()
    assert "its shape must match the photo" in page, "the engine's reason shows in the form"
    assert ProductPhoto.objects.get(pk=photo.pk).mask.name == computed

    drawn = Image.new("L", (160, 120), 0)
    ImageDraw.Draw(drawn).rectangle((40, 20, 120, 100), fill=255)
    upload = SimpleUploadedFile("mask.png", png(drawn), content_type="image/png")
    page = admin_client.post(url, {"mask_upload": upload, "_save": "1"}, follow=True).content.decode()
    assert "1 variant is being re-made" in page
    photo.refresh_from_db()
    assert photo.mask_uploaded and photo.mask_method == "uploaded" and photo.mask_confidence == 1.0
    run_worker()
    assert not default_storage.exists(computed), "the replaced computed mask file went after commit"
    variant = RestyledImage.objects.get(product=product, style=style)
    assert variant.attempts == 2 and variant.mask_confidence == 1.0

    # Analysing the same photo again keeps the admin's mask; a new photo does not.
    admin_client.post(reverse("admin:stylerec_plugin_productphoto_changelist"),
                      {"action": "reanalyse", "_selected_action": [photo.pk]})
    run_worker()
    assert ProductPhoto.objects.get(pk=photo.pk).mask_uploaded
    uploaded = photo.mask.name
    product.image.save("green.png", ContentFile(studio_shot((40, 160, 60))), save=True)
    run_worker()
    photo.refresh_from_db()
    assert not photo.mask_uploaded and photo.mask_method == "grabcut"
    assert not default_storage.exists(uploaded), "the stale uploaded mask went with its photo"

    current = photo.mask.name
    product.delete()
    assert not default_storage.exists(current), "deleting the product removes its mask file"


def test_a_recolouring_is_rejected_with_a_reason_naming_the_style_and_product(
    pipeline_settings, make_product, make_style, run_worker, monkeypatch
):
    from stylerec_plugin.engine import stylizer

    real = stylizer.compose_product_true_array

    def recolour(*args, **kwargs):
        # A "style" that paints the product another colour: red becomes blue.
        return real(*args, **kwargs)[..., ::-1].copy()

    monkeypatch.setattr(stylizer, "compose_product_true_array", recolour)
    style = make_style("tone", index=2)
    product = make_product(studio_shot(), filename="box.png", name="Red boxing gloves")
    run_worker()
    variant = RestyledImage.objects.get(product=product, style=style)
    assert variant.status == VariantStatus.REJECTED
    assert variant.colour_mean_de > style.colour_limit
    assert variant.last_error.startswith(f"{style.name} on Red boxing gloves:"), variant.last_error
    assert "ΔE" in variant.last_error and "10" in variant.last_error, variant.last_error
    assert photos_for([product], style)[0].is_original, "shoppers see the original"


def test_the_artistic_mode_still_restyles_the_whole_frame(pipeline_settings, make_product, make_style, run_worker):
    true_style = make_style("tone", index=5)
    artistic = make_style("tone", index=5, render_mode="artistic")
    product = make_product(studio_shot(), filename="box.png", name="Red box")
    run_worker()
    true_row = RestyledImage.objects.get(product=product, style=true_style)
    art_row = RestyledImage.objects.get(product=product, style=artistic)
    assert art_row.status == VariantStatus.READY, art_row.last_error
    assert art_row.colour_mean_de is not None and true_row.colour_mean_de is not None
    assert art_row.colour_mean_de > true_row.colour_mean_de, "artistic recolours the product, product-true does not"
    assert not photos_for([product], artistic)[0].is_original


def test_quality_report_and_contact_sheets(pipeline_settings, make_product, make_style, run_worker, tmp_path):
    style = make_style("tone", index=1)
    make_product(studio_shot(), filename="a.png", name="Red box")
    make_product(studio_shot((40, 160, 60)), filename="b.png", name="Green box")
    run_worker()
    out = io.StringIO()
    call_command("stylerec_quality_report", "--sheets", str(tmp_path / "sheets"), stdout=out, stderr=io.StringIO())
    line = next(line for line in out.getvalue().splitlines() if line.startswith(style.slug))
    assert line.split()[1:6] == ["product_true", "2", "0", "0", "0"], line
    assert "100.0%" in line
    with Image.open(tmp_path / "sheets" / f"{style.slug}.png") as sheet:
        assert sheet.width > 400 and sheet.height > 200
    data = io.StringIO()
    call_command("stylerec_quality_report", "--json", stdout=data)
    assert '"shown": 2' in data.getvalue()


def test_a_mask_from_an_older_segmentation_is_computed_again_but_an_admins_stays(
    pipeline_settings, make_product, make_style, run_worker
):
    from stylerec_plugin.engine.segment import SEGMENT_VERSION
    from stylerec_plugin.restyling.masks import load_mask, masks_for

    make_style("tone", index=0)
    product = make_product(studio_shot(), filename="box.png", name="Red box")
    run_worker()
    photo = ProductPhoto.objects.get(product=product)
    assert photo.mask_version == SEGMENT_VERSION and load_mask(photo) is not None
    old_mask = photo.mask.name

    # A shop upgraded from a release whose segmentation was older: its stored mask is not used.
    ProductPhoto.objects.filter(pk=photo.pk).update(mask_version="segment-1")
    photo.refresh_from_db()
    assert load_mask(photo) is None
    with product.image.open("rb") as handle:
        masks = masks_for([product.pk], {product.pk: handle.read()})
    photo.refresh_from_db()
    assert masks[product.pk] is not None and photo.mask_version == SEGMENT_VERSION
    assert photo.mask_method == "grabcut" and photo.mask.name  # computed again and stored
    assert photo.mask.name != old_mask or default_storage.exists(photo.mask.name)

    # An admin's mask is theirs whatever segmentation the release has.
    ProductPhoto.objects.filter(pk=photo.pk).update(mask_version="segment-1", mask_uploaded=True)
    photo.refresh_from_db()
    assert load_mask(photo) is not None


def busy_scene(size=(160, 120)) -> bytes:
    """A photo with no backdrop to model (smooth blotches of every colour): no mask is trusted."""
    import numpy as np
    from scipy import ndimage

    noise = ndimage.gaussian_filter(np.random.default_rng(0).random((size[1], size[0], 3)), (6, 6, 0))
    scaled = (noise - noise.min()) / (noise.max() - noise.min()) * 255
    return png(Image.fromarray(scaled.astype("uint8")))


def test_the_admin_and_the_report_name_the_photos_styled_over_the_whole_frame(
    pipeline_settings, admin_client, make_product, make_style, run_worker
):
    style = make_style("tone", index=1)
    studio = make_product(studio_shot(), filename="box.png", name="Red box")
    busy = make_product(busy_scene(), filename="room.png", name="Lamp in a room")
    run_worker()
    studio_photo, busy_photo = ProductPhoto.objects.get(product=studio), ProductPhoto.objects.get(product=busy)
    assert studio_photo.mask_is_trusted and not busy_photo.mask_is_trusted, busy_photo.mask_confidence

    changelist = reverse("admin:stylerec_plugin_productphoto_changelist")
    listed = admin_client.get(changelist, {"mask": "untrusted"}).context["cl"].result_list
    assert [photo.pk for photo in listed] == [busy_photo.pk]
    listed = admin_client.get(changelist, {"mask": "trusted"}).context["cl"].result_list
    assert [photo.pk for photo in listed] == [studio_photo.pk]
    page = admin_client.get(reverse("admin:stylerec_plugin_productphoto_change", args=[busy_photo.pk])).content
    assert "not trusted to cut along" in page.decode() and "Upload a mask or a cut-out" in page.decode()
    page = admin_client.get(reverse("admin:stylerec_plugin_productphoto_change", args=[studio_photo.pk])).content
    assert "not trusted" not in page.decode()

    out = io.StringIO()
    call_command("stylerec_quality_report", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith(style.slug))
    shown_busy = RestyledImage.objects.get(product=busy, style=style).status == VariantStatus.READY
    assert line.split()[-2] == ("1" if shown_busy else "0"), line
    assert "1 product photo(s) have no trusted mask" in out.getvalue()

    # The admin's mask makes it trusted, and it leaves the list.
    drawn = Image.new("L", (160, 120), 0)
    ImageDraw.Draw(drawn).rectangle((40, 20, 120, 100), fill=255)
    url = reverse("admin:stylerec_plugin_productphoto_change", args=[busy_photo.pk])
    admin_client.post(url, {"mask_upload": SimpleUploadedFile("mask.png", png(drawn)), "_save": "1"})
    run_worker()
    assert not admin_client.get(changelist, {"mask": "untrusted"}).context["cl"].result_list
    listed = admin_client.get(changelist, {"mask": "uploaded"}).context["cl"].result_list
    assert [photo.pk for photo in listed] == [busy_photo.pk]
    out = io.StringIO()
    call_command("stylerec_quality_report", stdout=out)
    assert "no trusted mask" not in out.getvalue()
