"""Fixtures for the restyling pipeline tests: real Redis, real RQ workers, real engine, small photos."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

FIXTURES = Path(django_settings.BASE_DIR) / "demo_shop" / "fixtures"
PRODUCT_PHOTOS = sorted((FIXTURES / "products").glob("*.jpg"))
STYLE_PHOTOS = sorted((FIXTURES / "styles").glob("*.jpg"))
_counter = itertools.count(1)


def small_jpeg(path: Path, side: int = 96, *, brightness: float = 1.0) -> bytes:
    """A real demo photo shrunk to ``side`` px on its long edge (fast tests, real content)."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((side, side))
        if brightness != 1.0:
            image = image.point(lambda v: min(255, int(v * brightness)))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90)
        return buffer.getvalue()


def studio_shot(colour=(200, 40, 40), size=(160, 120), background=(246, 246, 246)) -> bytes:
    """A product on a light seamless background: a coloured box with a darker band (some texture)."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((50, 25, 110, 95), fill=colour)
    draw.rectangle((50, 55, 110, 62), fill=tuple(max(0, c - 60) for c in colour))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def clear_queue() -> None:
    """Remove the test queue's jobs and registries (only this queue: other queues on the db are left alone)."""
    from stylerec_plugin import queue

    rq_queue = queue.get_queue()
    rq_queue.empty()
    for registry in (
        rq_queue.failed_job_registry,
        rq_queue.finished_job_registry,
        rq_queue.scheduled_job_registry,
        rq_queue.deferred_job_registry,
        rq_queue.canceled_job_registry,
    ):
        for job_id in registry.get_job_ids():
            try:
                registry.remove(job_id, delete_job=True)
            except ValueError:
                # A killed worker's abandoned job whose execution record already expired:
                # RQ cannot delete it through the registry, so drop the entry and the job key.
                registry.remove(job_id)
                rq_queue.connection.delete(rq_queue.job_class.key_for(job_id))


@pytest.fixture
def pipeline_settings(settings, tmp_path):
    """Private media folder, RQ mode, quick retries; the test queue emptied before and after."""
    from stylerec_plugin import queue

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STYLEREC = {
        **settings.STYLEREC,
        "QUEUE_MODE": "rq",
        "MAX_SIDE": 256,
        "RETRY_BACKOFF": [0],
        "MAX_RETRIES": 2,
    }
    queue.reset_probe_cache()
    clear_queue()
    yield settings
    queue.reset_probe_cache()
    try:
        clear_queue()
    except Exception:
        pass


@pytest.fixture
def category(transactional_db):
    from demo_shop.catalog.models import Category

    return Category.objects.create(name="Test", slug=f"test-{next(_counter)}")


@pytest.fixture
def make_product(category):
    from demo_shop.catalog.models import Product

    def make(data: bytes | None = None, *, filename: str = "photo.jpg", index: int = 0, name: str | None = None):
        number = next(_counter)
        data = data if data is not None else small_jpeg(PRODUCT_PHOTOS[index % len(PRODUCT_PHOTOS)])
        product = Product(
            name=name or f"Product {number}", slug=f"product-{number}", price="9.50", category=category
        )
        product.image.save(filename, ContentFile(data), save=False)
        product.save()
        return product

    return make


@pytest.fixture
def make_style(transactional_db):
    from stylerec_plugin.models import Style

    def make(kind: str = "tone", *, index: int = 0, strength: float = 0.8, **fields):
        number = next(_counter)
        style = Style(name=f"Style {number}", slug=f"style-{number}", kind=kind, strength=strength, **fields)
        if kind in ("tone", "reference"):
            style.reference_image.save(
                "ref.jpg", ContentFile(small_jpeg(STYLE_PHOTOS[index % len(STYLE_PHOTOS)], 128)), save=False
            )
        style.save()
        return style

    return make


@pytest.fixture
def run_worker():
    """Run a real StyleRec RQ worker in burst mode in this process until the queue is empty."""

    def run() -> bool:
        from stylerec_plugin.queue import get_queue
        from stylerec_plugin.restyling.worker import StyleRecWorker

        queue = get_queue()
        worker = StyleRecWorker([queue], connection=queue.connection)
        return worker.work(burst=True, logging_level="WARNING")

    return run


def variant_files(settings) -> list[Path]:
    """Every variant file (and smaller copy) under the variants folder of this test's media root."""
    root = Path(settings.MEDIA_ROOT) / "stylerec" / "variants"
    return sorted(path for path in root.rglob("*") if path.is_file() and "masks" not in path.parts)


def mask_files(settings) -> list[Path]:
    """The product masks stored next to the variants."""
    root = Path(settings.MEDIA_ROOT) / "stylerec" / "variants" / "masks"
    return sorted(path for path in root.rglob("*") if path.is_file())
