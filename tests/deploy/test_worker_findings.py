"""Reliability findings of issue 14 in the pipeline, tried as an operator would.

Each was first written as a strict xfail that showed the weakness; each now passes
because the weakness is fixed (see docs/deploy.md, "When a worker dies").
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from stylerec_plugin import queue
from stylerec_plugin.models import ProductPhoto, RestyledImage, Style, VariantStatus
from stylerec_plugin.restyling import rendering
from stylerec_plugin.restyling.jobs import sync_product
from stylerec_plugin.restyling.planning import plan_variants, queue_plan
from stylerec_plugin.signals import paused
from tests.restyling.conftest import STYLE_PHOTOS, small_jpeg

from .conftest import kill, start_pipeline_worker, wait_for_line

pytestmark = [pytest.mark.queue, pytest.mark.django_db(transaction=True)]

ENGINE_ENTERED = "STYLEREC-TEST: engine entered"
# docs/pipeline.md: dead jobs are looked for at start-up and on every maintenance tick (2 min).
DOCUMENTED_RECOVERY_SECONDS = 120


def _queued_variant(make_product, make_style) -> RestyledImage:
    with paused():
        style = make_style("tone")
        product = make_product()
    sync_product(product.pk, plan=False)
    queue_plan(plan_variants([product.pk], [style]))
    return RestyledImage.objects.get(product=product, style=style)


def _worker_keys():
    from rq.worker import Worker

    return Worker.all(queue=queue.get_queue())


# --- recovery speed ------------------------------------------------------------------------


def test_a_killed_busy_worker_lapses_from_rq_within_the_documented_two_minutes(
    pipeline_settings, make_product, make_style
):
    from rq.worker import Worker

    row = _queued_variant(make_product, make_style)
    name = f"busy-{time.time_ns()}"
    worker = start_pipeline_worker(pipeline_settings, "--name", name)
    try:
        wait_for_line(worker, ENGINE_ENTERED)
        connection = queue.get_connection()
        worker_ttl = connection.ttl(Worker.redis_worker_namespace_prefix + name)
        registry = queue.get_queue().started_job_registry
        row.refresh_from_db()
        expiries = [score for member, score in connection.zrange(registry.key, 0, -1, withscores=True)
                    if member.decode().startswith(row.job_id)]
    finally:
        kill(worker)
    assert expiries, "the job is in RQ's started registry"
    job_expires_in = max(expiries) - time.time()
    # What a dead worker looks like to every other host: alive until these run out.
    assert worker_ttl <= DOCUMENTED_RECOVERY_SECONDS + 30, f"worker key lives {worker_ttl}s"
    assert job_expires_in <= DOCUMENTED_RECOVERY_SECONDS + 30, f"started job lives {job_expires_in:.0f}s"
    # RQ's own rule for a beat: the job monitoring interval (30 s) + 60 s.
    assert worker_ttl <= 90 and job_expires_in <= 90, (worker_ttl, job_expires_in)


def _heartbeats_seen_by_the_job(seconds: float) -> list:
    """A job that watches its own worker's registration while it works (runs inside the worker)."""
    from rq import get_current_job
    from rq.worker import Worker

    job = get_current_job()
    key = Worker.redis_worker_namespace_prefix + job.worker_name
    first = job.connection.hget(key, "last_heartbeat").decode()
    time.sleep(seconds)
    return [first, job.connection.hget(key, "last_heartbeat").decode(), job.connection.ttl(key)]


def test_a_busy_worker_keeps_beating_while_its_job_runs(pipeline_settings):
    """Without beats a long live job would look dead to every other host after 90 s."""
    from stylerec_plugin.restyling.worker import StyleRecWorker

    rq_queue = queue.get_queue()
    job = rq_queue.enqueue(_heartbeats_seen_by_the_job, 3.5)
    worker = StyleRecWorker([rq_queue], connection=rq_queue.connection, job_monitoring_interval=1)
    worker.work(burst=True)
    first, later, ttl = job.latest_result().return_value
    assert later > first, "the worker beat while the job ran"
    assert 0 < ttl <= 1 + 60, f"each beat lasts the monitoring interval + 60 s, not the job timeout: {ttl}"


