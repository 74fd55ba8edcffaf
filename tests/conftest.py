import pytest


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
