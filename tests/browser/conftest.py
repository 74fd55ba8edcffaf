"""Headless Chromium (Debian's chromium + chromium-driver) driven by Selenium."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"


def _chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMEDRIVER).exists() and _chromium_binary()):
        pytest.skip("chromium and chromium-driver are not installed (run `make browser`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _chromium_binary()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=en-GB"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def artifacts(settings, request) -> Path:
    """Where this test's screenshots go (settings.TEST_ARTIFACTS_DIR, git-ignored)."""
    folder = Path(settings.TEST_ARTIFACTS_DIR) / "browser" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(browser, artifacts):
    def save(name: str) -> Path:
        path = artifacts / f"{name}.png"
        browser.save_screenshot(os.fspath(path))
        return path

    return save


# --- shared by the accessibility and mobile tests ---------------------------------------------

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = (1366, 900)
MOBILE = (390, 844)


def set_viewport(driver, width: int, height: int) -> None:
    """A real viewport size (CSS pixels, DPR 1); ``mobile`` makes Chromium honour the meta viewport."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 800},
    )


@pytest.fixture
def viewport(browser):
    """Set the viewport; the override is cleared again after the test."""
    yield lambda width, height: set_viewport(browser, width, height)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.skip("axe-core is not installed in node_modules (run `make node`)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def wait_for(condition, message: str = "condition", timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")