def test_an_idle_worker_looks_for_dead_jobs_at_the_documented_interval(pipeline_settings):
    from stylerec_plugin.restyling.worker import StyleRecWorker

    rq_queue = queue.get_queue()
    worker = StyleRecWorker([rq_queue], connection=rq_queue.connection)
    # The worker wakes from its wait on the queue at most this often; maintenance can only run then.
    assert worker.dequeue_timeout <= DOCUMENTED_RECOVERY_SECONDS
    assert worker.maintenance_interval <= DOCUMENTED_RECOVERY_SECONDS
    # Maintenance is due after maintenance_interval and runs at the next wake: within the promise.
    assert worker.maintenance_interval + worker.dequeue_timeout <= DOCUMENTED_RECOVERY_SECONDS


# --- a regenerate killed mid-job ---------------------------------------------------------------


def test_a_regenerate_killed_mid_job_is_redone(pipeline_settings, make_product, make_style, run_worker):
    row = _queued_variant(make_product, make_style)
    run_worker()
    row.refresh_from_db()
    assert row.status == VariantStatus.READY
    first = (row.finished_at, row.image.name)
    call_command("stylerec_restyle", "--all", "--no-progress", stdout=StringIO())
    worker = start_pipeline_worker(pipeline_settings)
    try:
        wait_for_line(worker, ENGINE_ENTERED)
    finally:
        kill(worker)
    row.refresh_from_db()
    assert row.status == VariantStatus.READY, "shoppers keep the old file meanwhile"
    dead_token = row.job_id
    assert dead_token

    run_worker()  # a worker starts: it looks for dead jobs, then works the queue
    row.refresh_from_db()
    assert row.job_id != dead_token, "the dead claim is released"
    assert row.finished_at > first[0], "the regenerate ran again"


# --- stylerec_status and dead workers ------------------------------------------------------------


def test_stylerec_status_does_not_count_a_worker_that_stopped_beating(pipeline_settings):
    from rq import worker_registration
    from rq.utils import utcformat

    for leftover in _worker_keys():  # killed by earlier tests, still registered (the finding itself)
        worker_registration.unregister(leftover)
        queue.get_connection().delete(leftover.key)
    worker = start_pipeline_worker(
        pipeline_settings, "rqworker", "stylerec", "--worker-class", "stylerec_plugin.restyling.worker.StyleRecWorker",
        module="django",
    )
    try:
        wait_for_line(worker, "engines loaded")
        assert len(_worker_keys()) == 1
    finally:
        kill(worker)
    (dead,) = _worker_keys()
    # As 5 minutes later: its key has not expired yet, its last heartbeat is 5 minutes old.
    stale = timezone.now() - timedelta(minutes=5)
    queue.get_connection().hset(dead.key, "last_heartbeat", utcformat(stale))
    out = StringIO()
    call_command("stylerec_status", "--json", stdout=out)
    assert json.loads(out.getvalue())["queue"]["workers"] == 0


# --- a live job on another host that shares the hostname ---------------------------------------


