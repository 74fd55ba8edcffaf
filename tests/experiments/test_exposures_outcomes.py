"""Exposures and outcomes are recorded with the shopper's arm, and only when they should be."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from stylerec_plugin.experiments import record_exposure, treatment_for
from stylerec_plugin.models import ExperimentExposure, ExperimentOutcome, Interaction
from stylerec_plugin.shoppers import Shopper, record_interaction, set_personalisation

from .conftest import make_experiment


def test_exposure_is_recorded_with_the_arm_and_what_was_shown(experiment, products):
    shopper = Shopper("session:e1")
    treatment = treatment_for(shopper)
    record_exposure(shopper, treatment, [p.pk for p in products[:4]], "grid")
    exposure = ExperimentExposure.objects.get()
    assert exposure.experiment == experiment
    assert exposure.arm.name == treatment.arm
    assert exposure.shopper_key == "session:e1"
    assert exposure.product_ids == [p.pk for p in products[:4]]
    assert exposure.product_count == 4
    assert exposure.surface == "grid"
    assert exposure.restyle is treatment.restyle


def test_nothing_is_recorded_for_shoppers_outside_the_experiment(experiment, products):
    private = Shopper("session:private")
    set_personalisation(private, False)
    record_exposure(private, treatment_for(private), [products[0].pk], "grid")
    record_exposure(None, treatment_for(None), [products[0].pk], "grid")
    assert not ExperimentExposure.objects.exists()
    record_interaction(private, products[0], "purchase")
    assert not ExperimentOutcome.objects.exists()


def test_outcomes_are_credited_to_the_arm_after_an_exposure(experiment, products):
    shopper = Shopper("session:buyer")
    treatment = treatment_for(shopper)
    # Before any exposure nothing is attributed: the shopper has not seen the treatment yet.
    record_interaction(shopper, products[5], "cart")
    assert not ExperimentOutcome.objects.exists()

    record_exposure(shopper, treatment, [products[0].pk, products[1].pk], "grid")
    record_interaction(shopper, products[0], "click")
    record_interaction(shopper, products[0], "cart")
    record_interaction(shopper, products[4], "purchase")  # not shown, still a purchase by an exposed shopper
    outcomes = {o.kind: o for o in ExperimentOutcome.objects.all()}
    assert set(outcomes) == {"click", "cart", "purchase"}
    assert {o.arm.name for o in outcomes.values()} == {treatment.arm}
    assert outcomes["click"].product_was_shown is True
    assert outcomes["purchase"].product_was_shown is False
    assert outcomes["cart"].interaction.kind == "cart"


def test_a_view_counts_as_click_through_only_for_a_shown_product(experiment, products):
    shopper = Shopper("session:viewer")
    record_exposure(shopper, treatment_for(shopper), [products[0].pk], "grid")
    record_interaction(shopper, products[3], "view")  # direct navigation
    assert not ExperimentOutcome.objects.exists()
    record_interaction(shopper, products[0], "view")
    outcome = ExperimentOutcome.objects.get()
    assert outcome.kind == "click" and outcome.product_was_shown


def test_ratings_and_other_experiments_are_not_outcomes(experiment, products):
    shopper = Shopper("session:r")
    record_exposure(shopper, treatment_for(shopper), [products[0].pk], "grid")
    record_interaction(shopper, products[0], "rating", value=4)
    assert not ExperimentOutcome.objects.exists()


def test_interactions_after_the_stop_are_not_attributed(experiment, products):
    shopper = Shopper("session:late")
    record_exposure(shopper, treatment_for(shopper), [products[0].pk], "grid")
    experiment.status = "stopped"
    experiment.save()
    record_interaction(shopper, products[0], "purchase")
    assert not ExperimentOutcome.objects.exists()
    assert Interaction.objects.filter(kind="purchase").count() == 1  # the shop's own record is untouched


def test_exposure_after_the_interaction_does_not_count(experiment, products):
    shopper = Shopper("session:order")
    treatment = treatment_for(shopper)
    record_exposure(shopper, treatment, [products[0].pk], "grid")
    ExperimentExposure.objects.update(created_at=timezone.now() + timedelta(minutes=5))
    record_interaction(shopper, products[0], "click")
    assert not ExperimentOutcome.objects.exists()


def test_two_experiments_in_sequence_keep_their_own_data(db, products):
    first = make_experiment("First", start_days_ago=10)
    first.stop_at = timezone.now() - timedelta(days=5)
    first.save()
    second = make_experiment("Second", start_days_ago=2)
    shopper = Shopper("session:both")
    treatment = treatment_for(shopper)
    assert treatment.experiment_id == second.id
    record_exposure(shopper, treatment, [products[0].pk], "api")
    record_interaction(shopper, products[0], "click")
    assert ExperimentOutcome.objects.get().experiment == second
