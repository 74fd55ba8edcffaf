"""Admin pages of the pipeline: variant list with before/after, weak-photo filter, per-style counts, regenerate."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stylerec_plugin.models import RestyledImage, VariantStatus
from stylerec_plugin.queue import get_queue

from .conftest import PRODUCT_PHOTOS, small_jpeg

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_client_logged_in(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-123456")
    client.force_login(user)
    return client


def test_variant_list_shows_before_after_score_and_error(
    pipeline_settings, admin_client_logged_in, make_product, make_style, run_worker
):
    style = make_style("tone")
    product = make_product()
    make_product(b"garbage", filename="junk.jpg")
    run_worker()
    ready = RestyledImage.objects.get(product=product, style=style)
    page = admin_client_logged_in.get(reverse("admin:stylerec_plugin_restyledimage_changelist"))
    html = page.content.decode()
    assert page.status_code == 200
    thumbnail = reverse("admin:stylerec_plugin_restyledimage_thumbnail", args=[ready.pk])
    assert thumbnail in html and ready.image.url not in html  # a small thumbnail, not the full file
    assert admin_client_logged_in.get(thumbnail)["Content-Type"] == "image/webp"
    assert "cannot be used" in html
    failed_only = admin_client_logged_in.get(
        reverse("admin:stylerec_plugin_restyledimage_changelist") + "?status__exact=failed"
    ).content.decode()
    assert thumbnail not in failed_only
    detail = admin_client_logged_in.get(reverse("admin:stylerec_plugin_restyledimage_change", args=[ready.pk]))
    assert detail.status_code == 200 and f"{ready.ssim:.4f}"[:4] in detail.content.decode()
    assert ready.image.url in detail.content.decode() and product.image.url in detail.content.decode()


def test_weak_photo_filter(pipeline_settings, admin_client_logged_in, make_product, make_style, run_worker):
    make_style("tone")
    # 420 px: the quality check calls anything under 400 px weak ("too small").
    good = make_product(small_jpeg(PRODUCT_PHOTOS[0], 420), name="Bright mug")
    dark = make_product(small_jpeg(PRODUCT_PHOTOS[0], 420, brightness=0.12), name="Dark lamp")
    run_worker()
    url = reverse("admin:stylerec_plugin_productphoto_changelist")
    weak_page = admin_client_logged_in.get(url + "?weak=weak").content.decode()
    assert "Dark lamp" in weak_page and "Bright mug" not in weak_page
    assert good and dark


def test_style_list_counts_without_a_query_per_row_and_regenerate_action(
    pipeline_settings, admin_client_logged_in, make_product, make_style, run_worker
):
    styles = [make_style("tone", index=i) for i in range(3)]
    make_product()
    make_product(index=2)
    run_worker()
    url = reverse("admin:stylerec_plugin_style_changelist")
    with CaptureQueriesContext(connection) as few:
        page = admin_client_logged_in.get(url)
    assert "2 ready" in page.content.decode()
    make_style("tone", index=4)
    with CaptureQueriesContext(connection) as more:
        admin_client_logged_in.get(url)
    assert len(more.captured_queries) == len(few.captured_queries)

    get_queue().empty()
    response = admin_client_logged_in.post(
        url, {"action": "regenerate_variants", "_selected_action": [styles[0].pk]}, follow=True
    )
    assert "Regenerating the variants of 1 style" in response.content.decode()
    before = {row.pk: (row.image.name, row.finished_at) for row in RestyledImage.objects.filter(style=styles[0])}
    run_worker()
    after = RestyledImage.objects.filter(style=styles[0])
    assert {row.pk for row in after} == set(before)
    assert all(row.status == VariantStatus.READY and row.finished_at > before[row.pk][1] for row in after)
    # The engine gave the same bytes, so the content-addressed name (and a CDN's copy) stays, and the file is there.
    assert all(row.image.name == before[row.pk][0] and row.image.storage.exists(row.image.name) for row in after)
