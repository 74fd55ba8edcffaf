"""Each settings mistake gets its own stable check id and a hint."""

import pytest
from django.test import override_settings

from stylerec_plugin import checks


def ids(messages) -> set[str]:
    return {m.id for m in messages}


def stylerec(**overrides):
    base = {"PRODUCT_MODEL": "catalog.Product", "PRODUCT_IMAGE_FIELD": "image", "QUEUE_MODE": "rq"}
    return override_settings(STYLEREC={**base, **overrides})


def test_demo_settings_pass_every_check():
    assert checks.check_product_model() == []
    assert checks.check_queue() == []
    assert checks.check_values() == []
    assert checks.check_guests() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"PRODUCT_MODEL": None}, "stylerec.E001"),
        ({"PRODUCT_MODEL": "catalog.Nope"}, "stylerec.E002"),
        ({"PRODUCT_MODEL": "not-a-label"}, "stylerec.E002"),
        ({"PRODUCT_IMAGE_FIELD": "photo"}, "stylerec.E003"),
        ({"PRODUCT_IMAGE_FIELD": "name"}, "stylerec.E004"),
    ],
)
def test_product_model_errors(overrides, expected):
    with stylerec(**overrides):
        messages = checks.check_product_model()
    assert ids(messages) == {expected}
    assert all(m.hint for m in messages)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"PRODUCT_ADAPTER": "nowhere.Adapter"}, {"stylerec.E040"}),
        ({"PRODUCT_ADAPTER": "demo_shop.catalog.models.Product"}, {"stylerec.E040"}),
        ({"PRODUCT_IMAGE_MODEL": "catalog.Nope"}, {"stylerec.E041"}),
        ({"PRODUCT_IMAGE_MODEL": "catalog.Category"}, {"stylerec.E042"}),  # no foreign key to the product
        ({"PRODUCT_IMAGE_MODEL": "catalog.OrderLine"}, {"stylerec.E043"}),  # no file field
        ({"PRODUCT_PHOTO_FUNCTION": "nowhere.photo"}, {"stylerec.E045"}),
        ({"PRODUCT_PHOTO_FUNCTION": "tests.foundation.test_products.photo_of",
          "PRODUCT_IMAGE_MODEL": "catalog.Nope"}, {"stylerec.W040"}),
        ({"PRODUCT_PARENT_FIELD": "category"}, {"stylerec.E046"}),  # a foreign key, but not to products
        ({"PRODUCT_VISIBLE": "on_sale"}, {"stylerec.E047"}),
        ({"PRODUCT_VISIBLE": "nowhere.visible"}, {"stylerec.E047"}),
        ({"PRODUCT_CATEGORY_FIELD": "section"}, {"stylerec.E048"}),
        ({"PRODUCT_PRICE_FIELD": "nowhere.price"}, {"stylerec.E049"}),
        ({"PRODUCT_URL": "nowhere.url"}, {"stylerec.E049"}),
    ],
)
def test_adapter_setting_errors(overrides, expected):
    with stylerec(**overrides):
        messages = checks.check_product_model()
    assert ids(messages) == expected
    assert all(m.hint for m in messages)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"GUEST_IDENTITY": "fingerprint"}, "stylerec.E050"),
        ({"GUEST_IDENTITY": "cookie", "GUEST_COOKIE_NAME": ""}, "stylerec.E051"),
        ({"GUEST_COOKIE_AGE": 0}, "stylerec.E051"),
    ],
)
def test_guest_setting_errors(overrides, expected):
    with stylerec(**overrides):
        assert ids(checks.check_guests()) == {expected}


def test_session_guests_without_sessions_are_warned_about(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django.contrib.sessions"]
    assert ids(checks.check_guests()) == {"stylerec.W041"}
    with stylerec(GUEST_IDENTITY="cookie"):
        assert checks.check_guests() == []


def test_bad_queue_mode():
    with stylerec(QUEUE_MODE="sometimes"):
        assert ids(checks.check_queue()) == {"stylerec.E005"}


def test_django_rq_missing(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "django_rq"]
    assert "stylerec.E006" in ids(checks.check_queue())


def test_queue_not_configured(settings):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/0"}}
    messages = checks.check_queue()
    assert ids(messages) == {"stylerec.E007"}
    assert "RQ_QUEUES" in messages[0].hint


def test_inline_mode_needs_no_queue(settings):
    settings.RQ_QUEUES = {}
    with stylerec(QUEUE_MODE="inline"):
        assert checks.check_queue() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"QUALTY_FLOOR": 0.5}, "stylerec.W001"),
        ({"QUALITY_FLOOR": 1.5}, "stylerec.E009"),
        ({"MAX_SIDE": 10}, "stylerec.E010"),
        ({"EVENT_WEIGHTS": {"view": -1}}, "stylerec.E011"),
        ({"EVENT_WEIGHTS": {"stare": 1}}, "stylerec.E011"),
        ({"STORAGE": "nowhere"}, "stylerec.E012"),
        ({"MIN_SIDE": 0}, "stylerec.E013"),
        ({"MIN_SIDE": "32"}, "stylerec.E013"),
        ({"MAX_SIDE": 512, "MIN_SIDE": 600}, "stylerec.E013"),
    ],
)
def test_value_errors(overrides, expected):
    with stylerec(**overrides):
        assert ids(checks.check_values()) == {expected}


def test_settings_not_a_dict(settings):
    settings.STYLEREC = ["PRODUCT_MODEL"]
    assert ids(checks.check_values()) == {"stylerec.E008"}


def test_checks_run_through_manage_py_check():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with stylerec(PRODUCT_IMAGE_FIELD="photo"), pytest.raises(SystemCheckError, match="stylerec.E003"):
        call_command("check")
