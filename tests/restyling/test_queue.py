"""stylerec_plugin.queue: modes, the Redis probe, and the pipeline's settings checks."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.test.utils import override_settings

from stylerec_plugin import queue
from stylerec_plugin.checks import check_pipeline

pytestmark = [pytest.mark.queue]

DEAD_REDIS = {"stylerec": {"URL": "redis://127.0.0.1:1/4", "DEFAULT_TIMEOUT": 600}}
CALLS: list[tuple] = []


def record(*args, **kwargs) -> str:
    """A job function for these tests (importable by path, so RQ and inline both find it)."""
    CALLS.append((args, kwargs))
    return "done"


JOB = f"{__name__}.record"


@pytest.fixture(autouse=True)
def clean(pipeline_settings):
    CALLS.clear()
    yield


@pytest.mark.django_db(transaction=True)
def test_rq_mode_queues_after_commit_with_plain_arguments(pipeline_settings):
    with transaction.atomic():
        job_id = queue.enqueue(JOB, 7, [1, 2], flag=True)
        assert queue.get_queue().count == 0
    assert queue.get_queue().count == 1
    job = queue.get_queue().fetch_job(job_id)
    assert job.func_name == JOB and job.args == (7, [1, 2]) and job.kwargs == {"flag": True}
    assert job.timeout == pipeline_settings.STYLEREC.get("JOB_TIMEOUT", 600)


@pytest.mark.django_db(transaction=True)
def test_inline_mode_runs_at_commit_and_never_on_rollback(pipeline_settings):
    pipeline_settings.STYLEREC = {**pipeline_settings.STYLEREC, "QUEUE_MODE": "inline"}
    with transaction.atomic():
        assert queue.enqueue(JOB, 1) is None
        assert CALLS == []
    assert CALLS == [((1,), {})]
    with pytest.raises(RuntimeError), transaction.atomic():
        queue.enqueue(JOB, 2)
        raise RuntimeError
    assert CALLS == [((1,), {})]
    assert queue.get_queue().count == 0


@pytest.mark.django_db(transaction=True)
def test_rq_mode_with_redis_down_returns_none_quickly_and_warns(pipeline_settings, caplog):
    with override_settings(RQ_QUEUES=DEAD_REDIS):
        queue.reset_probe_cache()
        started = time.monotonic()
        results = [queue.enqueue(JOB, n) for n in range(20)]
        elapsed = time.monotonic() - started
    assert results == [None] * 20 and CALLS == []
    assert elapsed < 2, "one short probe, then the cached answer"
    assert caplog.text.count("unreachable") == 20


def test_probe_result_is_cached_briefly(pipeline_settings, monkeypatch):
    queue.reset_probe_cache()
    assert queue.redis_available() is True
    pings = []

    class DownClient:
        def ping(self):
            pings.append(1)
            raise ConnectionError("down")

        def close(self):
            pass

    monkeypatch.setattr(queue, "_probe_client", lambda connection: DownClient())
    assert queue.redis_available() is True and pings == [], "the cached answer, no new probe"
    monkeypatch.setattr(queue, "PROBE_TTL_SECONDS", 0.0)
    assert queue.redis_available() is False and pings == [1], "expired: probed again"


def test_pipeline_settings_checks(settings):
    settings.STYLEREC = {**settings.STYLEREC, "MAX_RETRIES": -1, "RETRY_BACKOFF": [], "BATCH_SIZE": 0}
    assert {m.id for m in check_pipeline()} == {"stylerec.E020", "stylerec.E021", "stylerec.E022"}
    settings.STYLEREC = {**settings.STYLEREC, "MAX_RETRIES": 3, "RETRY_BACKOFF": [5], "BATCH_SIZE": 8,
                         "STALE_RUNNING_AFTER": 60, "JOB_TIMEOUT": 600}
    assert [m.id for m in check_pipeline()] == ["stylerec.W020"]
    settings.STYLEREC = {**settings.STYLEREC, "STALE_RUNNING_AFTER": 900}
    assert check_pipeline() == []


def test_web_side_of_the_pipeline_never_imports_torch():
    """Signals, queueing, planning, admin and commands load without torch (only jobs/workers need it)."""
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup()\n"
        "import stylerec_plugin.admin, stylerec_plugin.restyling.planning\n"
        "import stylerec_plugin.queue, stylerec_plugin.signals\n"
        "from django.core.management import load_command_class\n"
        "for name in ('stylerec_restyle', 'stylerec_status', 'stylerec_cleanup'):\n"
        "    load_command_class('stylerec_plugin', name)\n"
        "stylerec_plugin.restyling.planning.engine_version('preset')\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
