"""Photos and variants on S3-compatible storage: django-storages' S3 backend against moto's S3 server.

Every storage request is counted where it arrives, in the server's request log.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from django.test import Client
from PIL import Image

from demo_shop.s3 import PHOTO_CACHE_CONTROL, VARIANT_CACHE_CONTROL
from stylerec_plugin.models import RestyledImage, VariantStatus
from stylerec_plugin.storage import rendition_names
from tests.restyling.conftest import PRODUCT_PHOTOS, small_jpeg

from .conftest import bucket_storages

pytestmark = [pytest.mark.s3, pytest.mark.queue, pytest.mark.django_db(transaction=True)]

WIDTHS = [64, 128]


@pytest.fixture
def widths(pipeline_settings):
    pipeline_settings.STYLEREC = {**pipeline_settings.STYLEREC, "OUTPUT_WIDTHS": WIDTHS}


def _photo(index: int = 0) -> bytes:
    return small_jpeg(PRODUCT_PHOTOS[index % len(PRODUCT_PHOTOS)], 200)


def _files_of(row: RestyledImage) -> list[str]:
    return [row.image.name, *rendition_names(row.image.name, row.rendition_widths)]


def _fetch(url: str):
    """GET a URL as a browser or a CDN would (no credentials): status, headers (any case), body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, b""


@pytest.fixture
def smaller_working_size(pipeline_settings):
    """Switch MAX_SIDE to 128 as a worker restarted with that setting would (a fresh engine)."""
    from stylerec_plugin.restyling import rendering

    def switch() -> None:
        pipeline_settings.STYLEREC = {**pipeline_settings.STYLEREC, "MAX_SIDE": 128}
        rendering._stylizer = None

    yield switch
    rendering._stylizer = None  # the next test's engine uses its own MAX_SIDE


def _ready(product, style) -> RestyledImage:
    row = RestyledImage.objects.get(product=product, style=style, style_version=style.version)
    assert row.status == VariantStatus.READY, row.last_error
    return row


def test_variants_and_smaller_copies_are_written_to_the_bucket(s3_bucket, widths, make_product, make_style,
                                                               run_worker):
    style = make_style("tone")
    product = make_product(_photo())
    mark = s3_bucket.server.mark()
    run_worker()
    row = _ready(product, style)
    assert row.rendition_widths == WIDTHS
    files = _files_of(row)
    assert set(files) <= set(s3_bucket.keys("stylerec/variants/"))
    written = {r.key for r in s3_bucket.requests_since(mark) if r.method == "PUT" and r.status == 200}
    assert set(files) <= written, "every file went through the storage API to the server"
    for name, expected_width in zip(files, [row.width, *WIDTHS], strict=True):
        with Image.open(io.BytesIO(s3_bucket.get(name))) as image:
            assert image.width == expected_width
    assert not any(r.status >= 500 for r in s3_bucket.requests_since(mark))


def test_a_new_style_version_replaces_the_files_and_the_old_ones_are_deleted(
    s3_bucket, widths, make_product, make_style, run_worker
):
    style = make_style("tone")
    product = make_product(_photo())
    run_worker()
    old_files = _files_of(_ready(product, style))
    style.strength = 0.5
    style.save()
    mark = s3_bucket.server.mark()
    run_worker()
    new_files = _files_of(_ready(product, style))
    assert set(new_files).isdisjoint(old_files)
    assert RestyledImage.objects.filter(product=product, style=style).count() == 1
    keys = set(s3_bucket.keys("stylerec/variants/"))
    assert set(new_files) <= keys and not keys & set(old_files)
    deleted = {r.key for r in s3_bucket.requests_since(mark) if r.method == "DELETE"}
    assert set(old_files) <= deleted


def test_deleting_products_and_styles_deletes_variant_files_and_never_an_original(
    s3_bucket, widths, make_product, make_style, run_worker
):
    style = make_style("tone")
    other_style = make_style("tone", index=1)
    products = [make_product(_photo(i), index=i) for i in range(2)]
    originals = [p.image.name for p in products] + [style.reference_image.name, other_style.reference_image.name]
    etags = {name: s3_bucket.head(name)["ETag"] for name in originals}
    mark = s3_bucket.server.mark()

    run_worker()
    style.strength = 0.6
    style.save()  # a new version: new files, the old ones go
    run_worker()
    call_command("stylerec_restyle", "--all", "--no-progress")
    run_worker()
    call_command("stylerec_cleanup", "--min-age", "0")
    doomed = list(RestyledImage.objects.filter(product=products[0]))
    doomed_files = [name for row in doomed for name in _files_of(row)]
    products[0].delete()
    other_files = [name for row in RestyledImage.objects.filter(style=other_style) for name in _files_of(row)]
    other_style.delete()

    keys = set(s3_bucket.keys())
    assert doomed_files and not keys & set(doomed_files), "a deleted product's variants are gone"
    assert other_files and not keys & set(other_files), "a deleted style's variants are gone"
    for name in originals:
        assert name in keys and s3_bucket.head(name)["ETag"] == etags[name], f"{name} was changed"
    writes = ("PUT", "POST", "DELETE")
    touched = [r for r in s3_bucket.requests_since(mark) if r.key in originals and r.method in writes]
    assert touched == [], "no write or delete ever reached an original photo or a style reference"


