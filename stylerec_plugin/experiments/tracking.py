"""Tracking: what an enrolled shopper was shown (exposures) and what followed (outcomes).

The grid service calls :func:`record_exposure` when it renders products. Outcomes
(click, add to cart, purchase) are credited to the shopper's arm from ``Interaction``
rows as they are saved (:func:`attribute_interaction`, called by the receivers).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, transaction

from ..shoppers.identity import Shopper, personalisation_enabled
from .assignment import Treatment, live_experiment, live_experiment_by_id

logger = logging.getLogger(__name__)

# Interaction kinds that can become outcomes; a "view" counts as a click-through only when
# the product had been shown to the shopper (otherwise it is direct navigation).
OUTCOME_FOR_INTERACTION = {"click": "click", "view": "click", "cart": "cart", "purchase": "purchase"}
# How many of a shopper's latest exposures are searched for "was this product shown".
EXPOSURES_SEARCHED = 200


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
