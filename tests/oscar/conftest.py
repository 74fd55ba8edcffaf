"""The Oscar tier: one database and one restyled catalogue for the whole session.

Oscar's migrations and the first restyle are the slow part, so they run once: the shop
is committed before the first test, and every test runs in a transaction that is
rolled back (changes a test makes are gone for the next one). Files are not in the
transaction: the media folder (photos, variants, the search index) is put back as it
was after each test. Jobs run inline
(``QUEUE_MODE = "inline"``): they start when a transaction commits, so tests that change
photos wrap the change in ``django_capture_on_commit_callbacks(execute=True)``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.management import call_command

from .shop import Shop, build_shop


@pytest.fixture(scope="session")
def oscar_shop(request, django_db_setup, django_db_blocker) -> Shop:
    with django_db_blocker.unblock():
        if request.config.getoption("reuse_db", False):
            call_command("flush", interactive=False, verbosity=0)  # the last run's shop was committed
        shop = build_shop()
        call_command("rebuild_index", interactive=False, verbosity=0)
    shutil.copytree(settings.MEDIA_ROOT, _snapshot())
    return shop


def _snapshot() -> str:
    return settings.MEDIA_ROOT.rstrip("/") + "-snapshot"


@pytest.fixture
def shop(oscar_shop, db) -> Iterator[Shop]:
    yield oscar_shop
    shutil.rmtree(settings.MEDIA_ROOT)
    shutil.copytree(_snapshot(), settings.MEDIA_ROOT)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    shutil.rmtree(_snapshot(), ignore_errors=True)
