"""The style admin form: contrast checked on save (text refused, other shades derived with a message),
a preview with every ratio, colour pickers, kind-dependent fields and the preset gallery."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from PIL import Image

from stylerec_plugin.models import Style
from stylerec_plugin.restyling.preset_gallery import MANIFEST
from stylerec_plugin.storage import variant_storage
from stylerec_plugin.themes import accessible_colours, contrast_ratio
from tests.storefront.test_safety import style_form_data

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/stylerec_plugin/style/add/"


def test_unreadable_text_colour_is_refused_with_the_ratio_and_a_passing_shade(admin_client, media_root):
    response = admin_client.post(ADD_URL, style_form_data(theme_text="#9a9a9a"))
    assert not Style.objects.exists()
    errors = response.context["adminform"].form.errors["theme_text"]
    message = " ".join(errors)
    assert f"{contrast_ratio('#9a9a9a', '#f7f5f2'):.2f}:1" in message and "4.5:1" in message
    suggestion = re.search(r"(#[0-9a-f]{6}) would pass", message).group(1)
    assert min(contrast_ratio(suggestion, "#f7f5f2"), contrast_ratio(suggestion, "#ffffff")) >= 4.5


def test_a_light_accent_is_kept_for_fills_and_a_darker_shade_is_used_for_text(admin_client, media_root):
    response = admin_client.post(ADD_URL, style_form_data(theme_accent="#f4c430"), follow=True)
    style = Style.objects.get()
    assert style.theme_accent == "#f4c430"  # the admin's colour is stored as picked
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    shade = accessible_colours(style.theme)["accent-text"]
    assert any("#f4c430" in text and shade in text and "prices" in text for text in warnings), warnings
    assert contrast_ratio(shade, "#ffffff") >= 4.5 and contrast_ratio(shade, "#f7f5f2") >= 4.5


def test_a_palette_that_passes_as_picked_gets_no_warning(admin_client, media_root):
    response = admin_client.post(ADD_URL, style_form_data(theme_primary="#1f4e79", theme_accent="#a8501d"),
                                 follow=True)
    assert Style.objects.exists()
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]


def test_form_has_colour_pickers_a_preview_with_ratios_and_kind_fields(admin_client, media_root):
    style = Style.objects.create(name="Gold", slug="gold", kind="preset", preset_weights={"3": 1},
                                 theme_accent="#f4c430")
    page = admin_client.get(f"/admin/stylerec_plugin/style/{style.pk}/change/").content.decode()
    assert page.count('type="color"') == 5
    preview = page[page.index("data-stylerec-preview"):]
    assert 'data-check="accent-surface"' in preview
    shade = accessible_colours(style.theme)["accent-text"]
    assert f"--stylerec-accent-text: {shade};" in page
    assert f"{contrast_ratio(shade, '#ffffff'):.2f}:1" in preview
    assert "1.64:1" not in preview  # what the shop shows passes; the raw pick is only named
    kinds = json.loads(re.search(r'<script id="stylerec-kind-fields" type="application/json">(.*?)</script>',
                                 page).group(1))
    assert "preset_weights" in kinds["preset"] and "preset_weights" not in kinds["reference"]
    assert "reference_image" in kinds["tone"] and "reference_image" not in kinds["enhance"]
    assert "stylerec/admin/style-form.js" in page


def test_preset_gallery_is_rendered_from_the_installed_network_and_shown_in_the_form(
    admin_client, media_root, tmp_path
):
    photo = tmp_path / "sample.jpg"
    gradient = Image.linear_gradient("L").resize((96, 72)).convert("RGB")
    gradient.save(photo, "JPEG")
    out = io.StringIO()
    call_command("stylerec_preset_gallery", photo=str(photo), size=64, stdout=out)
    assert "26 presets" in out.getvalue()
    storage = variant_storage()
    with storage.open(MANIFEST) as handle:
        manifest = json.loads(handle.read())
    assert sorted(map(int, manifest["tiles"])) == list(range(26))
    with storage.open(manifest["tiles"]["7"]) as handle, Image.open(handle) as tile:
        assert tile.format == "WEBP" and max(tile.size) <= 192
    again = io.StringIO()
    call_command("stylerec_preset_gallery", photo=str(photo), size=64, stdout=again)
    assert "current" in again.getvalue()  # not rendered twice

    page = admin_client.get(ADD_URL).content.decode()
    gallery = page[page.index("data-stylerec-gallery"):]
    assert len(re.findall(r'class="tile(?: is-on)?" data-index=', gallery)) == 26
    assert storage.url(manifest["tiles"]["7"]) in gallery
    assert "sample.jpg" in gallery


def test_without_a_gallery_the_form_says_how_to_make_one(admin_client, media_root):
    page = admin_client.get(ADD_URL).content.decode()
    assert "manage.py stylerec_preset_gallery" in page
    assert page.count('class="tile-placeholder"') == 26
