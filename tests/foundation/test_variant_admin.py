"""The variant list for a busy admin: small cached thumbnails (a page of 100 rows under 300 KB), the
overview of pending, failed, rejected and weak variants per style, and links to it and the API docs."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from demo_shop.catalog.models import Category, Product
from stylerec_plugin.admin.thumbnails import THUMBNAIL_SIDE, thumbnail_name
from stylerec_plugin.models import ProductPhoto, RestyledImage, Style, VariantStatus
from stylerec_plugin.storage import rendition_name, variant_storage

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/stylerec_plugin/restyledimage/"
PAGE_BUDGET = 300 * 1024


def photo_bytes(width: int, seed: int) -> bytes:
    """A busy photo-like JPEG (noise compresses badly, as real photos do)."""
    rng = np.random.default_rng(seed)
    height = width * 3 // 4
    base = np.linspace(0, 255, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
    pixels = np.clip(base + rng.normal(0, 40, (height, width, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture
def hundred_variants(media_root):
    """10 products x 10 styles, ready, each with a 1024 px file and its stored 320 px copy."""
    category = Category.objects.create(name="Lamps", slug="lamps")
    full, small = photo_bytes(1024, 1), photo_bytes(320, 2)
    styles = [Style.objects.create(name=f"Style {n}", slug=f"style-{n}", kind="preset", preset_weights={"3": 1})
              for n in range(10)]
    storage = variant_storage()
    products = []
    for n in range(10):
        product = Product(name=f"Lamp {n}", slug=f"lamp-{n}", price=Decimal("10"), category=category)
        product.image.save(f"lamp-{n}.jpg", ContentFile(full), save=False)
        product.save()
        ProductPhoto.objects.create(product=product, source_hash=f"h{n}", width=1024, height=768, is_weak=n == 0)
        products.append(product)
        for style in styles:
            variant = RestyledImage(
                product=product, style=style, style_version=1, engine="preset", engine_version="preset-1",
                source_hash=f"h{n}", status=VariantStatus.READY, width=1024, height=768, ssim=0.61,
                strength_used=1.0, rendition_widths=[320],
            )
            variant.image.save("out.jpg", ContentFile(full), save=False)
            storage.save(rendition_name(variant.image.name, 320), ContentFile(small))
            variant.save()
    return {"styles": styles, "products": products}


def transferred(client, html: str) -> tuple[int, list[str]]:
    """Bytes of every image in the list's rows (fetched like a browser would), and their URLs.

    The admin's own icons and CSS are shared by every admin page and cached; not counted here."""
    rows = html[html.index('id="result_list"'):]
    rows = rows[: rows.index("</table>")]
    urls = [src.replace("&amp;", "&") for src in re.findall(r'<img [^>]*src="([^"]+)"', rows)
            if not src.startswith("/static/admin/")]  # boolean icons
    total = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        total += len(response.content)
    return total, urls


def test_a_page_of_100_variants_transfers_under_300_kb(admin_client, hundred_variants):
    response = admin_client.get(CHANGELIST)
    html = response.content.decode()
    assert response.context["cl"].result_count == 100 and len(response.context["cl"].result_list) == 100
    images, urls = transferred(admin_client, html)
    assert len(urls) == 100
    assert "/stylerec/variants/" not in html  # never the full-size files, nor their 320 px copies
    page = len(response.content) + images
    assert page < PAGE_BUDGET, f"{page / 1024:.0f} KB ({len(response.content) / 1024:.0f} KB HTML)"
    # The score and error columns are in the list (the browser test checks they fit at 1366 px).
    for column in ("column-scores", "column-short_error"):
        assert column in html
    print(f"\nvariant changelist, 100 rows: {len(response.content) / 1024:.0f} KB HTML + {images / 1024:.0f} KB "
          f"thumbnails = {page / 1024:.0f} KB")


