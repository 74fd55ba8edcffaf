"""The cross-request serving cache never shows a shopper a stale style or a bought product."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from stylerec_plugin.models import StylePreference
from stylerec_plugin.recommendations import train
from stylerec_plugin.shoppers import Shopper, set_explicit_styles, shopper_style


def queries(func) -> int:
    with CaptureQueriesContext(connection) as captured:
        func()
    return len(captured)


def test_style_is_cached_across_requests_and_follows_new_picks(shop, django_capture_on_commit_callbacks):
    shopper = Shopper(key="session:cache1")
    with django_capture_on_commit_callbacks(execute=True):
        set_explicit_styles(shopper, [shop.wave])
    assert shopper_style(shopper) == shop.wave
    assert queries(lambda: shopper_style(shopper)) == 0, "a second page view reads the cache"
    with django_capture_on_commit_callbacks(execute=True):
        set_explicit_styles(shopper, [shop.starry])
    assert shopper_style(shopper) == shop.starry


def test_deactivating_a_style_is_seen_at_once(shop, django_capture_on_commit_callbacks):
    shopper = Shopper(key="session:cache2")
    with django_capture_on_commit_callbacks(execute=True):
        set_explicit_styles(shopper, [shop.wave])
    assert shopper_style(shopper) == shop.wave
    shop.wave.is_active = False
    shop.wave.save()
    assert shopper_style(shopper) is None


def test_training_replacing_learned_styles_is_seen(shop, django_capture_on_commit_callbacks):
    shopper = Shopper(key="session:s1")  # has history in the shop fixture
    shop.history()
    assert shopper_style(shopper) is None  # nothing learned yet, and that answer is cached
    with django_capture_on_commit_callbacks(execute=True):
        train(search=False)
    learned = StylePreference.objects.filter(shopper_key=shopper.key, source="learned").order_by("-weight").first()
    assert learned is not None
    assert shopper_style(shopper) == learned.style
