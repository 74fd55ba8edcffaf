"""Identity: who the shopper is (a signed-in user, or a guest as one key), their consent and events.

A guest is recognised by ``STYLEREC["GUEST_IDENTITY"]``:

- ``"session"``: the Django session (``session:<key>``); a guest who has none gets one on
  the first tracked event or choice;
- ``"cookie"``: a signed cookie of StyleRec's own (``guest:<random id>``, named by
  ``GUEST_COOKIE_NAME``), set on the response of the first tracked event or choice by
  ``ShopperMiddleware``; no session is needed (Oscar keeps a guest's basket in a
  cookie and never gives them one).

Either way a guest is a shopper like any other: their events, styles, opt-out, export
and deletion work the same, and signing in carries them over to the account (the
guest cookie is then removed).
"""

from __future__ import annotations

import contextvars
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ..conf import settings
from ..products import get_product_adapter
from ..signals import shoppers_merged
from .cache import announce_change

# Where the middleware remembers an anonymous shopper's key, so a login can merge it.
SESSION_SHOPPER_KEY = "stylerec_anonymous_shopper"
GUEST_COOKIE_SALT = "stylerec.guest"
# Set on the Django request when a guest id was made (the middleware sets the cookie) or
# the guest signed in (the middleware removes it).
NEW_GUEST_ATTR = "_stylerec_new_guest"
FORGET_GUEST_ATTR = "_stylerec_forget_guest"

# The request being served, for signals that carry none (Oscar's ``order_placed``).
current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "stylerec_current_request", default=None
)


def _django_request(request):
    """Django's request behind DRF's (attributes must be set where the middleware looks)."""
    return getattr(request, "_request", request)


def guest_token(request) -> str | None:
    """The guest id of this request: made during it, or read from the signed cookie."""
    request = _django_request(request)
    made = getattr(request, NEW_GUEST_ATTR, None)
    if made:
        return made
    cookies = getattr(request, "COOKIES", None)
    if not cookies or settings.GUEST_COOKIE_NAME not in cookies:
        return None
    token = request.get_signed_cookie(
        settings.GUEST_COOKIE_NAME, default=None, salt=GUEST_COOKIE_SALT, max_age=settings.GUEST_COOKIE_AGE
    )
    return token or None


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
    def for_guest(cls, token: str) -> Shopper:
        return cls(key=f"guest:{token}")

    @classmethod
    def from_request(cls, request: HttpRequest, create: bool = True) -> Shopper | None:
        """The request's shopper; a guest without one gets one when ``create`` is true (see the module)."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return cls.for_user(user)
        if settings.GUEST_IDENTITY == "cookie":
            token = guest_token(request)
            if token is None:
                if not create:
                    return None
                token = secrets.token_urlsafe(18)
                setattr(_django_request(request), NEW_GUEST_ATTR, token)
            return cls.for_guest(token)
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


def track(request, product, kind: str, *, style=None, value=None, shopper: Shopper | None = None):
    """Record an event of the request's shopper, making a guest a shopper on their first one.

    The event counts for the product shoppers browse (a child variant's parent). Nothing
    is recorded for a shopper who switched personalisation off, or when no identity can
    be had (no session support in "session" mode). Returns the interaction or None.
    """
    if shopper is None and request is not None:
        shopper = Shopper.from_request(request, create=True)
    if shopper is None or not personalisation_enabled(shopper):
        return None
    if request is not None:
        _django_request(request).shopper = shopper
    product = get_product_adapter().tracked_product(product)
    return record_interaction(shopper, product, kind, style=style, value=value)


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
