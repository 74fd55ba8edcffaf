"""The Oscar tier: one database and one restyled catalogue for the whole session.

Oscar's migrations and the first restyle are the slow part, so they run once: the shop
is committed before the first test, and every test runs in a transaction that is
rolled back (changes a test makes are gone for the next one). Jobs run inline
(``QUEUE_MODE = "inline"``): they start when a transaction commits, so tests that change
photos wrap the change in ``django_capture_on_commit_callbacks(execute=True)``.
"""

from __future__ import annotations

import shutil

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
        return shop


@pytest.fixture
def shop(oscar_shop, db) -> Shop:
    return oscar_shop


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
