"""Deprecated: moved to :mod:`stylerec_plugin.restyling.worker`.

``--worker-class stylerec_plugin.worker.StyleRecWorker`` keeps working; use
``stylerec_plugin.restyling.worker.StyleRecWorker``. This alias goes in the next release.
"""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.restyling.worker")

from .restyling.worker import StyleRecWorker, preload_engines  # noqa: E402, F401