def test_thumbnails_are_small_made_from_the_stored_copy_once_and_cached(admin_client, hundred_variants, settings):
    variant = RestyledImage.objects.first()
    url = f"{CHANGELIST}{variant.pk}/thumbnail.webp"
    first = admin_client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/webp"
    assert "max-age" in first["Cache-Control"]
    with Image.open(io.BytesIO(first.content)) as thumb:
        assert max(thumb.size) == THUMBNAIL_SIDE
    storage = variant_storage()
    cached = thumbnail_name(rendition_name(variant.image.name, 320))
    assert storage.exists(cached)
    # The source may go; the cached thumbnail is served without it.
    storage.delete(rendition_name(variant.image.name, 320))
    assert admin_client.get(url).content == first.content


def test_thumbnail_of_a_missing_or_broken_file_is_a_404_not_an_error(admin_client, hundred_variants):
    variant = RestyledImage.objects.first()
    storage = variant_storage()
    storage.delete(rendition_name(variant.image.name, 320))
    assert admin_client.get(f"{CHANGELIST}{variant.pk}/thumbnail.webp").status_code == 404
    pending = RestyledImage.objects.exclude(pk=variant.pk).first()
    RestyledImage.objects.filter(pk=pending.pk).update(status=VariantStatus.PENDING, image="")
    assert admin_client.get(f"{CHANGELIST}{pending.pk}/thumbnail.webp").status_code == 404


def test_thumbnails_need_view_permission(client, hundred_variants, django_user_model):
    variant = RestyledImage.objects.first()
    staff = django_user_model.objects.create_user("clerk", password="pw-123456", is_staff=True)
    client.force_login(staff)
    assert client.get(f"{CHANGELIST}{variant.pk}/thumbnail.webp").status_code == 403


def test_product_photo_list_uses_thumbnails_too(admin_client, hundred_variants):
    html = admin_client.get("/admin/stylerec_plugin/productphoto/").content.decode()
    images, urls = transferred(admin_client, html)
    assert len(urls) == 10 and all("thumbnail.webp" in url for url in urls)
    assert images < 10 * 4 * 1024


def test_overview_counts_each_status_per_style_and_links_to_the_rows(admin_client, hundred_variants):
    style = hundred_variants["styles"][0]
    rows = list(RestyledImage.objects.filter(style=style).order_by("pk"))
    RestyledImage.objects.filter(pk__in=[rows[1].pk, rows[2].pk]).update(status=VariantStatus.FAILED,
                                                                        last_error="Unreadable photo")
    RestyledImage.objects.filter(pk=rows[3].pk).update(status=VariantStatus.REJECTED)
    RestyledImage.objects.filter(pk=rows[4].pk).update(status=VariantStatus.RUNNING)
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(f"{CHANGELIST}overview/")
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index(f">{style.name}</a>"):]
    row = row[: row.index("</tr>")]
    counts = dict(re.findall(r'count-(\w+)[^>]*>(?:<a href="[^"]+">)?(\d+)', row))
    assert counts == {"ready": "6", "pending": "1", "failed": "2", "rejected": "1", "weak": "1"}
    failed_link = re.search(r'count-failed[^>]*><a href="([^"]+)"', row).group(1).replace("&amp;", "&")
    listed = admin_client.get(failed_link)
    assert {obj.pk for obj in listed.context["cl"].result_list} == {rows[1].pk, rows[2].pk}
    weak_link = re.search(r'count-weak[^>]*><a href="([^"]+)"', row).group(1).replace("&amp;", "&")
    assert [obj.product.name for obj in admin_client.get(weak_link).context["cl"].result_list] == ["Lamp 0"]
    assert len(queries) < 15  # one counting query for all styles, whatever their number
    assert "/stylerec/api/docs/" in html


def test_lists_link_to_the_overview_and_the_api_docs(admin_client, hundred_variants):
    for url in (CHANGELIST, "/admin/stylerec_plugin/style/", "/admin/stylerec_plugin/"):
        html = admin_client.get(url).content.decode()
        assert f"{CHANGELIST}overview/" in html and "/stylerec/api/docs/" in html, url
