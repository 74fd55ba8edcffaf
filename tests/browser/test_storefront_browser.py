"""A new shopper in a real (headless) browser: sign up, pick a style, see the shop follow it,
flip a product between styles, switch personalisation off and see the originals again."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from PIL import Image, ImageEnhance, ImageFilter, ImageOps
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from demo_shop.catalog.models import Category, Product
from stylerec_plugin.models import Interaction, ProductPhoto, RestyledImage, Style, StyleKind

from .conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(django_settings.BASE_DIR) / "demo_shop" / "fixtures" / "products"
WAVE_PRIMARY = "#123456"
DEFAULT_PRIMARY = "#1f4e79"
PRODUCT_COUNT = 8


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _wave_look(photo: Image.Image) -> Image.Image:
    # A stand-in for a worker's output: posterised blues, clearly different from the photo.
    grey = ImageOps.grayscale(photo)
    return ImageOps.posterize(ImageOps.colorize(grey, "#0b2545", "#e8f1f2", mid="#3f88c5"), 3)


def _starry_look(photo: Image.Image) -> Image.Image:
    grey = ImageOps.grayscale(photo).filter(ImageFilter.EDGE_ENHANCE_MORE)
    return ImageEnhance.Contrast(ImageOps.colorize(grey, "#0b1d51", "#f2c14e")).enhance(1.4)


@pytest.fixture
def shop(media_root):
    category = Category.objects.create(name="Home", slug="home")
    wave = Style.objects.create(
        name="Great Wave", slug="great-wave", kind=StyleKind.PRESET, preset_weights={"19": 1},
        theme_primary=WAVE_PRIMARY, theme_accent="#d1495b", theme_background="#e8f1f2", theme_font="serif",
        sort_order=1,
    )
    starry = Style.objects.create(
        name="Starry Night", slug="starry-night", kind=StyleKind.PRESET, preset_weights={"3": 1},
        theme_primary="#0b1d51", theme_accent="#f2c14e", sort_order=2,
    )
    photos = sorted(FIXTURES.glob("*.jpg"))[:PRODUCT_COUNT]
    products = []
    for index, path in enumerate(photos):
        with Image.open(path) as opened:
            photo = ImageOps.exif_transpose(opened).convert("RGB")
        photo.thumbnail((256, 256))
        product = Product(name=f"Item {index + 1}", slug=f"item-{index + 1}", price=Decimal("19.00"),
                          category=category)
        product.image.save(f"item-{index + 1}.jpg", ContentFile(_jpeg(photo)), save=False)
        product.save()
        ProductPhoto.objects.create(product=product, source_hash=f"h{index}", width=photo.width, height=photo.height)
        for style, look in ((wave, _wave_look), (starry, _starry_look)):
            variant = RestyledImage(
                product=product, style=style, style_version=style.version, engine="preset",
                engine_version="preset-1", source_hash=f"h{index}", status="ready",
                width=photo.width, height=photo.height,
            )
            variant.image.save("out.jpg", ContentFile(_jpeg(look(photo))), save=False)
            variant.save()
        products.append(product)
    return {"products": products, "wave": wave, "starry": starry}


def _header_colour(browser) -> str:
    return browser.execute_script(
        "return getComputedStyle(document.documentElement).getPropertyValue('--stylerec-primary').trim()"
    )


def _grid_images(browser) -> list:
    return browser.find_elements("css selector", ".stylerec-grid img.stylerec-photo")


def _all_loaded(browser) -> bool:
    return browser.execute_script(
        "return Array.from(document.images).every(img => img.complete && img.naturalWidth > 0)"
    )


def test_new_shopper_picks_a_style_flips_a_product_and_turns_personalisation_off(
    browser, live_server, shop, settings, shot
):
    settings.ROOT_URLCONF = "tests.browser.urls"
    url = live_server.url
    by_css = "css selector"

    # 1. Sign up.
    browser.get(f"{url}/signup/")
    browser.find_element("id", "id_username").send_keys("newshopper")
    browser.find_element("id", "id_password1").send_keys("a-long-Passphrase-42")
    browser.find_element("id", "id_password2").send_keys("a-long-Passphrase-42")
    browser.find_element(by_css, "main form button").click()
    wait_for(lambda: "Welcome, newshopper" in browser.page_source, message="the welcome message")
    assert [img.get_attribute("data-stylerec-style") for img in _grid_images(browser)] == ["original"] * 8
    shot("1-home-before-style")

    # 2. Pick a style: the page re-themes at once.
    browser.get(f"{url}/styles/")
    wait_for(lambda: _all_loaded(browser), message="swatches to load")
    shot("2-style-picker")
    browser.find_element(by_css, 'section[data-style="great-wave"] button.use').click()
    wait_for(lambda: _header_colour(browser) == WAVE_PRIMARY, message="the Great Wave theme")
    header = browser.find_element(by_css, ".site-header").value_of_css_property("background-color")
    assert header in ("rgba(18, 52, 86, 1)", "rgb(18, 52, 86)")

    # 3. The home grid shows restyled photos, all of them loaded.
    browser.get(f"{url}/")
    wait_for(lambda: _all_loaded(browser), message="grid images to load")
    images = _grid_images(browser)
    assert len(images) == 8
    assert {img.get_attribute("data-stylerec-style") for img in images} == {"great-wave"}
    assert all("/stylerec/variants/" in img.get_attribute("src") for img in images)
    assert _header_colour(browser) == WAVE_PRIMARY
    shot("3-home-great-wave")

    # 4. Flip a product between the original and each style.
    browser.find_element(by_css, ".stylerec-grid a.stylerec-card__photo").click()
    main_image = wait_for(lambda: browser.find_elements(by_css, "img.flip-image"), message="product page")[0]
    assert main_image.get_attribute("data-stylerec-style") == "great-wave"
    product = Product.objects.get(slug=browser.current_url.rstrip("/").rsplit("/", 1)[-1])
    browser.find_element(by_css, 'a.flip-button[data-style="original"]').click()
    wait_for(lambda: main_image.get_attribute("data-stylerec-style") == "original", message="the original photo")
    assert main_image.get_attribute("src").endswith(product.image.url)
    shot("4-product-original")
    browser.find_element(by_css, 'a.flip-button[data-style="starry-night"]').click()
    wait_for(lambda: main_image.get_attribute("data-stylerec-style") == "starry-night", message="the starry photo")
    wait_for(lambda: _all_loaded(browser), message="the starry photo to load")
    assert "Starry Night" in browser.find_element("id", "flip-caption").text
    assert browser.find_element(by_css, ".flip-before").is_displayed()  # before/after side by side
    shot("5-product-starry-night")
    click = wait_for(
        lambda: Interaction.objects.filter(kind="click", product=product, style=shop["starry"]).first(),
        message="the click event with the style shown",
    )
    assert click.user.username == "newshopper"

    # The true photo is one key press away, at full size, and the flip did not move the link.
    link = browser.find_element(by_css, "a.stylerec-original-link")
    browser.execute_script("arguments[0].focus()", link)
    assert browser.switch_to.active_element == link  # reachable from the keyboard
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_for(lambda: browser.current_url.endswith(product.image.url), message="the full-size original")
    natural = browser.execute_script("return document.images[0].naturalWidth")
    assert natural == product.stylerec_photo.width
    shot("5b-true-photo")
    browser.back()

    # 5. Switch personalisation off: originals and the default theme everywhere.
    browser.get(f"{url}/your-data/")
    assert "Great Wave" in browser.find_element(by_css, "main").text
    browser.find_element("id", "personalisation-off").click()
    wait_for(lambda: browser.find_elements("id", "personalisation-on"), message="personalisation off")
    browser.get(f"{url}/")
    wait_for(lambda: _all_loaded(browser), message="original images to load")
    assert {img.get_attribute("data-stylerec-style") for img in _grid_images(browser)} == {"original"}
    assert _header_colour(browser) == DEFAULT_PRIMARY
    shot("6-home-personalisation-off")