def test_pages_make_no_storage_request(s3_bucket, widths, make_product, make_style, run_worker, category):
    style = make_style("tone")
    products = [make_product(_photo(i), index=i) for i in range(3)]
    run_worker()
    rows = [_ready(p, style) for p in products]
    visitor, styled = Client(), Client()
    assert styled.post("/styles/", {"use": style.slug}).status_code == 302

    mark = s3_bucket.server.mark()
    pages = {}
    for path in ("/", f"/category/{category.slug}/", f"/product/{products[0].slug}/", "/products/"):
        for who, client in (("new visitor", visitor), ("styled shopper", styled)):
            response = client.get(path)
            assert response.status_code == 200, (who, path)
            pages[(who, path)] = response.content.decode()
    api = Client().get(f"/stylerec/api/products/{products[0].pk}/variants/")
    assert api.status_code == 200
    assert s3_bucket.requests_since(mark) == [], "rendering made storage requests"

    # What the pages link to is the bucket (a CDN in front of it), restyled for the styled shopper.
    base = f"http://127.0.0.1:{s3_bucket.server.port}/{s3_bucket.name}/"
    product_page = pages[("styled shopper", f"/product/{products[0].slug}/")]
    assert base + rows[0].image.name in product_page
    assert base + rendition_names(rows[0].image.name, [64])[0] + " 64w" in product_page
    listing = pages[("styled shopper", "/products/")]
    assert all(base + row.image.name in listing for row in rows)
    assert base + products[0].image.name in pages[("new visitor", "/products/")]
    assert api.json()[0]["url"] == base + rows[0].image.name


def test_cleanup_on_a_bucket_removes_orphans_and_requeues_lost_files(
    s3_bucket, make_product, make_style, run_worker
):
    from stylerec_plugin import queue

    style = make_style("tone")
    kept, lost = make_product(_photo(0)), make_product(_photo(1), index=1)
    run_worker()
    client = s3_bucket.server.client()
    orphan = "stylerec/variants/999/orphan-from-a-dead-job.jpg"
    client.put_object(Bucket=s3_bucket.name, Key=orphan, Body=_photo(2))
    # A product photo that happens to live under the variants folder is never an orphan.
    photo_in_folder = make_product(_photo(3), index=3)
    photo_in_folder.image.name = "stylerec/variants/999/shop-photo.jpg"
    client.put_object(Bucket=s3_bucket.name, Key=photo_in_folder.image.name, Body=_photo(3))
    photo_in_folder.save()
    run_worker()
    lost_row = _ready(lost, style)
    client.delete_object(Bucket=s3_bucket.name, Key=lost_row.image.name)

    mark = s3_bucket.server.mark()
    call_command("stylerec_cleanup", "--dry-run", "--min-age", "0")
    assert [r for r in s3_bucket.requests_since(mark) if r.method in ("PUT", "DELETE")] == []
    assert orphan in s3_bucket.keys()

    call_command("stylerec_cleanup", "--min-age", "0")
    keys = set(s3_bucket.keys())
    assert orphan not in keys
    assert photo_in_folder.image.name in keys
    assert _ready(kept, style).image.name in keys
    lost_row.refresh_from_db()
    assert lost_row.status == VariantStatus.PENDING and "missing from storage" in lost_row.last_error
    assert queue.get_queue().count >= 1
    run_worker()
    assert _ready(lost, style).image.name in set(s3_bucket.keys())


def test_variant_urls_can_be_cached_forever(s3_bucket, widths, smaller_working_size, make_product, make_style,
                                            run_worker):
    """A URL never serves two different files; variants say so to caches, photos get a day."""
    style = make_style("tone")
    product = make_product(_photo())
    run_worker()
    row = _ready(product, style)
    from stylerec_plugin.storage import variant_storage

    first_urls = {name: variant_storage().url(name) for name in _files_of(row)}
    first_bytes = {}
    for name, url in first_urls.items():
        status, headers, body = _fetch(url)
        assert status == 200 and headers["Cache-Control"] == VARIANT_CACHE_CONTROL, (name, status)
        first_bytes[url] = body
    status, headers, _ = _fetch(product.image.url)
    assert status == 200 and headers["Cache-Control"] == PHOTO_CACHE_CONTROL

    # A re-render that gives other pixels (here: a smaller working size) must not reuse a URL.
    smaller_working_size()
    call_command("stylerec_restyle", "--all", "--no-progress")
    run_worker()
    row = _ready(product, style)
    assert row.width == 128
    for name in _files_of(row):
        url = variant_storage().url(name)
        status, _, body = _fetch(url)
        assert status == 200
        assert url not in first_bytes or first_bytes[url] == body, f"{url} now serves other bytes"
    for url in first_urls.values():
        if url not in {variant_storage().url(n) for n in _files_of(row)}:
            assert _fetch(url)[0] in (403, 404), "the replaced file is deleted"


def test_variant_urls_change_with_their_content_even_when_the_storage_overwrites(
    s3_server, s3_bucket, widths, pipeline_settings, smaller_working_size, make_product, make_style, run_worker
):
    pipeline_settings.STORAGES = {
        **pipeline_settings.STORAGES,
        **bucket_storages(s3_server, s3_bucket.name, file_overwrite=True),
    }
    style = make_style("tone")
    product = make_product(_photo())
    run_worker()
    before = _ready(product, style)
    before_bytes = s3_bucket.get(before.image.name)
    smaller_working_size()
    call_command("stylerec_restyle", "--all", "--no-progress")
    run_worker()
    after = _ready(product, style)
    assert after.width == 128
    assert after.image.name != before.image.name or s3_bucket.get(after.image.name) == before_bytes
    # Other bytes, so another name: the old URL keeps its bytes until it is deleted, never new ones.
    assert after.image.name != before.image.name
    assert after.image.name in set(s3_bucket.keys())
