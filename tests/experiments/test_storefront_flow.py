"""End to end through the shop: API exposure, product view, cart and order land in the shopper's arm."""

from __future__ import annotations

from django.urls import reverse

from stylerec_plugin.experiments.report import build_report
from stylerec_plugin.models import ExperimentAssignment, ExperimentExposure, ExperimentOutcome


def test_a_shopper_journey_is_credited_to_their_arm(client, experiment, products):
    session_key = client.session.session_key  # gives the test client a session cookie
    response = client.get(reverse("stylerec:my-recommendations"), {"count": 4})
    assert response.status_code == 200
    shown_ids = [row["product_id"] for row in response.json()]
    assert shown_ids

    assignment = ExperimentAssignment.objects.get(experiment=experiment)
    assert assignment.shopper_key == f"session:{session_key}"
    exposure = ExperimentExposure.objects.get()
    assert (exposure.arm, exposure.surface, exposure.product_ids) == (assignment.arm, "api", shown_ids)
    assert exposure.restyle is assignment.arm.restyle

    product = next(p for p in products if p.pk == shown_ids[0])
    assert client.get(reverse("catalog:product", args=[product.slug])).status_code == 200
    assert client.post(reverse("catalog:cart_add", args=[product.slug])).status_code == 302
    assert client.post(reverse("catalog:place_order")).status_code == 302  # to the order summary

    outcomes = ExperimentOutcome.objects.filter(experiment=experiment)
    assert sorted(outcomes.values_list("kind", flat=True)) == ["cart", "click", "purchase"]
    assert set(outcomes.values_list("arm", flat=True)) == {assignment.arm_id}
    assert all(outcomes.values_list("product_was_shown", flat=True))

    arm_report = next(arm for arm in build_report(experiment).arms if arm.name == assignment.arm.name)
    assert arm_report.exposed_shoppers == 1
    assert {metric: rate.successes for metric, rate in arm_report.rates.items()} == {
        "click": 1,
        "cart": 1,
        "purchase": 1,
    }


def test_opted_out_shopper_is_not_enrolled_by_the_api(client, experiment, products):
    from stylerec_plugin.shoppers import Shopper, set_personalisation

    session_key = client.session.session_key
    set_personalisation(Shopper.for_session(session_key), False)
    assert client.get(reverse("stylerec:my-recommendations")).status_code == 200
    assert not ExperimentAssignment.objects.exists()
    assert not ExperimentExposure.objects.exists()


def test_a_first_time_visitor_is_enrolled_and_list_pages_count_as_exposures(client, experiment, products):
    assert not client.cookies, "a brand-new visitor, no session yet"
    assert client.get(reverse("catalog:products")).status_code == 200
    assignment = ExperimentAssignment.objects.get(experiment=experiment)
    assert assignment.shopper_key == f"session:{client.session.session_key}"
    exposure = ExperimentExposure.objects.get(surface="list")
    assert exposure.arm_id == assignment.arm_id
    assert sorted(exposure.product_ids) == sorted(p.pk for p in products)


def test_no_session_is_created_when_no_experiment_runs(client, products):
    assert client.get(reverse("catalog:products")).status_code == 200
    assert not ExperimentAssignment.objects.exists()
    assert "sessionid" not in client.cookies
