"""Serving side of A/B experiments: which treatment a shopper gets, and what they were shown.

Template tags and the API ask :func:`treatment_for` whether to show restyled photos and a
personalised ranking, and call :func:`record_exposure` when they render products. Outcomes
(click, add to cart, purchase) are credited to the shopper's arm from ``Interaction`` rows as
they are saved (see :func:`attribute_interaction`).

Assignment is deterministic (a hash of the experiment slug and the shopper key picks a bucket
0–9999, the arms' weights split the buckets) and sticky (stored on first use, so a changed
split or a renamed arm never moves a shopper who was already counted).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.signals import user_logged_in
from django.core.cache import caches
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from ..conf import settings
from ..shoppers.identity import SESSION_SHOPPER_KEY, Shopper, personalisation_enabled

logger = logging.getLogger(__name__)

BUCKETS = 10_000
ACTIVE_CACHE_KEY = "stylerec:experiments:active"
# Interaction kinds that can become outcomes; a "view" counts as a click-through only when
# the product had been shown to the shopper (otherwise it is direct navigation).
OUTCOME_FOR_INTERACTION = {"click": "click", "view": "click", "cart": "cart", "purchase": "purchase"}
# How many of a shopper's latest exposures are searched for "was this product shown".
EXPOSURES_SEARCHED = 200


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


def _cache():
    return caches[settings.CACHE_ALIAS]


def _running_experiments() -> list[_LiveExperiment]:
    """Experiments with status running that have not passed their stop time, cached.

    The start/stop window is checked by the caller against the current time, so a scheduled
    start or stop takes effect on time even while this list is cached.
    """
    cached = _cache().get(ACTIVE_CACHE_KEY)
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
    _cache().set(ACTIVE_CACHE_KEY, running, settings.CACHE_TIMEOUT)
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


def forget_shopper(shopper_key: str) -> None:
    """Drop the cached treatment of one shopper (after an opt-out or a login merge)."""
    _cache().delete(_shopper_cache_key(shopper_key))


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
        _cache().delete(ACTIVE_CACHE_KEY)
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
    cached = _cache().get(cache_key)
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
    _cache().set(cache_key, (experiment, treatment), settings.CACHE_TIMEOUT)
    return treatment


def record_exposure(
    shopper: Shopper | None, treatment: Treatment, product_ids: Iterable[int], surface: str
) -> None:
    """Remember that ``product_ids`` were shown to an enrolled shopper on ``surface``.

    Does nothing for shoppers who are not enrolled. Never raises for a storage problem: an
    exposure that cannot be saved is logged and the page is still served.
    """
    if shopper is None or treatment.experiment_id is None:
        return
    experiment = live_experiment_by_id(treatment.experiment_id)
    arm = experiment.arm_named(treatment.arm) if experiment else None
    if arm is None:
        # The experiment stopped (or the arm was renamed) since the treatment was decided.
        return
    # JSON keeps ints as they are; other primary keys (UUIDs...) are stored as text.
    product_ids = [pk if isinstance(pk, int) else str(pk) for pk in product_ids]
    from ..models.experiments import ExperimentExposure

    try:
        with transaction.atomic():
            ExperimentExposure.objects.create(
                experiment_id=experiment.id,
                arm_id=arm.id,
                shopper_key=shopper.key,
                surface=surface[:40],
                product_ids=product_ids,
                product_count=len(product_ids),
                restyle=treatment.restyle,
                personalise=treatment.personalise,
            )
    except DatabaseError:
        logger.exception("Could not record an experiment exposure for %s", shopper.key)


def attribute_interaction(interaction) -> list:
    """Credit a click, add-to-cart or purchase to the shopper's arm in the experiment running then.

    Only shoppers who are enrolled, still opted in and were exposed before the interaction count;
    a product-page view counts as a click-through only when that product had been shown to them.
    Returns the ``ExperimentOutcome`` rows created (usually none or one).
    """
    outcome_kind = OUTCOME_FOR_INTERACTION.get(interaction.kind)
    if outcome_kind is None:
        return []
    experiment = live_experiment(interaction.created_at)
    if experiment is None:
        return []
    from ..models.experiments import ExperimentAssignment, ExperimentExposure, ExperimentOutcome

    arm_id = (
        ExperimentAssignment.objects.filter(experiment_id=experiment.id, shopper_key=interaction.shopper_key)
        .values_list("arm_id", flat=True)
        .first()
    )
    if arm_id is None:
        return []
    shopper = Shopper(interaction.shopper_key, interaction.user_id)
    if not personalisation_enabled(shopper):
        return []
    shown = list(
        ExperimentExposure.objects.filter(
            experiment_id=experiment.id, shopper_key=interaction.shopper_key, created_at__lte=interaction.created_at
        )
        .order_by("-created_at")
        .values_list("product_ids", flat=True)[:EXPOSURES_SEARCHED]
    )
    if not shown:
        return []
    product_key = interaction.product_id if isinstance(interaction.product_id, int) else str(interaction.product_id)
    product_was_shown = any(product_key in ids for ids in shown)
    if interaction.kind == "view" and not product_was_shown:
        return []
    outcome = ExperimentOutcome.objects.create(
        experiment_id=experiment.id,
        arm_id=arm_id,
        shopper_key=interaction.shopper_key,
        kind=outcome_kind,
        product_id=interaction.product_id,
        product_was_shown=product_was_shown,
        interaction=interaction,
        created_at=interaction.created_at,
    )
    return [outcome]


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
    forget_shopper(source_key)
    forget_shopper(target.key)
    return moved


# Signal receivers ---------------------------------------------------------------------------


def _on_interaction_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    try:
        with transaction.atomic():
            attribute_interaction(instance)
    except DatabaseError:
        # Attribution is bookkeeping: it must never break an add-to-cart or a checkout.
        logger.exception("Could not attribute interaction %s to an experiment", instance.pk)


def _on_experiment_changed(sender, **kwargs) -> None:
    _cache().delete(ACTIVE_CACHE_KEY)


def _on_profile_saved(sender, instance, **kwargs) -> None:
    forget_shopper(instance.shopper_key)


@receiver(user_logged_in, dispatch_uid="stylerec_experiments_on_login")
def _move_on_login(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    # The middleware resolved the shopper before login rotated the session: that is the
    # anonymous key. The session copy is a fallback (the shoppers module may pop it first).
    before = getattr(request, "shopper", None)
    source_key = before.key if before is not None and before.is_anonymous else None
    if source_key is None and hasattr(request, "session"):
        source_key = request.session.get(SESSION_SHOPPER_KEY)
    if source_key:
        move_assignments(source_key, Shopper.for_user(user))


def connect_signals() -> None:
    """Connect the receivers that keep outcomes and caches up to date; called from AppConfig.ready()."""
    post_save.connect(_on_interaction_saved, sender="stylerec_plugin.Interaction", dispatch_uid="stylerec_exp_outcomes")
    for model in ("stylerec_plugin.Experiment", "stylerec_plugin.ExperimentArm"):
        post_save.connect(_on_experiment_changed, sender=model, dispatch_uid=f"stylerec_exp_cache_save_{model}")
        post_delete.connect(_on_experiment_changed, sender=model, dispatch_uid=f"stylerec_exp_cache_delete_{model}")
    post_save.connect(_on_profile_saved, sender="stylerec_plugin.ShopperProfile", dispatch_uid="stylerec_exp_consent")
    post_delete.connect(
        _on_profile_saved, sender="stylerec_plugin.ShopperProfile", dispatch_uid="stylerec_exp_consent_del"
    )
