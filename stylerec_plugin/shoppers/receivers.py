"""The shoppers' receivers: the one login receiver, and those that keep :mod:`.cache` right.

:func:`connect` wires them (called from ``AppConfig.ready()``).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from ..signals import shopper_changed
from .cache import STYLES_KEY, bump, drop_now_and_after_commit, forget_style_and_events, session_key, style_key
from .identity import FORGET_GUEST_ATTR, SESSION_SHOPPER_KEY, Shopper, guest_token, merge_shoppers


def anonymous_key(request) -> str | None:
    """The anonymous shopper a request had before login rotated its session.

    The middleware resolved ``request.shopper`` before the login; the copy it keeps
    in the session is the fallback.
    """
    before = getattr(request, "shopper", None)
    if before is not None and before.is_anonymous:
        return before.key
    token = guest_token(request)
    if token is not None:
        return Shopper.for_guest(token).key
    session = getattr(request, "session", None)
    return session.get(SESSION_SHOPPER_KEY) if session is not None else None


def on_login(sender, request, user, **kwargs) -> None:
    """Carry the anonymous shopper's history, choices and enrolments over to the account."""
    if request is None:
        return
    source_key = anonymous_key(request)
    if source_key:
        merge_shoppers(source_key, Shopper.for_user(user))
    if hasattr(request, "session"):
        request.session.pop(SESSION_SHOPPER_KEY, None)
    if guest_token(request) is not None:
        # The guest is the account now: the middleware removes the guest cookie.
        setattr(request, FORGET_GUEST_ATTR, True)


def _on_preference_changed(sender, instance, **kwargs) -> None:
    drop_now_and_after_commit(style_key(instance.shopper_key))


def _on_style_changed(sender, instance, **kwargs) -> None:
    bump(STYLES_KEY)
    transaction.on_commit(lambda: bump(STYLES_KEY))


def _on_interaction_changed(sender, instance, **kwargs) -> None:
    drop_now_and_after_commit(session_key(instance.shopper_key))


def _on_shopper_changed(sender, shopper_keys=(), **kwargs) -> None:
    for key in shopper_keys:
        forget_style_and_events(key)


def connect() -> None:
    """Connect the shoppers' receivers.

    No delete receiver on StylePreference: it would stop Django's fast bulk
    delete that training relies on; the code paths that delete preferences
    announce the change (or bump ``PREFERENCES_KEY``) instead.
    """
    user_logged_in.connect(on_login, dispatch_uid="stylerec_shoppers_on_login")
    shopper_changed.connect(_on_shopper_changed, dispatch_uid="stylerec_shoppers_changed")
    post_save.connect(_on_preference_changed, sender="stylerec_plugin.StylePreference", dispatch_uid="stylerec_sc_pref")
    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(_on_style_changed, sender="stylerec_plugin.Style", dispatch_uid=f"stylerec_sc_style_{name}")
        signal.connect(
            _on_interaction_changed, sender="stylerec_plugin.Interaction", dispatch_uid=f"stylerec_sc_event_{name}"
        )
