"""The report: counts per arm, the command's table/JSON/plot, the demo simulation."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Min

from stylerec_plugin.experiments import record_exposure, stats, treatment_for
from stylerec_plugin.experiments.report import build_report
from stylerec_plugin.models import Experiment, ExperimentOutcome
from stylerec_plugin.shoppers import Shopper, record_interaction


def _traffic(experiment, products, shoppers: int = 40) -> dict[str, dict[str, int]]:
    """Expose shoppers through the real API; every 3rd clicks, every 6th adds to cart. Returns counts per arm."""
    counts: dict[str, dict[str, int]] = {}
    for n in range(shoppers):
        shopper = Shopper(f"session:t{n}")
        treatment = treatment_for(shopper)
        arm = counts.setdefault(treatment.arm, {"exposed": 0, "click": 0, "cart": 0, "exposures": 0})
        record_exposure(shopper, treatment, [products[0].pk, products[1].pk], "grid")
        record_exposure(shopper, treatment, [products[2].pk], "recommendations")
        arm["exposed"] += 1
        arm["exposures"] += 2
        if n % 3 == 0:
            record_interaction(shopper, products[0], "click")
            record_interaction(shopper, products[0], "click")  # twice: still one clicking shopper
            arm["click"] += 1
        if n % 6 == 0:
            record_interaction(shopper, products[0], "cart")
            arm["cart"] += 1
    return counts


def test_report_counts_shoppers_per_arm(experiment, products):
    expected = _traffic(experiment, products)
    report = build_report(experiment)
    assert [arm.name for arm in report.arms] == ["original", "restyled"]
    for arm in report.arms:
        assert arm.exposed_shoppers == expected[arm.name]["exposed"]
        assert arm.enrolled == expected[arm.name]["exposed"]
        assert arm.exposures == expected[arm.name]["exposures"]
        assert arm.impressions == 3 * expected[arm.name]["exposed"]
        assert arm.rates["click"].successes == expected[arm.name]["click"]
        assert arm.rates["cart"].successes == expected[arm.name]["cart"]
        assert arm.rates["purchase"].successes == 0
        assert arm.rates["click"].value == pytest.approx(expected[arm.name]["click"] / expected[arm.name]["exposed"])
    control, restyled = report.arms
    comparison = restyled.comparisons["click"]
    assert comparison.p_value == pytest.approx(
        stats.two_proportion_z_test(
            expected["original"]["click"], expected["original"]["exposed"],
            expected["restyled"]["click"], expected["restyled"]["exposed"],
        )[1]
    )
    assert control.comparisons == {}
    # 40 shoppers cannot settle anything: the report says so.
    assert comparison.verdict == "too_small"
    assert any("too little data" in warning for warning in report.warnings)
    # The timeline ends at today's totals.
    assert report.timeline["restyled"][-1].exposed_shoppers == restyled.exposed_shoppers


def test_report_command_table_json_and_plot(experiment, products, tmp_path):
    _traffic(experiment, products)
    out = StringIO()
    call_command("stylerec_experiment_report", experiment.name, stdout=out)
    text = out.getvalue()
    assert "Click-through rate" in text and "Conversion rate" in text
    assert "original *" in text and "restyled" in text
    assert "too little data" in text

    out = StringIO()
    chart = tmp_path / "rates.png"
    call_command("stylerec_experiment_report", experiment.slug, "--json", "--plot", str(chart), stdout=out)
    data = json.loads(out.getvalue())
    assert data["name"] == experiment.name
    arms = {arm["name"]: arm for arm in data["arms"]}
    assert set(arms) == {"original", "restyled"}
    click = arms["restyled"]["comparisons"]["click"]
    assert {"relative_lift", "p_value", "difference_ci_low", "verdict"} <= set(click)
    assert arms["original"]["rates"]["click"]["ci_low"] <= arms["original"]["rates"]["click"]["value"]
    assert data["method"]["confidence_interval"].startswith("Wilson")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 5000


def test_report_command_unknown_name(db):
    with pytest.raises(CommandError, match="No experiment named"):
        call_command("stylerec_experiment_report", "nope")


def test_demo_simulation_is_idempotent_and_tells_a_story(products):
    from demo_shop.catalog.models import Category, Product

    category = Category.objects.first()
    for n in range(6, 14):
        Product.objects.create(name=f"Vase {n}", slug=f"vase-{n}", price="5", category=category, image="p/v.jpg")
    out = StringIO()
    call_command("demo_experiment", "--shoppers", "1200", stdout=out)
    assert "created" in out.getvalue()
    experiment = Experiment.objects.get(slug="restyled-vs-original-photos")
    counts = (experiment.assignments.count(), experiment.exposures.count(), experiment.outcomes.count())
    assert counts[0] == 1200
    call_command("demo_experiment", "--shoppers", "1200", stdout=StringIO())
    assert (experiment.assignments.count(), experiment.exposures.count(), experiment.outcomes.count()) == counts
    assert Experiment.objects.filter(slug="restyled-vs-original-photos").count() == 1

    report = build_report(experiment)
    original, restyled = report.arms
    assert experiment.status == "stopped"
    assert abs(original.exposed_shoppers - 600) < 90  # 50/50 split
    # The simulated funnel: clicks > carts > purchases in both arms, restyled ahead on clicks.
    for arm in report.arms:
        assert arm.rates["click"].successes > arm.rates["cart"].successes > arm.rates["purchase"].successes > 0
    assert restyled.rates["click"].value > original.rates["click"].value
    # Outcomes only for exposed shoppers, after their first exposure.
    first_exposure = dict(experiment.exposures.values_list("shopper_key").annotate(first=Min("created_at")))
    for outcome in ExperimentOutcome.objects.filter(experiment=experiment)[:200]:
        assert outcome.created_at > first_exposure[outcome.shopper_key]
    # No Interaction rows: the recommender never sees the synthetic traffic.
    from stylerec_plugin.models import Interaction

    assert not Interaction.objects.filter(shopper_key__startswith="session:synthetic-exp-").exists()
