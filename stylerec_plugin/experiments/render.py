"""Render an experiment's report: a chart of the rates over time (PNG), or a text table.

The chart needs matplotlib (the ``reports`` extra); the table needs nothing.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from django.utils import timezone

from . import stats
from .report import METRIC_LABELS, METRICS, ExperimentReport


def render_chart(report: ExperimentReport) -> bytes:
    """A PNG of each metric's cumulative rate per arm over time, with 95% Wilson bands.

    Uses matplotlib's object API (no pyplot state), so it is safe in a threaded web server.
    Raises ImportError when matplotlib (the "reports" extra) is not installed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(10, 3.4), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(METRICS), sharex=True)
    colours = ["#6b7280", "#d9480f", "#1c7ed6", "#2b8a3e", "#ae3ec9"]
    for axis, metric in zip(axes, METRICS, strict=True):
        for index, arm in enumerate(report.arms):
            points = [p for p in report.timeline.get(arm.name, []) if p.exposed_shoppers]
            if not points:
                continue
            days = [p.day for p in points]
            values = [p.rate(metric) for p in points]
            bands = [stats.wilson_interval(p.successes[metric], p.exposed_shoppers) for p in points]
            colour = colours[index % len(colours)]
            label = f"{arm.name} (control)" if arm.is_control else arm.name
            axis.plot(days, values, color=colour, linewidth=1.8, label=label)
            axis.fill_between(days, [b[0] for b in bands], [b[1] for b in bands], color=colour, alpha=0.15)
        axis.set_title(METRIC_LABELS[metric], fontsize=10)
        axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        axis.set_ylim(bottom=0)
        axis.grid(alpha=0.3)
        axis.tick_params(axis="x", labelsize=8)
    axes[0].set_ylabel("cumulative rate (95% CI)")
    if any(p.exposed_shoppers for points in report.timeline.values() for p in points):
        axes[0].legend(fontsize=8, loc="upper left")
        locator = AutoDateLocator(maxticks=6)
        all_days = [p.day for points in report.timeline.values() for p in points]
        if (max(all_days) - min(all_days)).days < 2:
            # A day or two of data: widen the axis so the date ticks have room.
            axes[0].set_xlim(min(all_days) - timedelta(days=1), max(all_days) + timedelta(days=1))
        for axis in axes:
            axis.xaxis.set_major_locator(locator)
            axis.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        for axis in axes:
            axis.text(0.5, 0.5, "no exposures yet", ha="center", va="center", transform=axis.transAxes, color="#868e96")
    figure.suptitle(f"{report.name}: rates over time", fontsize=11)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def format_text(report: ExperimentReport) -> str:
    """The report as a plain-text table for the terminal."""
    lines = [
        f"Experiment: {report.name} [{report.status}]",
        f"Window: {_when(report.start_at)} to {_when(report.stop_at) if report.stop_at else 'open'}",
        f"Primary metric: {METRIC_LABELS[report.primary_metric]}",
        "",
        f"{'arm':<16}{'enrolled':>10}{'exposed':>10}{'exposures':>11}{'impressions':>13}",
    ]
    for arm in report.arms:
        name = f"{arm.name}{' *' if arm.is_control else ''}"
        lines.append(
            f"{name:<16}{arm.enrolled:>10,}{arm.exposed_shoppers:>10,}{arm.exposures:>11,}{arm.impressions:>13,}"
        )
    for metric in METRICS:
        lines += ["", METRIC_LABELS[metric]]
        lines.append(f"  {'arm':<16}{'shoppers':>10}{'rate':>9}{'95% CI':>19}{'lift':>9}{'p-value':>10}  verdict")
        for arm in report.arms:
            r = arm.rates[metric]
            comparison = arm.comparisons.get(metric)
            ci = "—" if r.value is None else f"{r.ci_low:.2%} – {r.ci_high:.2%}"
            rate_text = "—" if r.value is None else f"{r.value:.2%}"
            lift = p = verdict = ""
            if comparison is not None:
                lift = "n/a" if comparison.relative_lift is None else f"{comparison.relative_lift:+.1%}"
                p = "n/a" if comparison.p_value is None else f"{comparison.p_value:.4f}"
                verdict = comparison.verdict.replace("_", " ")
            elif arm.is_control:
                verdict = "control"
            lines.append(f"  {arm.name:<16}{r.successes:>10,}{rate_text:>9}{ci:>19}{lift:>9}{p:>10}  {verdict}")
    lines += ["", report.headline()]
    if report.warnings:
        lines += ["", "Warnings:"] + [f"  - {warning}" for warning in report.warnings]
    lines += [
        "",
        "Rates are per exposed shopper; 95% Wilson intervals; two-sided pooled two-proportion z-test "
        "vs the control (*).",
    ]
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"
