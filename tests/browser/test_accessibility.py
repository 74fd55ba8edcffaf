"""axe-core (from node_modules, injected by Selenium) on the shop's 8 main pages, in every demo
theme, at desktop (1366x900) and phone (390x844) sizes: no serious or critical violation,
colour contrast included. Each page's first screen is saved under test-artifacts/browser/."""

from __future__ import annotations

import json

import pytest

from demo_shop.catalog.demo_data import DEMO_STYLES

from .conftest import DESKTOP, MOBILE, wait_for
from .shop_data import build_demo_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG 2.0-2.2 A and AA rules, plus axe's best practices (only serious/critical ones fail).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = {"serious", "critical"}


def run_axe(browser, axe_source: str) -> list[dict]:
    """Inject axe-core into the current page and return its serious and critical violations."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(axe_source)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, arguments[0]).then(r => done(r.violations)).catch(e => done({error: String(e)}));",
        AXE_OPTIONS,
    )
    if isinstance(result, dict) and "error" in result:
        raise AssertionError(f"axe-core failed: {result['error']}")
    return [v for v in result if v.get("impact") in FAILING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        for node in violation["nodes"][:4]:
            lines.append(
                f"  {violation['impact']} {violation['id']}: {json.dumps(node['target'])} "
                f"{node.get('failureSummary', '').splitlines()[-1].strip() if node.get('failureSummary') else ''}"
            )
    return "\n".join(lines)


def load(browser, url: str) -> None:
    browser.get(url)
    # Lazy images below the fold are not needed for axe; wait for the document only.
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (document.readyState === 'complete') done(); else addEventListener('load', () => done());"
    )


def shop_pages(shop: dict) -> dict[str, str]:
    product = shop["products"][1]  # has one unavailable (rejected) style
    return {
        "home": "/",
        "category": f"/category/{product.category.parent.slug}/",
        "product": f"/product/{product.slug}/",
        "style-picker": "/styles/",
        "cart": "/cart/",
        "your-data": "/your-data/",
        "log-in": "/accounts/login/",
        "sign-up": "/signup/",
    }


def test_shop_pages_have_no_serious_accessibility_violations_in_any_demo_theme(
    browser, live_server, settings, axe_source, viewport, artifacts
):
    settings.ROOT_URLCONF = "tests.browser.urls"
    browser.set_script_timeout(120)
    shop = build_demo_shop()
    url = live_server.url
    pages = shop_pages(shop)
    themes = [spec["slug"] for spec in DEMO_STYLES]
    assert [style.slug for style in shop["styles"]] == themes

    failures, checked = [], 0
    for style_slug in themes:
        # The shopper picks the theme and has something in the cart (so the cart page has a table).
        viewport(*DESKTOP)
        load(browser, f"{url}/styles/")
        browser.find_element("css selector", f'section[data-style="{style_slug}"] button.use').click()
        wait_for(lambda slug=style_slug: browser.find_elements(
            "css selector", f'section[data-style="{slug}"].is-favourite'), "the picked style")
        if style_slug == themes[0]:
            load(browser, f"{url}{pages['product']}")
            browser.find_element("id", "add-to-cart").click()
            wait_for(lambda: browser.find_elements("css selector", "table.cart tbody tr"), "a line in the cart")
        for size_name, size in (("desktop", DESKTOP), ("mobile", MOBILE)):
            viewport(*size)
            for page_name, path in pages.items():
                load(browser, f"{url}{path}")
                theme = browser.execute_script(
                    "return document.getElementById('stylerec-theme').dataset.stylerecStyle"
                )
                assert theme == style_slug, f"{page_name} is not in the {style_slug} theme"
                violations = run_axe(browser, axe_source)
                checked += 1
                browser.save_screenshot(str(artifacts / f"{style_slug}-{size_name}-{page_name}.png"))
                where = f"{style_slug}: {page_name} at {size[0]}x{size[1]}"
                if violations:
                    failures.append(f"{where}:\n{describe(violations)}")
                if size == MOBILE:
                    overflow = browser.execute_script(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    if overflow > 0:
                        failures.append(f"{where}: overflows sideways by {overflow} px")
    assert checked == len(themes) * 2 * len(pages) == 128
    assert not failures, "\n".join(failures)
