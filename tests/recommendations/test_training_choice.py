"""The cost-aware choice on the Django side: stored on the model row, shown in admin and by stylerec_train."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from stylerec_plugin.models import RecommenderModel
from stylerec_plugin.recommendations import recommend, train
from stylerec_plugin.shoppers import Shopper


@pytest.fixture
def history(shop):
    shop.history()
    return shop


def stylerec(settings, **values):
    settings.STYLEREC = {**settings.STYLEREC, **values}


def part(model: RecommenderModel, name: str) -> dict:
    return next(p for p in model.training_choice["parts"] if p["name"] == name)


def test_a_catalogue_above_the_ease_limit_trains_without_ease_and_says_why(
    history, settings, django_capture_on_commit_callbacks
):
    # 12 products and 10 shoppers: EASE^R would solve a 10 x 10 system, above a limit of 5.
    stylerec(settings, COLLABORATIVE_ALGORITHM="ease+als", EASE_MAX_ITEMS=5, TRAINING_TIME_BUDGET=None)
    with django_capture_on_commit_callbacks(execute=True):
        model = train()
    model.refresh_from_db()
    ease = part(model, "ease")
    assert ease["status"] == "skipped" and ease["reason_code"] == "ease_item_limit"
    assert ease["reason"].startswith("12 items and 10 shoppers > limit 5 (would need ~")
    assert model.training_choice["skipped"] == {"ease": ease["reason"]}
    assert "ease" not in model.training_choice["used"] and model.blend_weights.get("ease", 0.0) == 0.0
    # The other parts still trained and were judged on validation.
    als = part(model, "als")
    assert als["status"] in ("used", "unused") and als["validation_ndcg"] is not None
    assert als["fit_seconds"] is not None or als["status"] == "unused"
    assert model.training_choice["n_items"] == 12 and model.training_choice["budget_seconds"] is None
    # Serving goes on from the lists of the model trained without EASE^R.
    assert len(recommend(Shopper(key="session:s0"), n=4)) == 4


def test_a_tiny_time_budget_skips_the_expensive_parts_and_says_why(
    history, settings, django_capture_on_commit_callbacks
):
    stylerec(settings, COLLABORATIVE_ALGORITHM="auto", TRAINING_TIME_BUDGET=0.001)
    with django_capture_on_commit_callbacks(execute=True):
        model = train()
    model.refresh_from_db()
    choice = model.training_choice
    assert choice["budget_seconds"] == 0.001
    for name in ("als", "implicit_svd"):
        report = part(model, name)
        assert report["status"] == "skipped" and report["reason_code"] == "time_budget"
        assert report["reason"].startswith("estimated ") and report["reason"].endswith("left of the 0.001 s budget")
        assert report["estimated_seconds"] > 0.001
    # Style and popularity cost next to nothing: they always get their first setting.
    assert set(choice["used"]) <= {"ease", "style", "popular"} and {"style", "popular"} & set(choice["used"])
    recs = recommend(Shopper(key="session:s0"), n=4)
    assert len(recs) == 4


def test_train_command_prints_the_choice(history, settings, django_capture_on_commit_callbacks):
    stylerec(settings, EASE_MAX_ITEMS=5, TRAINING_TIME_BUDGET=None)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("stylerec_train", "--algorithm=ease+als", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "what training chose:" in text
    assert "  EASE^R (closed form) skipped: 12 items and 10 shoppers > limit 5" in text
    assert "no time budget" in text and "ALS (implicit library): " in text


def test_admin_shows_the_parts_and_reasons(history, settings, admin_client, django_capture_on_commit_callbacks):
    stylerec(settings, COLLABORATIVE_ALGORITHM="ease+als", EASE_MAX_ITEMS=5, TRAINING_TIME_BUDGET=120)
    with django_capture_on_commit_callbacks(execute=True):
        model = train()
    page = admin_client.get(reverse("admin:stylerec_plugin_recommendermodel_change", args=[model.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "what training chose and why" in html.lower()
    assert "<th scope=\"row\">EASE^R (closed form)</th>" in html
    assert "12 items and 10 shoppers &gt; limit 5 (would need ~" in html
    assert "time budget 120 s" in html
    weight = f"{model.blend_weights['popular']:.2f}"
    assert "<th scope=\"row\">Popularity</th>" in html and weight in html
    listing = admin_client.get(reverse("admin:stylerec_plugin_recommendermodel_changelist")).content.decode()
    used = ", ".join(model.training_choice["used"])
    assert used and used in listing


def test_admin_page_of_a_model_without_a_recorded_choice(db, admin_client):
    model = RecommenderModel.objects.create(algorithm="implicit_svd", status="ready")
    page = admin_client.get(reverse("admin:stylerec_plugin_recommendermodel_change", args=[model.pk]))
    assert page.status_code == 200 and "No record of the choice" in page.content.decode()


def test_system_checks_catch_bad_training_cost_settings(settings):
    from stylerec_plugin.checks import check_recommender

    stylerec(settings, TRAINING_TIME_BUDGET=0, EASE_MAX_ITEMS=-1, TRAINING_MEMORY_LIMIT="2GB")
    assert [p.id for p in check_recommender()] == ["stylerec.E033", "stylerec.E034", "stylerec.E035"]
    # EASE^R at 20,000 items needs ~1.6 GB: a 1 GB memory limit cannot hold it.
    stylerec(settings, TRAINING_TIME_BUDGET=None, EASE_MAX_ITEMS=20_000, TRAINING_MEMORY_LIMIT=1024**3)
    problems = check_recommender()
    assert [p.id for p in problems] == ["stylerec.W030"] and "20,000 products" in problems[0].msg
    stylerec(settings, TRAINING_TIME_BUDGET=60.0, EASE_MAX_ITEMS=0, TRAINING_MEMORY_LIMIT=None)
    assert check_recommender() == []


def test_a_shop_without_interactions_says_why_no_collaborative_part_was_fitted(
    shop, settings, django_capture_on_commit_callbacks
):
    stylerec(settings, COLLABORATIVE_ALGORITHM="auto")
    with django_capture_on_commit_callbacks(execute=True):
        model = train()
    model.refresh_from_db()
    assert model.training_choice["skipped"] == {
        name: "no interactions to learn from yet" for name in ("ease", "als", "implicit_svd")
    }
    assert {p["reason_code"] for p in model.training_choice["parts"] if p["status"] == "skipped"} == {"no_data"}
