"""The management commands: stylerec_restyle, stylerec_status, stylerec_cleanup."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from stylerec_plugin.models import ProductPhoto, RestyledImage, VariantStatus
from stylerec_plugin.queue import get_queue
from stylerec_plugin.signals import paused

from .conftest import PRODUCT_PHOTOS, small_jpeg, variant_files

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]


def run(*args: str) -> str:
    out = io.StringIO()
    extra = ["--no-progress"] if args[0] == "stylerec_restyle" else []
    call_command(*args, *extra, stdout=out)
    return out.getvalue()


def test_restyle_inline_renders_a_bulk_import_here(pipeline_settings, make_product, make_style):
    with paused():  # a bulk import: no signals, nothing queued
        style = make_style("tone")
        # Photos whose product the engine finds (photo 1's does not, so product-true changes nothing).
        products = [make_product(index=i) for i in (0, 2, 7)]
    assert get_queue().count == 0
    output = run("stylerec_restyle", "--inline")
    assert "Photos new or changed: 3" in output and "Rendered here: 3 variants (ready 3)" in output
    assert RestyledImage.objects.filter(style=style, status=VariantStatus.READY).count() == 3
    assert get_queue().count == 0
    style.refresh_from_db()
    assert style.style_vector_version == style.version and len(style.style_vector) == 100
    # Nothing left to do the second time.
    again = run("stylerec_restyle", "--inline")
    assert "Photos new or changed: 0" in again and "already ready: 3" in again
    assert products


def test_restyle_missing_catches_photos_rewritten_in_storage(pipeline_settings, make_product, make_style, run_worker):
    style = make_style("tone")
    product = make_product()
    run_worker()
    old = RestyledImage.objects.get(product=product)
    # A script rewrites the file without touching the database: no signal.
    default_storage.delete(product.image.name)
    default_storage.save(product.image.name, ContentFile(small_jpeg(PRODUCT_PHOTOS[11])))
    output = run("stylerec_restyle", "--missing")
    assert "Photos new or changed: 1" in output
    run_worker()
    row = RestyledImage.objects.get(product=product, style=style)
    assert row.pk != old.pk and row.status == VariantStatus.READY


def test_restyle_scope_options_and_errors(pipeline_settings, make_product, make_style):
    with paused():
        style_a = make_style("tone")
        style_b = make_style("tone", index=2)
        first = make_product()
        make_product(index=1)
    run("stylerec_restyle", "--inline", "--style", style_a.slug, "--product", str(first.pk))
    assert list(RestyledImage.objects.values_list("product_id", "style_id")) == [(first.pk, style_a.pk)]
    with pytest.raises(CommandError, match="No style"):
        run("stylerec_restyle", "--style", "nope")
    with pytest.raises(CommandError, match="No product"):
        run("stylerec_restyle", "--product", "999999")
    assert style_b


def test_restyle_all_regenerates_ready_variants_without_a_hole(pipeline_settings, make_product, make_style):
    with paused():
        make_style("tone")
        product = make_product()
    run("stylerec_restyle", "--inline")
    first = RestyledImage.objects.get(product=product)
    output = run("stylerec_restyle", "--all")
    assert "Queued: 1 variants" in output
    first.refresh_from_db()
    assert first.status == VariantStatus.READY, "a regenerating variant keeps showing"
    run("stylerec_restyle", "--all", "--inline")
    row = RestyledImage.objects.get(product=product)
    assert row.pk == first.pk and row.status == VariantStatus.READY
    assert row.finished_at > first.finished_at, "it was rendered again"
    # The same bytes: the same content-addressed name, the file still there, nothing doubled.
    assert row.image.name == first.image.name and default_storage.exists(row.image.name)
    assert len(variant_files(pipeline_settings)) == 1


def test_status_reports_counts_failures_and_weak_photos(pipeline_settings, make_product, make_style, run_worker):
    style = make_style("tone")
    make_product()
    make_product(b"not an image", filename="junk.jpg")
    dark = make_product(small_jpeg(PRODUCT_PHOTOS[5], brightness=0.15), filename="dark.jpg")
    run_worker()
    report = json.loads(run("stylerec_status", "--json"))
    entry = next(e for e in report["styles"] if e["style"] == style.slug)
    # The darkened photo's variant may pass the gates or not (that is the engine's call): the
    # report says what the rows say, and the unreadable photo failed.
    in_db = Counter(RestyledImage.objects.filter(style=style).values_list("status", flat=True))
    assert entry["counts"] == dict(in_db) and in_db["failed"] == 1 and in_db["ready"] >= 1
    assert sum(in_db.values()) == 3 and entry["missing"] == 0
    assert report["failures"][0]["error"].startswith("The photo")
    assert report["photos"]["products"] == 3 and report["photos"]["unreadable"] == 1
    assert ProductPhoto.objects.get(product=dark).is_weak
    assert report["photos"]["weak"] >= 1
    assert report["queue"]["redis"] is True
    text = run("stylerec_status")
    assert style.slug in text and "Recent failures" in text and "weak" in text


def test_cleanup_removes_orphans_but_never_originals(pipeline_settings, make_product, make_style, run_worker):
    make_style("tone")
    product = make_product()
    run_worker()
    keep = RestyledImage.objects.get(product=product).image.name
    orphan = default_storage.save("stylerec/variants/999/orphan.jpg", ContentFile(b"x"))
    # A product photo stored under the variants folder is never treated as an orphan.
    photo_like = default_storage.save(
        "stylerec/variants/originals/photo.jpg", ContentFile(small_jpeg(PRODUCT_PHOTOS[2]))
    )
    with paused():
        product.image.name = photo_like
        product.save()

    dry = run("stylerec_cleanup", "--dry-run", "--min-age", "0")
    assert "Would delete 1 orphaned files" in dry and default_storage.exists(orphan)
    done = run("stylerec_cleanup", "--min-age", "0")
    assert "Did delete 1 orphaned files" in done
    assert not default_storage.exists(orphan)
    assert default_storage.exists(keep) and default_storage.exists(photo_like)
    assert sorted(p.name for p in variant_files(pipeline_settings)) == sorted([Path(keep).name, "photo.jpg"])


def test_restyle_missing_requeues_only_lost_pending_rows(pipeline_settings, make_product, make_style, run_worker):
    from stylerec_plugin.restyling import jobs

    with paused():
        style = make_style("tone")
        product = make_product()
    jobs.sync_product(product.pk)  # plans the row and queues its restyle job
    row = RestyledImage.objects.get(product=product, style=style)
    assert row.status == VariantStatus.PENDING and row.job_id
    assert get_queue().count == 1
    output = run("stylerec_restyle", "--missing")
    assert "Queued: 0 variants" in output, "its job is still queued: not queued twice"

    get_queue().empty()  # the job is lost (Redis flushed, say)
    output = run("stylerec_restyle", "--missing")
    assert "Queued: 1 variants" in output
    run_worker()
    row.refresh_from_db()
    assert row.status == VariantStatus.READY and row.attempts == 1
