"""Jobs queued before the capability move (their dotted paths sit in Redis) still run in a real worker."""

from __future__ import annotations

import warnings

from stylerec_plugin import queue
from stylerec_plugin.models import ProductPhoto, RestyledImage, VariantStatus
from stylerec_plugin.signals import paused


def test_jobs_queued_under_the_old_paths_run_to_ready_variants(pipeline_settings, make_product, make_style, run_worker):
    with paused():
        style = make_style("tone")
        product = make_product()
    queue.enqueue("stylerec_plugin.jobs.update_style_vector", style.pk)
    queue.enqueue("stylerec_plugin.jobs.sync_product", product.pk, plan=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the worker imports the old module
        run_worker()
    photo = ProductPhoto.objects.get(product=product)
    assert photo.source_hash and photo.style_vector
    style.refresh_from_db()
    assert style.style_vector_version == style.version
    assert not RestyledImage.objects.filter(product=product).exists()  # plan=False planned nothing

    queue.enqueue("stylerec_plugin.jobs.sync_style", style.pk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        run_worker()
    row = RestyledImage.objects.get(product=product, style=style)
    assert row.status == VariantStatus.READY and row.image
    assert queue.get_queue().failed_job_registry.count == 0

    row.status = VariantStatus.PENDING
    row.save(update_fields=["status"])
    queue.enqueue("stylerec_plugin.jobs.restyle_variants", [row.pk], regenerate=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        run_worker()
    row.refresh_from_db()
    assert row.status == VariantStatus.READY and row.attempts == 2
    assert queue.get_queue().failed_job_registry.count == 0
