import os
from pathlib import Path

import pytest

# tests/oscar is a tier of its own: a real django-oscar shop with its own settings and
# database (`make test` runs it: pytest tests/oscar --ds tests.oscar.settings).
OSCAR_SETTINGS = "tests.oscar.settings"
OSCAR_TESTS = Path(__file__).resolve().parent / "oscar"


def _oscar_tier() -> bool:
    return os.environ.get("DJANGO_SETTINGS_MODULE") == OSCAR_SETTINGS


def pytest_ignore_collect(collection_path, config):
    """Each tier collects only its own tests (the settings decide which tier this run is)."""
    path = Path(collection_path).resolve()
    here = Path(__file__).resolve().parent
    if path == here or here not in path.parents:
        return None
    inside_oscar = path == OSCAR_TESTS or OSCAR_TESTS in path.parents
    if inside_oscar and not _oscar_tier():
        return True
    if _oscar_tier() and not inside_oscar and path.parent == here and path.name != "conftest.py":
        return True
    return None


def pytest_report_header(config):
    if _oscar_tier():
        return "StyleRec: the Oscar tier (a real django-oscar shop, tests/oscar)"
    return "StyleRec: the main tier; the Oscar tier runs apart: pytest tests/oscar --ds tests.oscar.settings"


@pytest.fixture
def media_root(settings, tmp_path):
    """A private MEDIA_ROOT for one test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Cached shopper styles, lists and treatments must not leak from one test to the next."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
