"""Cross-request caches for the storefront's hot path, kept right by signal receivers.

A personalised grid needs the shopper's style and the shopper's recent events
on every page. Both change rarely compared with how often they are read, so
they live in ``STYLEREC['CACHE_ALIAS']`` and are dropped when the rows behind
them change (a preference or interaction saved or deleted, a style edited).

Writes made without signals (``bulk_create``, ``QuerySet.update``, another
process on a per-process cache such as LocMemCache) become visible within
``CACHE_TIMEOUT`` seconds; a shop with several web processes should point
``CACHE_ALIAS`` at a shared cache (Redis, Memcached).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from ..conf import settings

STYLES_KEY = "stylerec:styles:generation"
PREFERENCES_KEY = "stylerec:prefs:generation"


def cache():
    return caches[settings.CACHE_ALIAS]


def _generations() -> tuple[int, int]:
    """The styles and preferences generations, in one cache round trip."""
    found = cache().get_many([STYLES_KEY, PREFERENCES_KEY])
    for key in (STYLES_KEY, PREFERENCES_KEY):
        if key not in found:
            cache().add(key, 1, None)
    return found.get(STYLES_KEY, 1), found.get(PREFERENCES_KEY, 1)


def bump(key: str) -> None:
    """Invalidate every entry that was built under ``key``'s generation."""
    try:
        cache().incr(key)
    except ValueError:  # not set yet (or evicted): any new value makes old keys unreachable
        cache().set(key, 2, None)


def cached(key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` memoised under ``key`` for CACHE_TIMEOUT; ``None`` results are cached too."""
    box = cache().get(key)
    if box is None:
        box = (compute(),)
        cache().set(key, box, settings.CACHE_TIMEOUT)
    return box[0]


def style_key(shopper_key: str) -> str:
    styles, preferences = _generations()
    return f"stylerec:style:{styles}.{preferences}:{shopper_key}"


def session_key(shopper_key: str) -> str:
    return f"stylerec:session:{shopper_key}"


def forget_shopper(shopper_key: str) -> None:
    """Drop what is cached for one shopper (after a merge, an export-and-delete, ...)."""
    cache().delete_many([style_key(shopper_key), session_key(shopper_key)])


def _drop_now_and_after_commit(key: str) -> None:
    # Now, so this request sees its own write; after commit too, so a request that
    # re-cached the old value before the commit does not keep it.
    cache().delete(key)
    transaction.on_commit(lambda: cache().delete(key))


def _on_preference_changed(sender, instance, **kwargs) -> None:
    _drop_now_and_after_commit(style_key(instance.shopper_key))


def _on_style_changed(sender, instance, **kwargs) -> None:
    bump(STYLES_KEY)
    transaction.on_commit(lambda: bump(STYLES_KEY))


def _on_interaction_changed(sender, instance, **kwargs) -> None:
    _drop_now_and_after_commit(session_key(instance.shopper_key))


def connect_signals() -> None:
    """Called from AppConfig.ready().

    No delete receiver on StylePreference: it would stop Django's fast bulk
    delete that training relies on; the code paths that delete preferences
    call ``forget_shopper`` or ``bump(PREFERENCES_KEY)`` instead.
    """
    post_save.connect(_on_preference_changed, sender="stylerec_plugin.StylePreference", dispatch_uid="stylerec_sc_pref")
    for signal, name in ((post_save, "save"), (post_delete, "delete")):
        signal.connect(_on_style_changed, sender="stylerec_plugin.Style", dispatch_uid=f"stylerec_sc_style_{name}")
        signal.connect(
            _on_interaction_changed, sender="stylerec_plugin.Interaction", dispatch_uid=f"stylerec_sc_event_{name}"
        )
