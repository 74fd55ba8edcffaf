"""Admin control over what shoppers see: approve, withdraw, re-run at a strength, previews, compact lists."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from stylerec_plugin.models import ProductPhoto, RestyledImage, Review, Style, VariantStatus
from stylerec_plugin.storefront.photos import photos_for

from .conftest import PRODUCT_PHOTOS, small_jpeg, studio_shot

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]

CHANGELIST = "admin:stylerec_plugin_restyledimage_changelist"


def act(client, action: str, rows, **extra):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [row.pk for row in rows], **extra}, follow=True
    )


def shown(product, style) -> bool:
    product.refresh_from_db()
    return not photos_for([product], style)[0].is_original


def api_variant(client, product, style) -> dict:
    data = client.get(reverse("stylerec:product-variants", args=[product.pk])).json()
    return next(entry for entry in data if entry["style"] == style.slug)


@pytest.fixture
def two_outcomes(pipeline_settings, make_product, make_style, run_worker):
    """One product in a style whose gates reject everything (floor 1.0) and in one that passes."""
    strict = make_style("tone", index=0, quality_floor=1.0)
    easy = make_style("tone", index=3)
    product = make_product(studio_shot((190, 140, 90)), filename="sofa.png", name="Tan sofa")
    run_worker()
    rejected = RestyledImage.objects.get(product=product, style=strict)
    ready = RestyledImage.objects.get(product=product, style=easy)
    assert rejected.status == VariantStatus.REJECTED and ready.status == VariantStatus.READY, ready.last_error
    return product, strict, easy, rejected, ready


def test_approve_and_withdraw_survive_a_rerun_and_lapse_when_the_photo_changes(
    two_outcomes, admin_client, run_worker
):
    product, strict, easy, rejected, ready = two_outcomes
    assert not shown(product, strict) and shown(product, easy)
    assert strict.name in rejected.last_error and "Tan sofa" in rejected.last_error

    assert "1 rejected variant approved" in act(admin_client, "approve", [rejected]).content.decode()
    assert "1 variant withdrawn" in act(admin_client, "withdraw", [ready]).content.decode()
    rejected.refresh_from_db()
    assert (rejected.review, rejected.reviewed_by, rejected.review_source_hash) == (
        Review.APPROVED, "admin", rejected.source_hash
    )
    assert shown(product, strict) and not shown(product, easy)
    approved = api_variant(admin_client, product, strict)
    assert approved["shown"] is True and approved["status"] == "rejected" and approved["review"] == "approved"
    assert approved["url"] and approved["reason"].startswith(f"{strict.name} on Tan sofa:")
    assert approved["gates"]["region_ssim"] == rejected.region_ssim and approved["render_mode"] == "product_true"
    withdrawn = api_variant(admin_client, product, easy)
    assert withdrawn["shown"] is False and withdrawn["url"] is None and withdrawn["review"] == "withdrawn"

    # A re-run (the regenerate action) renders both again: the decisions hold.
    finished_before = {row.pk: row.finished_at for row in (rejected, ready)}
    act(admin_client, "regenerate", [rejected, ready])
    run_worker()
    for row in (rejected, ready):
        row.refresh_from_db()  # the same row, rendered again (same bytes keep their content-addressed name)
        assert row.attempts == 2 and row.finished_at > finished_before[row.pk]
        assert row.image.storage.exists(row.image.name)
    assert rejected.status == VariantStatus.REJECTED and rejected.review == Review.APPROVED
    assert shown(product, strict) and not shown(product, easy)

    # A new photo: new rows that the gates decide again; the old decisions lapse with their rows.
    product.image.save("new.png", ContentFile(studio_shot((40, 90, 170))), save=True)
    run_worker()
    new_strict = RestyledImage.objects.get(product=product, style=strict)
    new_easy = RestyledImage.objects.get(product=product, style=easy)
    assert new_strict.pk != rejected.pk and new_easy.pk != ready.pk
    assert new_strict.review == "" and new_easy.review == ""
    assert not shown(product, strict) and shown(product, easy)


def test_a_decision_lapses_when_the_style_changes(two_outcomes, admin_client, run_worker):
    product, strict, easy, rejected, ready = two_outcomes
    act(admin_client, "withdraw", [ready])
    assert not shown(product, easy)
    easy.strength = 0.5
    easy.save()
    run_worker()
    current = RestyledImage.objects.get(product=product, style=easy, style_version=easy.version)
    assert current.status == VariantStatus.READY and current.review == ""
    assert shown(product, easy)
    assert not RestyledImage.objects.filter(pk=ready.pk).exists(), "the withdrawn old version is pruned"


def test_rerun_one_variant_at_a_chosen_strength(two_outcomes, admin_client, run_worker):
    product, strict, easy, rejected, ready = two_outcomes
    page = act(admin_client, "rerun_at_strength", [ready]).content.decode()
    assert 'name="strength"' in page and "Tan sofa" in page, "an intermediate form first"
    assert RestyledImage.objects.get(pk=ready.pk).strength_override is None
    invalid = act(admin_client, "rerun_at_strength", [ready], strength="3", apply="1").content.decode()
    assert "less than or equal to 1" in invalid
    done = act(admin_client, "rerun_at_strength", [ready], strength="0.3", apply="1").content.decode()
    assert "1 variant queued at strength 0.30" in done
    run_worker()
    ready.refresh_from_db()
    assert ready.strength_override == 0.3 and ready.strength_used == pytest.approx(0.3)
    assert ready.attempts == 2 and ready.status in (VariantStatus.READY, VariantStatus.REJECTED)
    other = RestyledImage.objects.get(pk=rejected.pk)
    assert other.attempts == 1, "only the chosen variant ran again"


def test_preview_renders_only_the_samples_and_shows_them(
    pipeline_settings, admin_client, make_product, make_style, run_worker
):
    for i in range(8):
        make_product(small_jpeg(PRODUCT_PHOTOS[i], 160), name=f"Bright {i}")
    dark = [make_product(small_jpeg(PRODUCT_PHOTOS[i], 160, brightness=0.1), name=f"Dark {i}") for i in range(2)]
    run_worker()
    style = make_style("tone", index=2, is_active=False)
    run_worker()
    assert not RestyledImage.objects.filter(style=style).exists()

    response = admin_client.post(
        reverse("admin:stylerec_plugin_style_changelist"),
        {"action": "preview_on_samples", "_selected_action": [style.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "rendering 8 sample products" in page and "pending" in page
    style.refresh_from_db()
    samples = set(style.preview_products)
    assert len(samples) == 8 and not samples & {p.pk for p in dark}, "the best photos, not the dark ones"
    run_worker()

    rows = list(RestyledImage.objects.filter(style=style))
    assert {row.product_id for row in rows} == samples, "only the samples were rendered"
    assert all(row.status in (VariantStatus.READY, VariantStatus.REJECTED) for row in rows)
    page = admin_client.get(reverse("admin:stylerec_plugin_style_preview", args=[style.pk])).content.decode()
    for row in rows:
        assert row.image.url in page
    assert "ΔE" in page and "pending" not in page
    style.refresh_from_db()
    assert not style.is_active
    listed = admin_client.get(reverse("stylerec:product-variants", args=[next(iter(samples))])).json()
    assert style.slug not in {entry["style"] for entry in listed}, "shoppers are offered no inactive style"


def test_variant_changelist_stays_compact_at_100_rows(pipeline_settings, admin_client, make_product, make_style):
    style = make_style("tone")
    product = make_product(name="A product with a fairly long name to show in every row")
    photo = ProductPhoto.objects.create(product=product, source_hash="a" * 64, width=96, height=96)
    reason = (
        f"{style.name} on {product.name}: the product's mean colour moved by ΔE 23.4 (limit 10); "
        "its dominant colour moved by ΔE 31.2 (limit 15). Shoppers see the original."
    )
    RestyledImage.objects.bulk_create(
        RestyledImage(
            product=product, style=style, style_version=n, engine="tone", engine_version="tone-2",
            source_hash=photo.source_hash, status=VariantStatus.REJECTED, image=f"stylerec/variants/x{n}.jpg",
            ssim=0.5, strength_used=0.8, colour_mean_de=23.4, colour_dominant_de=31.2, region_ssim=0.61,
            scene_change=9.3, mask_confidence=0.9, last_error=reason,
        )
        for n in range(100)
    )
    page = admin_client.get(reverse(CHANGELIST))
    html = page.content.decode()
    assert page.status_code == 200 and len(page.content) < 300_000, len(page.content)
    assert "23.4/31.2" in html and "SSIM 0.61" in html and "scene 9.3" in html
    assert len(re.findall("stylerec-thumb", html)) >= 100


def test_style_render_mode_and_colour_limit_define_the_version(pipeline_settings, admin_client, make_style):
    style = make_style("tone")
    version = style.version
    style.name = "Renamed"
    style.save()
    assert style.version == version, "an unrelated edit keeps the version"
    style.colour_limit = 6
    style.save()
    assert style.version == version + 1
    style.render_mode = "artistic"
    style.save()
    assert style.version == version + 2

    url = reverse("admin:stylerec_plugin_style_change", args=[style.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and key != "reference_image"}
    data.update({"colour_limit": "0", "translations-TOTAL_FORMS": "0", "translations-INITIAL_FORMS": "0",
                 "preset_weights": "{}"})
    page = admin_client.post(url, data).content.decode()
    assert "greater than or equal to 1" in page
    data["colour_limit"] = "8"
    response = admin_client.post(url, data, follow=True)
    assert "recolours products" in response.content.decode(), "an artistic style warns on save"
    assert Style.objects.get(pk=style.pk).colour_limit == 8
    listing = admin_client.get(reverse("admin:stylerec_plugin_style_changelist")).content.decode()
    assert "Artistic: recolours products" in listing
