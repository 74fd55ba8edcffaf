"""Who gets which arm: deterministic, sticky, balanced; opted-out shoppers never enrolled."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stylerec_plugin.experiments import (
    BUCKETS,
    DEFAULT_TREATMENT,
    NO_SHOPPER_TREATMENT,
    OPTED_OUT_TREATMENT,
    Treatment,
    arm_for_bucket,
    bucket_for,
    treatment_for,
)
from stylerec_plugin.models import ExperimentArm, ExperimentAssignment
from stylerec_plugin.shoppers import Shopper, set_personalisation

from .conftest import make_experiment


def test_bucket_is_a_pure_function_of_experiment_and_shopper():
    assert bucket_for("photos", "session:abc") == bucket_for("photos", "session:abc")
    assert 0 <= bucket_for("photos", "session:abc") < BUCKETS
    # Another experiment reshuffles: the same shopper is not always in the same half.
    keys = [f"session:{n}" for n in range(200)]
    same_half = sum((bucket_for("a", k) < BUCKETS / 2) == (bucket_for("b", k) < BUCKETS / 2) for k in keys)
    assert 60 < same_half < 140


def test_arm_for_bucket_splits_by_weight():
    arms = [("control", 1), ("treatment", 3)]
    assert arm_for_bucket(0, arms) == "control"
    assert arm_for_bucket(2499, arms) == "control"
    assert arm_for_bucket(2500, arms) == "treatment"
    assert arm_for_bucket(BUCKETS - 1, arms) == "treatment"
    with pytest.raises(ValueError):
        arm_for_bucket(5, [("a", 0), ("b", 0)])


@pytest.mark.parametrize("weights", [(50, 50), (20, 80)])
def test_ten_thousand_shoppers_split_within_tolerance(weights):
    arms = [("original", weights[0]), ("restyled", weights[1])]
    keys = (f"session:{n:06d}" for n in range(10_000))
    counts = Counter(arm_for_bucket(bucket_for("restyled-vs-original", key), arms) for key in keys)
    expected = 10_000 * weights[0] / sum(weights)
    # Binomial sd is at most 50 for n=10k; 4 sd is a tolerance a correct hash meets essentially always.
    assert abs(counts["original"] - expected) < 200, counts


def test_enrolled_shopper_gets_the_arm_flags(experiment):
    shopper = Shopper("session:one")
    treatment = treatment_for(shopper)
    assert treatment.experiment_id == experiment.id
    assert treatment.arm in {"original", "restyled"}
    assert treatment.restyle is (treatment.arm == "restyled")
    assert treatment.personalise is True
    stored = ExperimentAssignment.objects.get(experiment=experiment, shopper_key="session:one")
    assert stored.arm.name == treatment.arm
    assert stored.bucket == bucket_for(experiment.slug, "session:one")


def test_assignment_is_sticky_when_the_split_changes(experiment):
    shoppers = [Shopper(f"session:{n}") for n in range(40)]
    before = {s.key: treatment_for(s).arm for s in shoppers}
    assert set(before.values()) == {"original", "restyled"}
    # Send all new traffic to "restyled": shoppers already counted keep their arm.
    ExperimentArm.objects.filter(experiment=experiment, name="original").update(weight=0)
    ExperimentArm.objects.get(experiment=experiment, name="restyled").save()  # its signal drops the cached split
    after = {s.key: treatment_for(s).arm for s in shoppers}
    assert after == before
    newcomers = {treatment_for(Shopper(f"session:new-{n}")).arm for n in range(20)}
    assert newcomers == {"restyled"}
    assert ExperimentAssignment.objects.filter(experiment=experiment).count() == 60


def test_treatment_is_cached_per_shopper(experiment):
    shopper = Shopper("session:cached")
    first = treatment_for(shopper)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert treatment_for(shopper) == first
    assert len(queries) == 0


def test_opted_out_shopper_is_never_enrolled(experiment):
    shopper = Shopper("session:private")
    set_personalisation(shopper, False)
    assert treatment_for(shopper) == OPTED_OUT_TREATMENT
    assert treatment_for(shopper) == Treatment(restyle=False, personalise=False, experiment_id=None, arm=None)
    assert not ExperimentAssignment.objects.filter(shopper_key=shopper.key).exists()


def test_opting_out_later_takes_effect_at_once(experiment):
    shopper = Shopper("session:changes-mind")
    assert treatment_for(shopper).enrolled
    set_personalisation(shopper, False)
    assert treatment_for(shopper) == OPTED_OUT_TREATMENT
    set_personalisation(shopper, True)
    assert treatment_for(shopper).enrolled


def test_no_running_experiment_means_normal_behaviour(db):
    make_experiment("Drafted", status="draft")
    assert treatment_for(Shopper("session:x")) == DEFAULT_TREATMENT
    assert DEFAULT_TREATMENT == Treatment(restyle=True, personalise=True)
    assert treatment_for(None) == NO_SHOPPER_TREATMENT
    assert not ExperimentAssignment.objects.exists()


def test_experiment_outside_its_window_enrols_nobody(db):
    from datetime import timedelta

    from django.utils import timezone

    later = make_experiment("Later", start_days_ago=-2)  # starts in two days
    assert treatment_for(Shopper("session:early")) == DEFAULT_TREATMENT
    later.start_at = timezone.now() - timedelta(days=3)
    later.stop_at = timezone.now() - timedelta(days=1)
    later.save()
    assert treatment_for(Shopper("session:late")) == DEFAULT_TREATMENT


def test_stopping_the_experiment_returns_shoppers_to_normal(experiment):
    shopper = Shopper("session:s")
    assert treatment_for(shopper).enrolled
    experiment.status = "stopped"
    experiment.save()
    assert treatment_for(shopper) == DEFAULT_TREATMENT
    experiment.refresh_from_db()
    assert experiment.stop_at is not None


def test_signed_in_shopper_keeps_the_anonymous_arm(experiment, rf, django_user_model):
    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore

    from stylerec_plugin.shoppers import ShopperMiddleware

    user = django_user_model.objects.create_user("ann", password="pw-long-enough")
    request = rf.post("/login/")
    request.session = SessionStore()
    request.session.save()
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    ShopperMiddleware(lambda r: None)(request)  # sets request.shopper as on every real request
    anonymous = request.shopper
    arm = treatment_for(anonymous).arm
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")

    assignment = ExperimentAssignment.objects.get(experiment=experiment, shopper_key=f"user:{user.pk}")
    assert assignment.arm.name == arm
    assert assignment.user_id == user.pk
    assert not ExperimentAssignment.objects.filter(shopper_key=anonymous.key).exists()
    assert treatment_for(Shopper.for_user(user)).arm == arm


def test_account_already_enrolled_keeps_its_own_arm(experiment):
    from stylerec_plugin.experiments import move_assignments

    account = Shopper("user:7")
    account_arm = treatment_for(account).arm
    # Find an anonymous key that hashes to the other arm.
    other = next(
        Shopper(f"session:{n}") for n in range(100) if treatment_for(Shopper(f"session:{n}")).arm != account_arm
    )
    assert move_assignments(other.key, account) == 0
    assert treatment_for(account).arm == account_arm


def test_editing_an_arm_changes_what_its_shoppers_see(experiment):
    shopper = Shopper("session:edit")
    treatment = treatment_for(shopper)
    arm = ExperimentArm.objects.get(experiment=experiment, name=treatment.arm)
    arm.personalise = False
    arm.save()
    updated = treatment_for(shopper)
    assert updated.arm == treatment.arm
    assert updated.personalise is False
