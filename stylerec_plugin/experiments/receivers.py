"""The experiments' receivers: outcomes from interactions, and caches kept right.

:func:`connect` wires them (called from ``AppConfig.ready()``).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.db.models.signals import post_delete, post_save

from ..conf import get_cache
from ..signals import shopper_changed, shoppers_merged
from .assignment import ACTIVE_CACHE_KEY, forget_treatment, move_assignments
from .tracking import attribute_interaction

logger = logging.getLogger(__name__)


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
    get_cache().delete(ACTIVE_CACHE_KEY)


def _on_profile_saved(sender, instance, **kwargs) -> None:
    forget_treatment(instance.shopper_key)


def _on_shopper_changed(sender, shopper_keys=(), **kwargs) -> None:
    for key in shopper_keys:
        forget_treatment(key)


def _on_shoppers_merged(sender, source_key: str, target, **kwargs) -> None:
    # An anonymous shopper signed in: their enrolments follow them (the account's own stay sticky).
    move_assignments(source_key, target)


def connect() -> None:
    """Connect the receivers that keep outcomes and caches up to date."""
    post_save.connect(_on_interaction_saved, sender="stylerec_plugin.Interaction", dispatch_uid="stylerec_exp_outcomes")
    for model in ("stylerec_plugin.Experiment", "stylerec_plugin.ExperimentArm"):
        post_save.connect(_on_experiment_changed, sender=model, dispatch_uid=f"stylerec_exp_cache_save_{model}")
        post_delete.connect(_on_experiment_changed, sender=model, dispatch_uid=f"stylerec_exp_cache_delete_{model}")
    post_save.connect(_on_profile_saved, sender="stylerec_plugin.ShopperProfile", dispatch_uid="stylerec_exp_consent")
    post_delete.connect(
        _on_profile_saved, sender="stylerec_plugin.ShopperProfile", dispatch_uid="stylerec_exp_consent_del"
    )
    shopper_changed.connect(_on_shopper_changed, dispatch_uid="stylerec_exp_shopper_changed")
    shoppers_merged.connect(_on_shoppers_merged, dispatch_uid="stylerec_exp_shoppers_merged")
