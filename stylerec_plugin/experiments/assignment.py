"""Assignment: which arm (treatment) of the running A/B experiment a shopper gets.

The storefront asks :func:`treatment_for` whether to show restyled photos and a
personalised ranking; :mod:`.tracking` records what was shown and what followed.

Assignment is deterministic (a hash of the experiment slug and the shopper key picks a bucket
0–9999, the arms' weights split the buckets) and sticky (stored on first use, so a changed
split or a renamed arm never moves a shopper who was already counted).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..conf import get_cache, settings
from ..shoppers.identity import Shopper, personalisation_enabled

BUCKETS = 10_000
ACTIVE_CACHE_KEY = "stylerec:experiments:active"


@dataclass(frozen=True)
class Treatment:
    restyle: bool  # show restyled photos (False: originals)
    personalise: bool  # personalised ranking (False: popular)
    experiment_id: int | None = None
    arm: str | None = None  # arm name, None when not enrolled

    @property
    def enrolled(self) -> bool:
        return self.experiment_id is not None


# What a shopper who is in no experiment gets: the plugin's normal behaviour.
DEFAULT_TREATMENT = Treatment(restyle=True, personalise=True)
# Shoppers who switched personalisation off: never enrolled, originals and the popular list.
OPTED_OUT_TREATMENT = Treatment(restyle=False, personalise=False)
# No shopper at all (no session yet): nothing to personalise and nothing to make sticky.
NO_SHOPPER_TREATMENT = Treatment(restyle=True, personalise=False)


@dataclass(frozen=True)
class _Arm:
    id: int
    name: str
    weight: int
    restyle: bool
    personalise: bool


@dataclass(frozen=True)
class _LiveExperiment:
    id: int
    slug: str
    start_at: datetime | None
    stop_at: datetime | None
    arms: tuple[_Arm, ...]

    def is_live(self, when: datetime) -> bool:
        if self.start_at is not None and when < self.start_at:
            return False
        return self.stop_at is None or when < self.stop_at

    def arm_named(self, name: str | None) -> _Arm | None:
        return next((arm for arm in self.arms if arm.name == name), None)

    def arm_with_id(self, arm_id: int) -> _Arm | None:
        return next((arm for arm in self.arms if arm.id == arm_id), None)


def _running_experiments() -> list[_LiveExperiment]:
    """Experiments with status running that have not passed their stop time, cached.

    The start/stop window is checked by the caller against the current time, so a scheduled
    start or stop takes effect on time even while this list is cached.
    """
    cached = get_cache().get(ACTIVE_CACHE_KEY)
    if cached is not None:
        return cached
    from ..models.experiments import Experiment, ExperimentStatus

    now = timezone.now()
    running = []
    queryset = (
        Experiment.objects.filter(status=ExperimentStatus.RUNNING)
        .exclude(stop_at__lte=now)
        .prefetch_related("arms")
        .order_by("pk")
    )
    for experiment in queryset:
        arms = tuple(
            _Arm(arm.id, arm.name, arm.weight, arm.restyle, arm.personalise)
            for arm in sorted(experiment.arms.all(), key=lambda arm: arm.pk)
        )
        if len(arms) >= 2 and sum(arm.weight for arm in arms) > 0:
            running.append(
                _LiveExperiment(experiment.id, experiment.slug, experiment.start_at, experiment.stop_at, arms)
            )
    get_cache().set(ACTIVE_CACHE_KEY, running, settings.CACHE_TIMEOUT)
    return running


def live_experiment(when: datetime | None = None) -> _LiveExperiment | None:
    """The experiment shoppers are enrolled in at ``when``; the oldest wins if windows overlap."""
    when = when or timezone.now()
    return next((experiment for experiment in _running_experiments() if experiment.is_live(when)), None)


def has_live_experiment() -> bool:
    """Whether shoppers are being enrolled right now (one cache read).

    Callers that avoid creating sessions for anonymous visitors can create one only while
    this is true, so first-time visitors are enrolled from their first page.
    """
    return live_experiment() is not None


def bucket_for(experiment_slug: str, shopper_key: str) -> int:
    """A stable bucket in [0, BUCKETS) for this shopper in this experiment."""
    digest = hashlib.sha256(f"{experiment_slug}:{shopper_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_for_bucket(bucket: int, arms: Iterable[tuple[str, int]]) -> str:
    """The arm whose slice of the buckets holds ``bucket``; slices are proportional to the weights.

    ``arms`` is (name, weight) in a fixed order. Only new shoppers are placed this way: shoppers
    already assigned keep their stored arm.
    """
    arms = list(arms)
    total = sum(weight for _, weight in arms)
    if total <= 0:
        raise ValueError("The arms' weights add up to zero.")
    position = bucket * total / BUCKETS
    cumulative = 0
    for name, weight in arms:
        cumulative += weight
        if position < cumulative:
            return name
    return arms[-1][0]


def _shopper_cache_key(shopper_key: str) -> str:
    # Hashed: shopper keys may hold characters some cache backends refuse.
    return "stylerec:experiments:shopper:" + hashlib.sha256(shopper_key.encode()).hexdigest()[:32]


def forget_treatment(shopper_key: str) -> None:
    """Drop the cached treatment of one shopper (after an opt-out or a login merge)."""
    get_cache().delete(_shopper_cache_key(shopper_key))


def assign(experiment: _LiveExperiment, shopper: Shopper) -> _Arm | None:
    """The shopper's arm in ``experiment``, stored on first call and never changed afterwards.

    None only when the experiment stopped being runnable while this call was under way.
    """
    from ..models.experiments import ExperimentAssignment

    existing = (
        ExperimentAssignment.objects.filter(experiment_id=experiment.id, shopper_key=shopper.key)
        .values_list("arm_id", flat=True)
        .first()
    )
    if existing is None:
        bucket = bucket_for(experiment.slug, shopper.key)
        name = arm_for_bucket(bucket, ((arm.name, arm.weight) for arm in experiment.arms))
        arm = experiment.arm_named(name)
        try:
            with transaction.atomic():
                ExperimentAssignment.objects.create(
                    experiment_id=experiment.id,
                    arm_id=arm.id,
                    shopper_key=shopper.key,
                    user_id=shopper.user_id,
                    bucket=bucket,
                )
        except IntegrityError:
            # Another request assigned this shopper first; theirs is the sticky one.
            existing = ExperimentAssignment.objects.get(experiment_id=experiment.id, shopper_key=shopper.key).arm_id
        else:
            return arm
    arm = experiment.arm_with_id(existing)
    if arm is None:
        # The arms changed since the running list was cached (another process): read it again.
        get_cache().delete(ACTIVE_CACHE_KEY)
        fresh = live_experiment_by_id(experiment.id)
        arm = fresh.arm_with_id(existing) if fresh else None
    return arm


def live_experiment_by_id(experiment_id: int) -> _LiveExperiment | None:
    return next((e for e in _running_experiments() if e.id == experiment_id), None)


def treatment_for(shopper: Shopper | None) -> Treatment:
    """What this shopper should be shown: restyled photos? personalised ranking? which arm?

    Shoppers who opted out of personalisation are never enrolled and get originals and the
    popular list; shoppers outside any running experiment get the normal behaviour. The answer
    is cached per shopper (invalidated when experiments or the shopper's consent change), so
    calling it several times while rendering one page costs one cache read.
    """
    if shopper is None:
        return NO_SHOPPER_TREATMENT
    experiment = live_experiment()
    cache_key = _shopper_cache_key(shopper.key)
    cached = get_cache().get(cache_key)
    # The cached answer holds the experiment as it was (arms and flags included): any edit
    # to the experiment or its arms makes it stale.
    if cached is not None and cached[0] == experiment:
        return cached[1]
    if not personalisation_enabled(shopper):
        treatment = OPTED_OUT_TREATMENT
    elif experiment is None:
        treatment = DEFAULT_TREATMENT
    else:
        arm = assign(experiment, shopper)
        if arm is None:
            treatment = DEFAULT_TREATMENT
        else:
            treatment = Treatment(
                restyle=arm.restyle, personalise=arm.personalise, experiment_id=experiment.id, arm=arm.name
            )
    get_cache().set(cache_key, (experiment, treatment), settings.CACHE_TIMEOUT)
    return treatment


def move_assignments(source_key: str, target: Shopper) -> int:
    """Carry an anonymous shopper's enrolments over to the account they signed in to.

    Where the account is already enrolled in an experiment it keeps its own arm (sticky) and the
    anonymous history stays where it is. Returns how many enrolments moved.
    """
    from ..models.experiments import ExperimentAssignment, ExperimentExposure, ExperimentOutcome

    if source_key == target.key:
        return 0
    moved = 0
    with transaction.atomic():
        taken = set(ExperimentAssignment.objects.filter(shopper_key=target.key).values_list("experiment_id", flat=True))
        for assignment in ExperimentAssignment.objects.filter(shopper_key=source_key).exclude(experiment_id__in=taken):
            assignment.shopper_key, assignment.user_id = target.key, target.user_id
            assignment.save(update_fields=["shopper_key", "user"])
            for model in (ExperimentExposure, ExperimentOutcome):
                model.objects.filter(experiment_id=assignment.experiment_id, shopper_key=source_key).update(
                    shopper_key=target.key
                )
            moved += 1
    forget_treatment(source_key)
    forget_treatment(target.key)
    return moved
