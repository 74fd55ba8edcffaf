"""The admin in a real browser at 1366x900: the variant list fits with its scores in view and
transfers under 300 KB for 100 rows; the style form hides fields the kind does not use, picks
presets from the gallery and previews the theme live with the same colours as themes.py."""

from __future__ import annotations

import json
import random

import pytest

from stylerec_plugin.themes import accessible_colours
from tests.foundation.test_variant_admin import hundred_variants  # noqa: F401 - a fixture

from .conftest import DESKTOP, wait_for
from .test_accessibility import load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_browser(browser, live_server, settings, django_user_model, viewport):
    settings.ROOT_URLCONF = "tests.browser.urls"
    django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-Passphrase-42")
    viewport(*DESKTOP)
    browser.delete_all_cookies()
    load(browser, f"{live_server.url}/admin/login/")
    browser.find_element("id", "id_username").send_keys("boss")
    browser.find_element("id", "id_password").send_keys("a-long-Passphrase-42")
    browser.find_element("css selector", "input[type=submit]").click()
    wait_for(lambda: "/admin/login/" not in browser.current_url, "the admin index")
    yield browser
    browser.delete_all_cookies()


def test_variant_list_fits_at_1366_and_a_page_of_100_transfers_under_300_kb(
    admin_browser, live_server, hundred_variants, shot  # noqa: F811
):
    browser = admin_browser
    load(browser, f"{live_server.url}/admin/stylerec_plugin/restyledimage/")
    results = browser.execute_script(
        "const r = document.querySelector('.results'); return [r.scrollWidth, r.clientWidth];")
    assert results[0] <= results[1], f"the variant table scrolls sideways: {results}"
    for column in ("scores", "short_error"):
        right = browser.execute_script(
            f"return document.querySelector('th.column-{column}').getBoundingClientRect().right")
        assert right <= DESKTOP[0], f"{column} is off-screen at {right} px"
    shot("variant-list-1366")
    # Scroll to the end, so every lazy thumbnail loads, then add up what came over the wire.
    browser.execute_script("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    wait_for(lambda: browser.execute_script(
        "return Array.from(document.querySelectorAll('#result_list img')).every(i => i.complete && i.naturalWidth)"),
        "all thumbnails")
    sizes = browser.execute_script(
        "const nav = performance.getEntriesByType('navigation')[0];"
        "const res = performance.getEntriesByType('resource');"
        "const sum = f => res.filter(f).reduce((n, e) => n + (e.transferSize || e.encodedBodySize), 0);"
        "return {document: nav.transferSize || nav.encodedBodySize,"
        " thumbnails: sum(e => e.name.includes('thumbnail.webp')),"
        " shared: sum(e => !e.name.includes('thumbnail.webp')),"
        " count: res.filter(e => e.name.includes('thumbnail.webp')).length};")
    assert sizes["count"] == 100
    page = sizes["document"] + sizes["thumbnails"]
    print(f"\nvariant list in Chromium: {json.dumps(sizes)} -> page {page / 1024:.0f} KB "
          f"(+ {sizes['shared'] / 1024:.0f} KB of admin CSS/JS/icons, cached across admin pages)")
    assert page < 300 * 1024


def test_style_form_kind_fields_preset_gallery_and_live_preview(admin_browser, live_server, shot):
    browser = admin_browser
    load(browser, f"{live_server.url}/admin/stylerec_plugin/style/add/")
    kind = browser.find_element("id", "id_kind")

    def shown(field: str) -> bool:
        return browser.find_element("css selector", f".form-row.field-{field}").is_displayed()

    browser.execute_script("arguments[0].value = 'reference'; arguments[0].dispatchEvent(new Event('change'))", kind)
    assert shown("reference_image") and not shown("preset_weights") and shown("preserve_colour")
    browser.execute_script("arguments[0].value = 'enhance'; arguments[0].dispatchEvent(new Event('change'))", kind)
    assert not shown("reference_image") and not shown("preset_weights") and shown("strength")
    browser.execute_script("arguments[0].value = 'preset'; arguments[0].dispatchEvent(new Event('change'))", kind)
    assert shown("preset_weights") and not shown("reference_image")

    # Pick two presets in the gallery and weigh them: the JSON field follows.
    for index in (3, 12):
        browser.find_element("css selector", f'.tile[data-index="{index}"] .tile-use').click()
    weight = browser.find_element("css selector", '.tile[data-index="12"] .tile-weight-input')
    weight.clear()
    weight.send_keys("0.5")
    value = json.loads(browser.find_element("id", "id_preset_weights").get_attribute("value"))
    assert value == {"3": 1, "12": 0.5}

    # The preview follows the colour pickers, with the colours and ratios themes.py computes.
    palette = {"primary": "#0b2545", "accent": "#f4c430", "background": "#eef2f8", "surface": "#ffffff",
               "text": "#0b132b"}
    for key, colour in palette.items():
        browser.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
            browser.find_element("id", f"id_theme_{key}"), colour)
    expected = accessible_colours(palette)
    row = browser.find_element("css selector", 'tr[data-check="accent-surface"]')
    assert row.find_element("css selector", ".fg").text == expected["accent-text"]
    assert "passes" in row.find_element("css selector", ".result").text
    shown_accent = browser.execute_script(
        "return document.querySelector('[data-stylerec-preview]').style.getPropertyValue('--stylerec-on-accent')")
    assert shown_accent == expected["on-accent"]
    browser.execute_script("document.querySelector('[data-stylerec-preview]').scrollIntoView()")
    shot("style-form-preview")

    # The browser's colour maths is themes.py's, on many random palettes.
    rng = random.Random(13)
    palettes = [{key: f"#{rng.randrange(0x1000000):06x}" for key in palette} for _ in range(60)]
    in_browser = browser.execute_script("return arguments[0].map(p => window.stylerecThemeColours(p))", palettes)
    assert in_browser == [accessible_colours(p) for p in palettes]
