"""Cross-request caches for the storefront's hot path: a shopper's style and recent events.

A personalised grid needs the shopper's style and the shopper's recent events
on every page. Both change rarely compared with how often they are read, so
they live in ``STYLEREC['CACHE_ALIAS']`` and are dropped when the rows behind
them change (a preference or interaction saved or deleted, a style edited: the
receivers in :mod:`.receivers`).

Writes made without signals (``bulk_create``, ``QuerySet.update``, another
process on a per-process cache such as LocMemCache) become visible within
``CACHE_TIMEOUT`` seconds; a shop with several web processes should point
``CACHE_ALIAS`` at a shared cache (Redis, Memcached).

Code that changes a shopper's data behind the signals' back (a merge, a delete)
calls :func:`announce_change`; every cache that holds something about the shopper
(this one, the experiments' treatments) forgets it in its receiver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from ..conf import get_cache, settings
from ..signals import shopper_changed

STYLES_KEY = "stylerec:styles:generation"
PREFERENCES_KEY = "stylerec:prefs:generation"


def _generations() -> tuple[int, int]:
    """The styles and preferences generations, in one cache round trip."""
    found = get_cache().get_many([STYLES_KEY, PREFERENCES_KEY])
    for key in (STYLES_KEY, PREFERENCES_KEY):
        if key not in found:
            get_cache().add(key, 1, None)
    return found.get(STYLES_KEY, 1), found.get(PREFERENCES_KEY, 1)


def bump(key: str) -> None:
    """Invalidate every entry that was built under ``key``'s generation."""
    try:
        get_cache().incr(key)
    except ValueError:  # not set yet (or evicted): any new value makes old keys unreachable
        get_cache().set(key, 2, None)


def cached(key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` memoised under ``key`` for CACHE_TIMEOUT; ``None`` results are cached too."""
    box = get_cache().get(key)
    if box is None:
        box = (compute(),)
        get_cache().set(key, box, settings.CACHE_TIMEOUT)
    return box[0]


def style_key(shopper_key: str) -> str:
    styles, preferences = _generations()
    return f"stylerec:style:{styles}.{preferences}:{shopper_key}"


def session_key(shopper_key: str) -> str:
    return f"stylerec:session:{shopper_key}"


def forget_style_and_events(shopper_key: str) -> None:
    """Drop the cached style and recent events of one shopper."""
    get_cache().delete_many([style_key(shopper_key), session_key(shopper_key)])


def drop_now_and_after_commit(key: str) -> None:
    # Now, so this request sees its own write; after commit too, so a request that
    # re-cached the old value before the commit does not keep it.
    get_cache().delete(key)
    transaction.on_commit(lambda: get_cache().delete(key))


def announce_change(*shopper_keys: str) -> None:
    """Tell every cache that these shoppers' data changed (now, and again after commit).

    Sends ``stylerec_plugin.signals.shopper_changed``; callers never need to know
    which caches exist.
    """

    def send() -> None:
        shopper_changed.send(sender=announce_change, shopper_keys=tuple(shopper_keys))

    send()
    transaction.on_commit(send)
