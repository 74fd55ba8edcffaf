"""The signals StyleRec sends, and the switch that silences its restyling receivers.

Receivers live with their capability (``restyling.receivers``, ``shoppers.receivers``,
``experiments.receivers``) and are connected from ``AppConfig.ready()``; this module
only declares what they and a shop can listen to.

* ``variants_missing``: a page wanted variants that are not ready
  (``style``, ``product_ids``). Nothing is enqueued for it: a pipeline can listen
  and note them.
* ``shoppers_merged``: an anonymous shopper's history moved onto the account they
  signed in to (``source_key``, ``target``); the experiments move the enrolments.
* ``shopper_changed``: what is cached about these shoppers may be stale (their data
  was deleted or merged) (``shopper_keys``); every cache forgets its entries.

:func:`paused` silences the restyling receivers (product and style saves) in the
current thread, for a bulk import; heal with ``manage.py stylerec_restyle --missing``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from django.dispatch import Signal

from ._lazy import lazy_exports

variants_missing = Signal()
shoppers_merged = Signal()
shopper_changed = Signal()

_state = threading.local()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Queue nothing from saves in this block (this thread); heal with ``stylerec_restyle --missing``."""
    previous = getattr(_state, "paused", False)
    _state.paused = True
    try:
        yield
    finally:
        _state.paused = previous


def is_paused() -> bool:
    return getattr(_state, "paused", False)


# The receivers used to live here; their old names still resolve, with a DeprecationWarning.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {},
    deprecated={
        name: "stylerec_plugin.restyling.receivers"
        for name in ("product_saved", "style_pre_save", "style_saved", "variant_deleted", "connect_product_signals")
    },
)
