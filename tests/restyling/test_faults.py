"""Faults: races, dead workers, Redis down, bad photos, transient errors."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import override_settings

from stylerec_plugin import queue
from stylerec_plugin.models import ProductPhoto, RestyledImage, VariantStatus
from stylerec_plugin.restyling import jobs, planning, recovery, rendering
from stylerec_plugin.signals import paused

from .conftest import variant_files

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]

DEAD_REDIS = {"stylerec": {"URL": "redis://127.0.0.1:1/4", "DEFAULT_TIMEOUT": 600}}


def test_same_variant_requested_twice_at_once_gives_one_row_one_file(pipeline_settings, make_product, make_style):
    with paused():
        style = make_style("tone")
        product = make_product()
    jobs.sync_product(product.pk, plan=False)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def request_and_render() -> None:
        try:
            barrier.wait(timeout=30)
            plan = planning.plan_variants([product.pk], [style])
            with queue.run_jobs_inline():
                for pks in plan.to_queue.values():
                    jobs.restyle_variants(pks)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request_and_render) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    rows = list(RestyledImage.objects.filter(product=product, style=style))
    assert len(rows) == 1 and rows[0].status == VariantStatus.READY
    assert rows[0].attempts == 1, "only one of the two renders ran"
    assert len(variant_files(pipeline_settings)) == 1


def test_claim_waits_for_a_short_bookkeeping_lock_instead_of_skipping_the_row(
    pipeline_settings, make_product, make_style
):
    """Found by the throughput bench: a job that skipped a row locked by a job_id update left it pending."""
    from django.db import transaction

    with paused():
        style = make_style("tone")
        product = make_product()
    jobs.sync_product(product.pk, plan=False)
    pk = planning.plan_variants([product.pk], [style]).to_queue[style.pk][0]
    locked = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                RestyledImage.objects.filter(pk=pk).update(job_id="bookkeeping")
                locked.set()
                time.sleep(1.5)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=30)
    with queue.run_jobs_inline():
        outcome = jobs.restyle_variants([pk])
    holder.join(timeout=30)
    assert outcome["claimed"] == 1
    assert RestyledImage.objects.get(pk=pk).status == VariantStatus.READY


def test_two_jobs_for_one_variant_on_the_queue_render_once(pipeline_settings, make_product, make_style, run_worker):
    make_style("tone")
    product = make_product()
    run_worker()
    row = RestyledImage.objects.get(product=product)
    queue.enqueue(jobs.SYNC_PRODUCT_JOB, product.pk)
    queue.enqueue(jobs.RESTYLE_JOB, [row.pk])
    run_worker()
    row.refresh_from_db()
    assert row.attempts == 1 and row.status == VariantStatus.READY
    assert len(variant_files(pipeline_settings)) == 1


def _start_worker(settings, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.restyling.worker_settings",
        "STYLEREC_TEST_DB_NAME": connection.settings_dict["NAME"],
        "STYLEREC_TEST_MEDIA_ROOT": settings.MEDIA_ROOT,
        "STYLEREC_TEST_REDIS_URL": django_settings.RQ_QUEUES["stylerec"]["URL"],
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.restyling.slow_worker", *args],
        cwd=str(Path(django_settings.BASE_DIR)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_worker_killed_mid_job_is_recovered_and_variant_ends_ready(
    pipeline_settings, make_product, make_style, run_worker
):
    with paused():
        style = make_style("tone")
        product = make_product()
    jobs.sync_product(product.pk, plan=False)
    plan = planning.plan_variants([product.pk], [style])
    planning.queue_plan(plan)
    row = RestyledImage.objects.get(product=product, style=style)

    worker = _start_worker(pipeline_settings)
    try:
        deadline = time.monotonic() + 120
        lines = []
        for line in worker.stdout:  # wait until the job is inside the engine
            lines.append(line)
            if "STYLEREC-TEST: engine entered" in line:
                break
            assert time.monotonic() < deadline, "".join(lines)
        else:
            pytest.fail("the worker exited before the job started:\n" + "".join(lines))
        row.refresh_from_db()
        assert row.status == VariantStatus.RUNNING and row.job_id
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)
        worker.stdout.close()

    # Nothing else happened: the row still says running, but its worker is gone.
    row.refresh_from_db()
    assert row.status == VariantStatus.RUNNING
    assert recovery.death_reason(row) is not None
    dead_job = row.job_id

    # The recovery path: a new worker checks for dead jobs when it starts.
    run_worker()
    row.refresh_from_db()
    assert row.status == VariantStatus.READY, row.last_error
    assert row.attempts == 2
    assert len(variant_files(pipeline_settings)) == 1
    # RQ hears it too, at once: the dead job is failed with the reason, no longer counted as started.
    rq_queue = queue.get_queue()
    started = {entry.decode().partition(":")[0] for entry in rq_queue.connection.zrange(
        rq_queue.started_job_registry.key, 0, -1)}
    assert dead_job not in started
    assert dead_job in rq_queue.failed_job_registry.get_job_ids()
    assert f"worker process {worker.pid}" in rq_queue.fetch_job(dead_job).latest_result().exc_string


def test_running_row_past_stale_limit_is_requeued_or_failed(pipeline_settings, make_product, make_style, run_worker):
    from django.utils import timezone

    make_style("tone")
    product = make_product()
    run_worker()
    row = RestyledImage.objects.get(product=product)
    RestyledImage.objects.filter(pk=row.pk).update(
        status=VariantStatus.RUNNING, job_id="gone", started_at=timezone.now() - timezone.timedelta(hours=2),
        attempts=3,
    )
    report = recovery.recover_stuck_variants()
    row.refresh_from_db()
    assert report.failed == [row.pk] and row.status == VariantStatus.FAILED
    assert "Gave up after 3 attempts" in row.last_error


def test_redis_down_during_save_then_restyle_missing_fills_the_gap(
    pipeline_settings, make_product, make_style, run_worker, caplog
):
    with override_settings(RQ_QUEUES=DEAD_REDIS):
        queue.reset_probe_cache()
        with caplog.at_level(logging.WARNING, logger="stylerec_plugin.queue"):
            style = make_style("tone")
            product = make_product()
        assert product.pk and style.pk, "the saves succeeded"
        assert "unreachable" in caplog.text and "stylerec_restyle --missing" in caplog.text
    queue.reset_probe_cache()
    assert queue.get_queue().count == 0
    assert not RestyledImage.objects.exists()

    call_command("stylerec_restyle", "--missing", "--no-progress")
    run_worker()
    row = RestyledImage.objects.get(product=product, style=style)
    assert row.status == VariantStatus.READY
    assert ProductPhoto.objects.get(product=product).style_vector is not None


def test_auto_mode_runs_inline_when_redis_is_down_and_says_so_once(
    pipeline_settings, make_product, make_style, caplog
):
    pipeline_settings.STYLEREC = {**pipeline_settings.STYLEREC, "QUEUE_MODE": "auto"}
    with override_settings(RQ_QUEUES=DEAD_REDIS):
        queue.reset_probe_cache()
        with caplog.at_level(logging.WARNING, logger="stylerec_plugin.queue"):
            style = make_style("tone")
            product = make_product()
            second = make_product(index=3)
    assert RestyledImage.objects.get(product=product, style=style).status == VariantStatus.READY
    assert RestyledImage.objects.get(product=second, style=style).status == VariantStatus.READY
    notes = [r for r in caplog.records if "run inline" in r.getMessage()]
    assert len(notes) == 1 and "rqworker" in notes[0].getMessage()


def test_corrupt_photo_fails_with_readable_error_and_others_are_unaffected(
    pipeline_settings, make_product, make_style, run_worker
):
    style = make_style("tone")
    good = make_product(index=2)
    bad = make_product(b"this is not a jpeg at all" * 10, filename="broken.jpg")
    truncated_source = make_product(index=4)
    with truncated_source.image.open("rb") as handle:
        half = handle.read()[:300]
    truncated = make_product(half, filename="truncated.jpg")
    run_worker()

    assert RestyledImage.objects.get(product=good, style=style).status == VariantStatus.READY
    assert RestyledImage.objects.get(product=truncated_source, style=style).status == VariantStatus.READY
    for product in (bad, truncated):
        row = RestyledImage.objects.get(product=product, style=style)
        assert row.status == VariantStatus.FAILED
        assert product.image.name in row.last_error and "cannot be used" in row.last_error
        assert "Traceback" not in row.last_error
        assert row.attempts <= 1, "a bad photo is not retried"
        assert ProductPhoto.objects.get(product=product).last_error
    assert os.path.exists(os.path.join(pipeline_settings.MEDIA_ROOT, bad.image.name)), "the original stays"


def test_transient_error_is_retried_then_fails_then_heals(pipeline_settings, make_product, make_style, run_worker):
    style = make_style("tone")
    product = make_product()
    run_worker()
    # The style's reference file disappears from storage: every attempt fails, not the photo's fault.
    reference = Path(pipeline_settings.MEDIA_ROOT) / style.reference_image.name
    saved = reference.read_bytes()
    reference.unlink()
    rendering._reference_cache.clear()
    style.strength = 0.6
    style.save()
    run_worker()
    row = RestyledImage.objects.get(product=product, style=style, style_version=style.version)
    assert row.status == VariantStatus.FAILED
    assert row.attempts == 3 and "Gave up after 3 attempts" in row.last_error
    old = RestyledImage.objects.get(product=product, style=style, style_version=1)
    assert old.status == VariantStatus.READY, "the previous version keeps showing"

    reference.write_bytes(saved)
    call_command("stylerec_restyle", "--failed", "--no-progress")
    run_worker()
    rows = list(RestyledImage.objects.filter(product=product, style=style))
    assert [(r.style_version, r.status) for r in rows] == [(2, VariantStatus.READY)]


def test_enqueue_takes_primary_keys_only(pipeline_settings, make_product):
    product = make_product()
    with pytest.raises(TypeError, match="primary keys"):
        queue.enqueue(jobs.SYNC_PRODUCT_JOB, product)
