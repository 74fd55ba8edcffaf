"""recommend() and training against the database: fallbacks, exclusions, swaps, sessions, queries."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stylerec_plugin.models import RecommendationList, RecommenderModel, StylePreference
from stylerec_plugin.recommendations import recommend, serving, train, training
from stylerec_plugin.shoppers import Shopper, set_explicit_styles, set_personalisation


@pytest.fixture
def trained(shop, django_capture_on_commit_callbacks):
    shop.history()
    with django_capture_on_commit_callbacks(execute=True):
        model = train(search=False)
    return model


def ids(recs):
    return [rec.product.pk for rec in recs]


def test_without_a_model_popular_products_come_first(shop):
    shop.history()
    recs = recommend(Shopper(key="session:new"), n=4)
    # Products 0-4 and 6-10 were seen by 5 shoppers each at most; 0, 1, 2 by all five wave fans.
    assert recs and recs[0].reason_code == "popular"
    assert recs[0].product.pk in {shop.products[i].pk for i in (0, 1, 2, 6, 7, 8)}
    assert not RecommenderModel.objects.exists()  # serving never trains


def test_trained_lists_have_reasons_and_exclude_purchases(trained, shop):
    buyer = Shopper(key="session:s1")
    recs = recommend(buyer, n=12)
    assert shop.products[0].pk not in ids(recs)  # bought it
    assert {rec.reason_code for rec in recs} <= {"style", "similar_shoppers", "popular"}
    assert all(rec.reason for rec in recs)
    # A wave fan's list starts with wave products.
    assert all(pk in {p.pk for p in shop.products[:6]} for pk in ids(recs)[:3])
    styled = [rec for rec in recs if rec.reason_code == "style"]
    for rec in styled:
        assert "Great Wave" in rec.reason or "Starry Night" in rec.reason


def test_purchases_kept_when_the_setting_says_so(shop, settings, django_capture_on_commit_callbacks):
    settings.STYLEREC = {**settings.STYLEREC, "EXCLUDE_PURCHASED": False}
    shop.history()
    with django_capture_on_commit_callbacks(execute=True):
        train(search=False)
    assert shop.products[0].pk in ids(recommend(Shopper(key="session:s1"), n=12))


def test_purchase_after_training_is_excluded_at_once(trained, shop):
    shopper = Shopper(key="session:s6")
    first = ids(recommend(shopper, n=3))[0]
    index = next(i for i, p in enumerate(shop.products) if p.pk == first)
    shop.event(shopper, index, "purchase", when=timezone.now())
    assert first not in ids(recommend(shopper, n=12))


def test_query_count_does_not_grow_with_n(trained, shop):
    shopper = Shopper(key="session:s2")
    counts = []
    for n in (2, 10):
        serving.invalidate_cache()
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            recs = recommend(shopper, n=n)
        assert len(recs) == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with CaptureQueriesContext(connection) as warm:
        recommend(shopper, n=10)
    assert len(warm) < counts[1]  # model and list come from the cache


def test_opted_out_shopper_gets_the_popular_list_and_is_not_trained_on(shop, django_capture_on_commit_callbacks):
    shop.history()
    private = Shopper(key="session:private")
    for _ in range(3):
        shop.event(private, 11, "purchase", style=shop.starry)
    with django_capture_on_commit_callbacks(execute=True):
        train(search=False)
    assert StylePreference.objects.filter(shopper_key=private.key, source="learned").exists()
    set_personalisation(private, False)
    with django_capture_on_commit_callbacks(execute=True):
        model = train(search=False)
    assert model.n_shoppers == 10
    assert not RecommendationList.objects.filter(shopper_key=private.key).exists()
    assert not StylePreference.objects.filter(shopper_key=private.key).exists()
    popular = ids(recommend(None, n=6))
    assert ids(recommend(private, n=6)) == popular
    assert {rec.reason_code for rec in recommend(private, n=6)} == {"popular"}
    # Explicitly asking for a non-personalised list gives the same for anyone.
    assert ids(recommend(Shopper(key="session:s1"), n=6, personalised=False)) == popular


def test_cold_start_uses_picked_styles_else_popularity(trained, shop):
    newcomer = Shopper(key="session:newcomer")
    assert {rec.reason_code for rec in recommend(newcomer, n=5)} == {"popular"}
    set_explicit_styles(newcomer, [shop.starry])
    recs = recommend(newcomer, n=4)
    assert {rec.reason_code for rec in recs} == {"style"}
    assert all(rec.product.pk in {p.pk for p in shop.products[6:]} for rec in recs)
    assert recs[0].reason == "Matches your Starry Night style"


def test_category_filter_accepts_instances_pks_and_lists(trained, shop):
    shopper = Shopper(key="session:s1")
    prints = {p.pk for p in shop.products[6:]}
    assert set(ids(recommend(shopper, n=6, category=shop.prints))) == prints
    assert set(ids(recommend(shopper, n=6, category=shop.prints.pk))) <= prints
    both = recommend(shopper, n=12, category=[shop.mugs, shop.prints.pk])
    assert len(both) == 11  # everything but the purchase


def test_session_activity_adjusts_the_list_without_retraining(trained, shop):
    newcomer = Shopper(key="session:browsing")
    before = recommend(newcomer, n=3)
    assert {rec.reason_code for rec in before} == {"popular"}
    shop.event(newcomer, 8, "click", when=timezone.now())
    after = recommend(newcomer, n=3)
    assert after[0].reason_code == "session"
    assert after[0].product.pk in {p.pk for p in shop.products[6:11]}  # what starry fans also viewed
    assert shop.products[8].name in after[0].reason
    assert RecommenderModel.objects.count() == 1


def test_model_swap_while_serving(trained, shop, django_capture_on_commit_callbacks):
    shopper = Shopper(key="session:s7")
    old_model = trained.pk
    served_before = [(r.product.pk, r.score) for r in recommend(shopper, n=5)]
    # New behaviour: the starry fan now only looks at mugs.
    for index in (0, 1, 2, 3, 4, 5):
        shop.event(shopper, index, "cart")
    seen_during: list = []

    def progress(stage, done, total):
        if stage == "saving lists" and done == total:
            # The new lists are written but not active: still the old model, whole.
            assert RecommenderModel.objects.filter(is_active=True).get().pk == old_model
            seen_during.append([(r.product.pk, r.score) for r in recommend(shopper, n=5)])

    with django_capture_on_commit_callbacks(execute=True):
        new_model = train(progress, search=False)
    assert seen_during == [served_before]
    assert RecommenderModel.objects.filter(is_active=True).get().pk == new_model.pk != old_model
    after = recommend(shopper, n=5)
    assert [(r.product.pk, r.score) for r in after] != served_before
    assert serving.active_payload()["model_id"] == new_model.pk


def test_learned_preferences_move_toward_engaged_styles(shop, django_capture_on_commit_callbacks):
    shop.history()
    fan = Shopper(key="session:fan")
    for index in (6, 7, 8):  # starry-looking products, shown in the wave style
        shop.event(fan, index, "click", style=shop.wave)

    def weights():
        return dict(
            StylePreference.objects.filter(shopper_key=fan.key, source="learned").values_list("style__slug", "weight")
        )

    with django_capture_on_commit_callbacks(execute=True):
        train(search=False)
    first = weights()
    # Both signals count: the products look starry, the engagement happened in wave.
    assert set(first) == {"great-wave", "starry-night"}
    set_explicit_styles(fan, [shop.starry])
    for index in (0, 1, 2, 3, 4, 5):
        for _ in range(2):
            shop.event(fan, index, "cart", style=shop.wave)
    with django_capture_on_commit_callbacks(execute=True):
        train(search=False)
    second = weights()
    assert second.get("great-wave", 0) > first.get("great-wave", 0)
    assert second["great-wave"] > second.get("starry-night", 0)
    # Only learned rows are touched: the explicit pick survives training.
    assert StylePreference.objects.filter(shopper_key=fan.key, source="explicit").get().style == shop.starry


def test_train_command_and_failed_training_keeps_the_old_model(shop, monkeypatch, django_capture_on_commit_callbacks):
    shop.history()
    from io import StringIO

    out, err = StringIO(), StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("stylerec_train", "--no-search", "--algorithm=item_knn", stdout=out, stderr=err)
    active = RecommenderModel.objects.get(is_active=True)
    assert "active" in out.getvalue() and active.algorithm == "item_knn"

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(training, "_swap_active", boom)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="disk full"):
        call_command("stylerec_train", "--no-search", stdout=StringIO(), stderr=StringIO())
    assert RecommenderModel.objects.get(is_active=True).pk == active.pk
    assert RecommenderModel.objects.filter(status="failed").count() == 1
    with pytest.raises(CommandError, match="unknown collaborative"):
        call_command("stylerec_train", "--algorithm=bpr")


@pytest.mark.queue
@pytest.mark.django_db(transaction=True)
def test_training_runs_as_an_rq_job(settings):
    from rq import SimpleWorker

    from stylerec_plugin.queue import get_queue

    from .conftest import Shop

    shop = Shop()
    shop.history()
    settings.STYLEREC = {**settings.STYLEREC, "QUEUE_MODE": "rq", "COLLABORATIVE_ALGORITHM": "item_knn"}
    queue = get_queue()
    queue.empty()
    out = __import__("io").StringIO()
    call_command("stylerec_train", "--enqueue", stdout=out)
    assert "queued training job" in out.getvalue()
    assert not RecommenderModel.objects.exists()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    model = RecommenderModel.objects.get(is_active=True)
    assert model.status == "ready" and model.n_shoppers == 10


def test_training_an_empty_shop_still_serves_the_catalogue(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        model = train()
    assert model.is_active and model.n_interactions == 0
    recs = recommend(Shopper(key="session:first-visitor"), n=5)
    assert len(recs) == 5
    assert {rec.reason_code for rec in recs} == {"popular"}


def test_learned_preferences_of_a_signed_in_shopper_belong_to_the_user(shop, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("alice", password="x")
    shop.history()
    alice = Shopper.for_user(user)
    for index in (0, 1, 2):
        shop.event(alice, index, "click", style=shop.wave)
    with django_capture_on_commit_callbacks(execute=True):
        train(search=False)
    prefs = StylePreference.objects.filter(shopper_key=alice.key, source="learned")
    assert prefs.exists() and {pref.user_id for pref in prefs} == {user.pk}
    assert prefs.order_by("-weight").first().style == shop.wave
    # Deleting the account takes the learned rows with it.
    user.delete()
    assert not StylePreference.objects.filter(shopper_key=alice.key).exists()
