"""The shop on a phone (390x844, and 320 px for overflow): two grid columns, Add to cart in the
first screen, a Menu button, a flip that never moves the buttons, nothing wider than the screen.
Full-page screenshots of each page are saved under test-artifacts/browser/."""

from __future__ import annotations

import base64

import pytest

from .conftest import DESKTOP, MOBILE, wait_for
from .shop_data import build_demo_shop
from .test_accessibility import load, run_axe, shop_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def full_page_screenshot(browser, path, width: int) -> None:
    # Lazy images below the fold belong in the picture too.
    browser.execute_script("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    wait_for(lambda: browser.execute_script(
        "return Array.from(document.images).every(i => i.complete)"), "images to load")
    height = min(browser.execute_script("return document.documentElement.scrollHeight"), 8000)
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def grid_columns(browser, selector: str) -> int:
    return browser.execute_script(
        "const cards = document.querySelectorAll(arguments[0]);"
        "return new Set(Array.from(cards).map(c => Math.round(c.getBoundingClientRect().left))).size;",
        selector,
    )


def sideways_overflow(browser) -> int:
    return browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")


def rects(browser, selector: str) -> list[tuple[int, int, int, int]]:
    return [tuple(round(v) for v in rect) for rect in browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => {"
        "const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; });", selector)]


def test_phone_layout_two_columns_buy_box_menu_and_no_overflow(
    browser, live_server, settings, viewport, artifacts, axe_source
):
    settings.ROOT_URLCONF = "tests.browser.urls"
    shop = build_demo_shop()
    url = live_server.url
    pages = shop_pages(shop)
    viewport(*MOBILE)

    # Home and category grids: two columns of cards at 390 px.
    load(browser, f"{url}/")
    assert grid_columns(browser, ".stylerec-grid .card") == 2
    card_width = browser.execute_script("return document.querySelector('.stylerec-grid .card').offsetWidth")
    assert card_width >= 160
    load(browser, f"{url}{pages['category']}")
    assert grid_columns(browser, ".product-list .card") == 2

    # The compact header: a Menu button that opens the navigation.
    toggle = browser.find_element("id", "menu-toggle")
    assert toggle.is_displayed() and toggle.get_attribute("aria-expanded") == "false"
    styles_link = browser.find_element("id", "nav-styles")
    assert not styles_link.is_displayed()
    header_height = browser.execute_script("return document.querySelector('.site-header').offsetHeight")
    assert header_height <= 64
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and styles_link.is_displayed()
    assert not run_axe(browser, axe_source)  # the open menu too

    # Product page: name, price and Add to cart in the first screen.
    load(browser, f"{url}{pages['product']}")
    button = browser.execute_script(
        "const r = document.getElementById('add-to-cart').getBoundingClientRect(); return [r.top, r.bottom];"
    )
    assert 0 < button[0] and button[1] <= MOBILE[1], f"Add to cart at {button}, not within {MOBILE[1]} px"
    # An unavailable style says why in visible text (touch screens show no tooltips).
    unavailable = browser.find_element("css selector", ".flip-button.is-unavailable")
    assert "hides the product" in unavailable.text and unavailable.is_displayed()
    # Flipping between styles never moves the buttons under the finger.
    controls = ".flip-button, #add-to-cart, a.stylerec-original-link"
    before = rects(browser, controls)
    assert len(before) == len(browser.find_elements("css selector", ".flip-button")) + 2
    for slug in ("original", shop["styles"][0].slug, "original", shop["styles"][2].slug):
        browser.find_element("css selector", f'a.flip-button[data-style="{slug}"]').click()
        wait_for(lambda s=slug: browser.find_element("css selector", "img.flip-image").get_attribute(
            "data-stylerec-style") == s, f"the {slug} photo")
        assert rects(browser, controls) == before, f"buttons moved after showing {slug}"
    full_page_screenshot(browser, artifacts / "390-product-flipped.png", MOBILE[0])

    # Trying a style on a phone: the banner says so, with both ways out, and nothing fails axe.
    load(browser, f"{url}/styles/")
    tried = shop["styles"][3]
    browser.find_element("css selector", f'section[data-style="{tried.slug}"] button.try').click()
    note = wait_for(lambda: browser.find_elements("css selector", ".trial-note"), "the trial banner")[0]
    assert tried.display_name in note.text and browser.find_element("id", "end-trial").is_displayed()
    assert not run_axe(browser, axe_source) and sideways_overflow(browser) <= 0
    full_page_screenshot(browser, artifacts / "390-style-picker-trying.png", MOBILE[0])
    browser.find_element("id", "end-trial").click()
    wait_for(lambda: not browser.find_elements("css selector", ".trial-note"), "the trial to end")

    # Some history, so the your-data tables have rows; then every page at 390 and at 320 px.
    load(browser, f"{url}{pages['product']}")
    browser.find_element("id", "add-to-cart").click()
    wait_for(lambda: browser.find_elements("css selector", "table.cart tbody tr"), "a line in the cart")
    for width in (MOBILE[0], 320):
        viewport(width, MOBILE[1])
        for name, path in pages.items():
            load(browser, f"{url}{path}")
            assert sideways_overflow(browser) <= 0, f"{name} overflows at {width} px"
            full_page_screenshot(browser, artifacts / f"{width}-{name}.png", width)

    # The desktop header: everything in view, no Menu button.
    viewport(*DESKTOP)
    load(browser, f"{url}/")
    assert not browser.find_element("id", "menu-toggle").is_displayed()
    assert browser.find_element("id", "nav-styles").is_displayed()
    assert grid_columns(browser, ".stylerec-grid .card") == 4  # 8 cards: two full rows
    full_page_screenshot(browser, artifacts / "1366-home.png", DESKTOP[0])


def test_axe_catches_low_contrast_and_unlabelled_fields(browser, live_server, axe_source):
    """The checker itself can fail: white on a yellow accent (the old themes) and a bare input."""
    browser.get(
        "data:text/html,<!doctype html><html lang=en><title>t</title><main>"
        "<p style='color:%23fff;background:%23f4c430'>Add to cart</p><input type=text></main></html>"
    )
    found = {violation["id"] for violation in run_axe(browser, axe_source)}
    assert {"color-contrast", "label"} <= found
