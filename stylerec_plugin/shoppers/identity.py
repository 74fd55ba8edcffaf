"""Identity: who the shopper is (a signed-in user or an anonymous session, as one key), their consent and events."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ..signals import shoppers_merged
from .cache import announce_change

# Where the middleware remembers an anonymous shopper's key, so a login can merge it.
SESSION_SHOPPER_KEY = "stylerec_anonymous_shopper"


@dataclass(frozen=True)
class Shopper:
    key: str
    user_id: int | None = None

    @classmethod
    def for_user(cls, user) -> Shopper:
        return cls(key=f"user:{user.pk}", user_id=user.pk)

    @classmethod
    def for_session(cls, session_key: str) -> Shopper:
        return cls(key=f"session:{session_key}")

    @classmethod
    def from_request(cls, request: HttpRequest, create: bool = True) -> Shopper | None:
        """The request's shopper; an anonymous one gets a session when ``create`` is true."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return cls.for_user(user)
        session = getattr(request, "session", None)
        if session is None:
            return None
        if not session.session_key:
            if not create:
                return None
            session.save()
        return cls.for_session(session.session_key)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


def personalisation_enabled(shopper: Shopper | None) -> bool:
    """False when the shopper switched personalisation off (the default is on)."""
    if shopper is None:
        return False
    from ..models import ShopperProfile

    enabled = (
        ShopperProfile.objects.filter(shopper_key=shopper.key)
        .values_list("personalisation_enabled", flat=True)
        .first()
    )
    return True if enabled is None else enabled


def set_personalisation(shopper: Shopper, enabled: bool) -> None:
    from ..models import ShopperProfile

    ShopperProfile.objects.update_or_create(
        shopper_key=shopper.key,
        defaults={"personalisation_enabled": enabled, "user_id": shopper.user_id},
    )


def record_interaction(shopper: Shopper, product, kind: str, *, style=None, value=None, when=None):
    """Store one shopper event (view, click, cart, purchase, rating)."""
    from ..models import Interaction

    return Interaction.objects.create(
        shopper_key=shopper.key,
        user_id=shopper.user_id,
        product=product,
        kind=kind,
        value=value,
        style=style,
        created_at=when or timezone.now(),
    )


def merge_shoppers(source_key: str, target: Shopper) -> None:
    """Move an anonymous session's history and choices onto a user who signed in.

    Sends ``stylerec_plugin.signals.shoppers_merged``: the experiments move the
    anonymous shopper's enrolments with it.
    """
    from ..models import Interaction, ShopperProfile, StylePreference

    if source_key == target.key:
        return
    with transaction.atomic():
        Interaction.objects.filter(shopper_key=source_key).update(
            shopper_key=target.key, user_id=target.user_id
        )
        existing = set(
            StylePreference.objects.filter(shopper_key=target.key).values_list("style_id", "source")
        )
        for pref in StylePreference.objects.filter(shopper_key=source_key):
            if (pref.style_id, pref.source) in existing:
                pref.delete()
            else:
                pref.shopper_key, pref.user_id = target.key, target.user_id
                pref.save(update_fields=["shopper_key", "user", "updated_at"])
        anonymous = ShopperProfile.objects.filter(shopper_key=source_key).first()
        if anonymous is not None:
            if not ShopperProfile.objects.filter(shopper_key=target.key).exists():
                ShopperProfile.objects.create(
                    shopper_key=target.key,
                    user_id=target.user_id,
                    personalisation_enabled=anonymous.personalisation_enabled,
                )
            anonymous.delete()

    # Whatever was cached about either key is stale now; experiments move the enrolments too.
    announce_change(source_key, target.key)
    shoppers_merged.send(sender=Shopper, source_key=source_key, target=target)
