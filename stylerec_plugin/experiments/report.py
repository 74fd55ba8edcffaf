"""Build an experiment's report from the database: per-arm rates, comparisons, timeline, warnings.

The numbers come from :mod:`.stats` (pure); this module only counts, and :mod:`.render`
draws the chart and the text table. The unit of analysis
is the exposed shopper (the unit that was randomised): a rate is the share of an arm's exposed
shoppers who clicked through / added to cart / purchased at least once after their first exposure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models.experiments import Experiment, ExperimentStatus, OutcomeKind
from . import stats

METRICS: tuple[str, ...] = (OutcomeKind.CLICK, OutcomeKind.CART, OutcomeKind.PURCHASE)
METRIC_LABELS = {
    OutcomeKind.CLICK: "Click-through rate",
    OutcomeKind.CART: "Add-to-cart rate",
    OutcomeKind.PURCHASE: "Conversion rate",
}
# The relative lift the sample-size hint is computed for.
DEFAULT_MDE = 0.10
SRM_ALPHA = 0.001


@dataclass
class ArmReport:
    name: str
    is_control: bool
    weight: int
    restyle: bool
    personalise: bool
    enrolled: int
    exposed_shoppers: int
    exposures: int
    impressions: int
    rates: dict[str, stats.Rate]
    comparisons: dict[str, stats.Comparison] = field(default_factory=dict)  # vs control; empty for the control


@dataclass
class TimelinePoint:
    day: date
    exposed_shoppers: int  # cumulative up to the end of the day
    successes: dict[str, int]  # cumulative shoppers per metric

    def rate(self, metric: str) -> float | None:
        return self.successes[metric] / self.exposed_shoppers if self.exposed_shoppers else None


@dataclass
class ExperimentReport:
    name: str
    slug: str
    status: str
    subject: str
    primary_metric: str
    start_at: datetime | None
    stop_at: datetime | None
    generated_at: datetime
    alpha: float
    mde: float
    arms: list[ArmReport]
    timeline: dict[str, list[TimelinePoint]]
    warnings: list[str]
    sample_size_per_arm: dict[str, int | None]  # to detect ``mde`` at the control's rate, per metric
    sample_ratio_p: float | None

    @property
    def control(self) -> ArmReport | None:
        return next((arm for arm in self.arms if arm.is_control), None)

    @property
    def treatments(self) -> list[ArmReport]:
        return [arm for arm in self.arms if not arm.is_control]

    def headline(self) -> str:
        """One sentence on the primary metric for each treatment arm."""
        control = self.control
        if control is None or not self.treatments:
            return _("No control arm: nothing to compare.")
        label = METRIC_LABELS[self.primary_metric]
        parts = []
        for arm in self.treatments:
            comparison = arm.comparisons[self.primary_metric]
            lift = "n/a" if comparison.relative_lift is None else f"{comparison.relative_lift:+.1%}"
            p = "n/a" if comparison.p_value is None else f"{comparison.p_value:.3g}"
            verdict = {
                "significant": _("significant"),
                "not_significant": _("not significant"),
                "too_small": _("too little data to conclude"),
            }[comparison.verdict]
            parts.append(f"{arm.name} vs {control.name}: {label} {lift} (p = {p}, {verdict})")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        """JSON-ready (dates as ISO strings, verdicts spelled out)."""

        def convert(value):
            if isinstance(value, datetime | date):
                return value.isoformat()
            if isinstance(value, dict):
                return {key: convert(item) for key, item in value.items()}
            if isinstance(value, list):
                return [convert(item) for item in value]
            return value

        data = convert(asdict(self))
        for arm_data, arm in zip(data["arms"], self.arms, strict=True):
            for metric, comparison in arm.comparisons.items():
                arm_data["comparisons"][metric]["verdict"] = comparison.verdict
        data["headline"] = self.headline()
        data["method"] = {
            "unit": "exposed shopper",
            "confidence_interval": "Wilson score, 95%",
            "difference_interval": "Newcombe hybrid score (method 10)",
            "test": "two-sided pooled two-proportion z-test",
            "minimum_events_per_arm": stats.MIN_EVENTS,
        }
        return data


def build_report(experiment: Experiment, *, alpha: float = stats.ALPHA, mde: float = DEFAULT_MDE) -> ExperimentReport:
    arms = list(experiment.arms.order_by("-is_control", "pk"))
    exposed, converted = _first_events(experiment, arms)
    reports = _arm_reports(experiment, arms, exposed, converted, alpha)
    control = next((report for report in reports if report.is_control), None)
    if control is not None:
        for report in reports:
            if report is control:
                continue
            for metric in METRICS:
                report.comparisons[metric] = stats.compare(
                    control.rates[metric].successes,
                    control.rates[metric].trials,
                    report.rates[metric].successes,
                    report.rates[metric].trials,
                    alpha=alpha,
                )
    sample_size = {
        metric: (
            stats.required_sample_size(control.rates[metric].value, mde, alpha=alpha)
            if control is not None and control.rates[metric].value
            else None
        )
        for metric in METRICS
    }
    report = ExperimentReport(
        name=experiment.name,
        slug=experiment.slug,
        status=experiment.status,
        subject=experiment.subject,
        primary_metric=experiment.primary_metric,
        start_at=experiment.start_at,
        stop_at=experiment.stop_at,
        generated_at=timezone.now(),
        alpha=alpha,
        mde=mde,
        arms=reports,
        timeline=_timeline(arms, exposed, converted),
        warnings=[],
        sample_size_per_arm=sample_size,
        sample_ratio_p=stats.sample_ratio_mismatch([r.enrolled for r in reports], [r.weight for r in reports]),
    )
    report.warnings = _warnings(experiment, report)
    return report


def _first_events(experiment: Experiment, arms) -> tuple[dict, dict]:
    """Each arm's shoppers with their first exposure, and the first outcome times per (arm, metric)."""
    # First exposure per shopper (a shopper is in one arm) and first outcome per shopper and kind.
    first_seen = list(
        experiment.exposures.values("arm_id", "shopper_key").annotate(first=Min("created_at")).order_by()
    )
    first_outcome = list(
        experiment.outcomes.values("arm_id", "kind", "shopper_key").annotate(first=Min("created_at")).order_by()
    )
    exposed: dict[int, dict[str, datetime]] = {arm.id: {} for arm in arms}
    for row in first_seen:
        exposed.setdefault(row["arm_id"], {})[row["shopper_key"]] = row["first"]
    converted: dict[tuple[int, str], list[datetime]] = {(arm.id, metric): [] for arm in arms for metric in METRICS}
    for row in first_outcome:
        # Outcomes are only attributed after an exposure; the check keeps hand-made data honest too.
        if row["shopper_key"] in exposed.get(row["arm_id"], {}):
            converted.setdefault((row["arm_id"], row["kind"]), []).append(row["first"])
    return exposed, converted


