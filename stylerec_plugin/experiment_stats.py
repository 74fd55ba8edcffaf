"""Deprecated: moved to :mod:`stylerec_plugin.experiments.stats`. This alias goes in the next release."""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.experiments.stats")

from .experiments.stats import (  # noqa: E402, F401
    ALPHA,
    CONFIDENCE,
    MIN_EVENTS,
    Comparison,
    Rate,
    compare,
    has_enough_events,
    newcombe_difference_interval,
    rate,
    relative_lift,
    required_sample_size,
    sample_ratio_mismatch,
    two_proportion_z_test,
    wilson_interval,
)
