"""Statistics for A/B experiment reports: pure numbers, no Django.

Method (see docs/experiments.md):
- A rate is successes / trials where a trial is one exposed shopper (the unit that was
  randomised), so trials are independent.
- Its 95% confidence interval is the Wilson score interval (scipy's ``binomtest(...).proportion_ci``
  with ``method="wilson"``): unlike the plain normal (Wald) interval it stays inside [0, 1] and keeps
  its coverage for small samples and rates near zero, which is where shop conversion rates live.
- Arms are compared with the pooled two-proportion z-test (two-sided). The absolute difference gets
  Newcombe's hybrid score interval, built from the two Wilson intervals.
- A comparison is "too small to conclude" unless every arm has at least ``MIN_EVENTS`` successes and
  ``MIN_EVENTS`` failures, the usual condition for the normal approximation behind the z-test.
- ``required_sample_size`` is the classic per-arm sample size for a two-sided two-proportion test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# scipy.stats is imported inside the functions: it is slow to import and only reports need it.

CONFIDENCE = 0.95
ALPHA = 0.05
MIN_EVENTS = 10


@dataclass(frozen=True)
class Rate:
    """A proportion with its Wilson interval."""

    successes: int
    trials: int
    value: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def enough_data(self) -> bool:
        return has_enough_events(self.successes, self.trials)


@dataclass(frozen=True)
class Comparison:
    """A treatment rate against the control rate."""

    control: Rate
    treatment: Rate
    difference: float | None  # treatment - control, absolute
    difference_ci_low: float | None
    difference_ci_high: float | None
    relative_lift: float | None  # (treatment - control) / control
    z: float | None
    p_value: float | None
    enough_data: bool
    significant: bool  # p < alpha and enough data

    @property
    def verdict(self) -> str:
        """One of "too_small", "significant", "not_significant"."""
        if not self.enough_data:
            return "too_small"
        return "significant" if self.significant else "not_significant"


def _check_counts(successes: int, trials: int) -> None:
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"Need 0 <= successes <= trials, got {successes} of {trials}.")


def wilson_interval(successes: int, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval for successes/trials; (0, 1) when there are no trials."""
    _check_counts(successes, trials)
    if trials == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    interval = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def rate(successes: int, trials: int, confidence: float = CONFIDENCE) -> Rate:
    _check_counts(successes, trials)
    if trials == 0:
        return Rate(successes, trials, None, None, None)
    low, high = wilson_interval(successes, trials, confidence)
    return Rate(successes, trials, successes / trials, low, high)


def two_proportion_z_test(
    control_successes: int, control_trials: int, treatment_successes: int, treatment_trials: int
) -> tuple[float, float] | None:
    """(z, two-sided p) of the pooled two-proportion z-test; None when an arm has no trials.

    z is positive when the treatment rate is higher. Equal-and-degenerate rates (both 0% or both
    100%) give z = 0, p = 1: there is no evidence of a difference.
    """
    _check_counts(control_successes, control_trials)
    _check_counts(treatment_successes, treatment_trials)
    if control_trials == 0 or treatment_trials == 0:
        return None
    p_control = control_successes / control_trials
    p_treatment = treatment_successes / treatment_trials
    pooled = (control_successes + treatment_successes) / (control_trials + treatment_trials)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / control_trials + 1 / treatment_trials))
    if standard_error == 0:
        return 0.0, 1.0
    from scipy.stats import norm

    z = (p_treatment - p_control) / standard_error
    return z, float(2 * norm.sf(abs(z)))


def relative_lift(control_rate: float | None, treatment_rate: float | None) -> float | None:
    """(treatment - control) / control; None when the control rate is zero or unknown."""
    if control_rate is None or treatment_rate is None or control_rate == 0:
        return None
    return (treatment_rate - control_rate) / control_rate


def newcombe_difference_interval(
    control_successes: int,
    control_trials: int,
    treatment_successes: int,
    treatment_trials: int,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval for treatment rate - control rate (his method 10)."""
    if control_trials == 0 or treatment_trials == 0:
        return None
    p1, p2 = control_successes / control_trials, treatment_successes / treatment_trials
    l1, u1 = wilson_interval(control_successes, control_trials, confidence)
    l2, u2 = wilson_interval(treatment_successes, treatment_trials, confidence)
    difference = p2 - p1
    low = difference - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = difference + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return low, high


def has_enough_events(successes: int, trials: int, minimum: int = MIN_EVENTS) -> bool:
    """At least ``minimum`` successes and ``minimum`` failures: the normal approximation holds."""
    return successes >= minimum and trials - successes >= minimum


def compare(
    control_successes: int,
    control_trials: int,
    treatment_successes: int,
    treatment_trials: int,
    *,
    alpha: float = ALPHA,
    min_events: int = MIN_EVENTS,
) -> Comparison:
    control = rate(control_successes, control_trials, 1 - alpha)
    treatment = rate(treatment_successes, treatment_trials, 1 - alpha)
    test = two_proportion_z_test(control_successes, control_trials, treatment_successes, treatment_trials)
    interval = newcombe_difference_interval(
        control_successes, control_trials, treatment_successes, treatment_trials, 1 - alpha
    )
    enough = has_enough_events(control_successes, control_trials, min_events) and has_enough_events(
        treatment_successes, treatment_trials, min_events
    )
    z, p_value = test if test else (None, None)
    difference = None if control.value is None or treatment.value is None else treatment.value - control.value
    return Comparison(
        control=control,
        treatment=treatment,
        difference=difference,
        difference_ci_low=interval[0] if interval else None,
        difference_ci_high=interval[1] if interval else None,
        relative_lift=relative_lift(control.value, treatment.value),
        z=z,
        p_value=p_value,
        enough_data=enough,
        significant=bool(enough and p_value is not None and p_value < alpha),
    )


def required_sample_size(
    control_rate: float, relative_mde: float, *, alpha: float = ALPHA, power: float = 0.8
) -> int | None:
    """Shoppers needed per arm to detect a relative lift of ``relative_mde`` (e.g. 0.1 = +10%).

    The standard formula for a two-sided two-proportion z-test:
    n = (z_{1-a/2} * sqrt(2 p̄ (1 - p̄)) + z_{power} * sqrt(p1 (1 - p1) + p2 (1 - p2)))² / (p2 - p1)².
    None when the rates make it undefined (control rate 0 or 1, or a target rate outside (0, 1)).
    """
    p1 = control_rate
    p2 = control_rate * (1 + relative_mde)
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        return None
    from scipy.stats import norm

    mean = (p1 + p2) / 2
    z_alpha = norm.ppf(1 - alpha / 2)
    z_power = norm.ppf(power)
    numerator = (z_alpha * math.sqrt(2 * mean * (1 - mean)) + z_power * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return math.ceil(numerator / (p2 - p1) ** 2)


def sample_ratio_mismatch(observed: list[int], weights: list[float]) -> float | None:
    """p-value of a chi-square goodness-of-fit test of the arm sizes against the configured split.

    A very small p (below 0.001, say) means shoppers did not land in the arms as configured: a
    bug in assignment or in recording, or a split changed during the run. None when undefined.
    """
    from scipy.stats import chisquare

    total, weight_total = sum(observed), sum(weights)
    if total == 0 or weight_total <= 0 or len(observed) < 2 or any(w <= 0 for w in weights):
        return None
    expected = [total * w / weight_total for w in weights]
    return float(chisquare(observed, expected).pvalue)