def _arm_reports(experiment: Experiment, arms, exposed: dict, converted: dict, alpha: float) -> list[ArmReport]:
    enrolled = dict(
        experiment.assignments.values("arm_id").annotate(n=Count("id")).values_list("arm_id", "n").order_by()
    )
    exposure_totals = {
        row["arm_id"]: row
        for row in experiment.exposures.values("arm_id").annotate(n=Count("id"), shown=Sum("product_count")).order_by()
    }
    reports = []
    for arm in arms:
        trials = len(exposed[arm.id])
        totals = exposure_totals.get(arm.id, {})
        reports.append(
            ArmReport(
                name=arm.name,
                is_control=arm.is_control,
                weight=arm.weight,
                restyle=arm.restyle,
                personalise=arm.personalise,
                enrolled=enrolled.get(arm.id, 0),
                exposed_shoppers=trials,
                exposures=totals.get("n", 0),
                impressions=totals.get("shown") or 0,
                rates={metric: stats.rate(len(converted[(arm.id, metric)]), trials, 1 - alpha) for metric in METRICS},
            )
        )
    return reports


def _timeline(arms, exposed, converted) -> dict[str, list[TimelinePoint]]:
    """Cumulative exposed shoppers and converters per arm at the end of each day."""
    moments = [moment for per_arm in exposed.values() for moment in per_arm.values()]
    if not moments:
        return {arm.name: [] for arm in arms}
    first_day = timezone.localdate(min(moments))
    last_day = timezone.localdate(max(moments + [m for ms in converted.values() for m in ms]))
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]

    def cumulative(moments_list: list[datetime]) -> list[int]:
        per_day: dict[date, int] = {}
        for moment in moments_list:
            day = timezone.localdate(moment)
            per_day[day] = per_day.get(day, 0) + 1
        running, out = 0, []
        for day in days:
            running += per_day.get(day, 0)
            out.append(running)
        return out

    timeline = {}
    for arm in arms:
        exposed_counts = cumulative(list(exposed[arm.id].values()))
        metric_counts = {metric: cumulative(converted[(arm.id, metric)]) for metric in METRICS}
        timeline[arm.name] = [
            TimelinePoint(day, exposed_counts[i], {metric: metric_counts[metric][i] for metric in METRICS})
            for i, day in enumerate(days)
        ]
    return timeline


def _warnings(experiment: Experiment, report: ExperimentReport) -> list[str]:
    warnings = []
    control = report.control
    if control is None:
        warnings.append(_("No arm is marked as the control, so there is no lift or test."))
    if not any(arm.exposed_shoppers for arm in report.arms):
        warnings.append(_("No shopper has been exposed yet."))
        return warnings
    for arm in report.treatments:
        for metric, comparison in arm.comparisons.items():
            if comparison.verdict != "too_small":
                continue
            message = _(
                "%(metric)s, %(arm)s vs %(control)s: too little data to conclude; each arm needs at least "
                "%(min)d shoppers who did it and %(min)d who did not."
            ) % {"metric": METRIC_LABELS[metric], "arm": arm.name, "control": control.name, "min": stats.MIN_EVENTS}
            needed = report.sample_size_per_arm.get(metric)
            if needed:
                message += " " + _(
                    "Detecting a %(mde)d%% relative lift at the control's rate needs about %(n)s exposed shoppers "
                    "per arm (smallest arm now: %(have)s)."
                ) % {
                    "mde": round(report.mde * 100),
                    "n": f"{needed:,}",
                    "have": f"{min(a.exposed_shoppers for a in report.arms):,}",
                }
            warnings.append(message)
    if report.sample_ratio_p is not None and report.sample_ratio_p < SRM_ALPHA:
        warnings.append(
            _(
                "The arms' sizes do not match the traffic weights (sample ratio mismatch, p = %(p).2g): check "
                "that assignment and exposure recording work the same in every arm, or whether the split "
                "was changed during the run."
            )
            % {"p": report.sample_ratio_p}
        )
    if len(report.treatments) > 1:
        warnings.append(
            _(
                "Several arms are compared with the control: with more comparisons, one of them reaches p < "
                "%(alpha)s by chance more often. Divide alpha by the number of comparisons to be safe."
            )
            % {"alpha": report.alpha}
        )
    if experiment.status == ExperimentStatus.RUNNING:
        warnings.append(
            _(
                "The experiment is still running: stopping as soon as p dips below %(alpha)s (peeking) inflates "
                "false positives. Decide at the sample size you planned."
            )
            % {"alpha": report.alpha}
        )
    return warnings
