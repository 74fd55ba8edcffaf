import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """A private MEDIA_ROOT for one test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