def _can_unshare_pid() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = ["unshare", "--pid", "--fork", "--mount-proc", "--uts", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _in_own_namespaces(hostname: str, busy_pids: int) -> tuple[str, ...]:
    """Own PID and UTS namespaces with ``hostname``; ``busy_pids`` short processes first, so the
    worker's pid there is one the other namespace does not have."""
    script = f'hostname {hostname}; for i in $(seq {busy_pids}); do /bin/true; done; "$@"'
    # --kill-child: when unshare goes, the namespace goes with it (no worker left behind).
    return ("unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "--uts", "sh", "-c", script, "sh")


@pytest.mark.skipif(not _can_unshare_pid(), reason="needs unshare --pid/--uts (root)")
def test_a_live_job_on_another_host_with_the_same_hostname_is_not_taken_for_dead(
    pipeline_settings, make_product, make_style
):
    row = _queued_variant(make_product, make_style)
    # host-a stays inside the job for the whole test: its job is alive throughout.
    host_a = start_pipeline_worker(pipeline_settings, pause=300, prefix=_in_own_namespaces("shop-worker", 100))
    host_b = None
    try:
        wait_for_line(host_a, ENGINE_ENTERED)
        row.refresh_from_db()
        token = row.job_id
        host_b = start_pipeline_worker(pipeline_settings, pause=0, prefix=_in_own_namespaces("shop-worker", 0))
        # A burst worker: it looks for dead jobs at start-up, works the queue, and ends when it is empty.
        b_output, _ = host_b.communicate(timeout=240)
        row.refresh_from_db()
    finally:
        kill(host_a)
        if host_b is not None and host_b.poll() is None:
            kill(host_b)
    assert row.job_id == token and row.status == VariantStatus.RUNNING and row.attempts == 1, (
        "host-b re-ran a job that host-a was running:\n"
        + "".join(line for line in b_output.splitlines(keepends=True) if "re-queued" in line or "died" in line)
    )


# --- a bad style reference -------------------------------------------------------------------


def _truncated_reference() -> bytes:
    data = small_jpeg(STYLE_PHOTOS[0], 256)
    return data[: len(data) // 3]


def test_a_bad_style_reference_fails_the_rows_at_once_and_names_the_style(
    pipeline_settings, make_product, make_style, run_worker
):
    style = make_style("tone")
    product = make_product()
    reference = Path(pipeline_settings.MEDIA_ROOT) / style.reference_image.name
    reference.write_bytes(_truncated_reference())  # rewritten in storage behind the admin's back
    rendering._reference_cache.clear()
    run_worker()
    row = RestyledImage.objects.get(product=product, style=style)
    assert row.status == VariantStatus.FAILED
    assert row.attempts == 1, row.last_error
    assert style.name in row.last_error and "reference" in row.last_error.lower(), row.last_error


def test_a_truncated_reference_upload_is_refused(pipeline_settings, admin_client):
    from django import forms

    form_class = forms.modelform_factory(Style, fields=["name", "slug", "kind", "reference_image"])
    upload = SimpleUploadedFile("cut.jpg", _truncated_reference(), content_type="image/jpeg")
    form = form_class({"name": "Cut", "slug": "cut", "kind": "tone"}, {"reference_image": upload})
    assert not form.is_valid() and "reference_image" in form.errors

    upload = SimpleUploadedFile("cut.jpg", _truncated_reference(), content_type="image/jpeg")
    response = admin_client.post(
        "/stylerec/api/styles/", {"name": "Cut", "slug": "cut-api", "kind": "tone", "reference_image": upload}
    )
    assert response.status_code == 400 and "reference_image" in response.json()
    assert not Style.objects.filter(slug__startswith="cut").exists()


# --- a degenerate photo ------------------------------------------------------------------------


def test_a_photo_too_thin_to_restyle_is_refused_with_a_reason(pipeline_settings, make_product, make_style,
                                                              run_worker):
    buffer = io.BytesIO()
    Image.new("RGB", (20000, 50), (120, 80, 40)).save(buffer, "JPEG", quality=80)
    style = make_style("tone")
    product = make_product(buffer.getvalue(), filename="strip.jpg")
    run_worker()
    row = RestyledImage.objects.get(product=product, style=style)
    assert row.status == VariantStatus.FAILED, f"{row.status} at {row.width}x{row.height}"
    assert "strip.jpg" in row.last_error and "short side" in row.last_error
    assert ProductPhoto.objects.get(product=product).last_error
