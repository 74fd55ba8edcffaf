"""Deprecated: moved to :mod:`stylerec_plugin.experiments.report` (the chart and the text
table to :mod:`stylerec_plugin.experiments.render`). This alias goes in the next release."""

from __future__ import annotations

from ._lazy import warn_moved

warn_moved(__name__, "stylerec_plugin.experiments.report")

from .experiments.render import format_text, render_chart  # noqa: E402, F401
from .experiments.report import (  # noqa: E402, F401
    DEFAULT_MDE,
    METRIC_LABELS,
    METRICS,
    SRM_ALPHA,
    ArmReport,
    ExperimentReport,
    TimelinePoint,
    build_report,
)
