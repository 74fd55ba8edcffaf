"""The statistics against cases worked out by hand (and published values)."""

from __future__ import annotations

import math

import pytest
from scipy.stats import chi2_contingency

from stylerec_plugin.experiments import stats


def test_wilson_interval_hand_computed():
    # p = 0.1, n = 100, z = 1.959964:
    # centre = (0.1 + z²/200) / (1 + z²/100) = 0.114797
    # half   = z * sqrt(0.1*0.9/100 + z²/40000) / (1 + z²/100) = 0.059568
    low, high = stats.wilson_interval(10, 100)
    assert low == pytest.approx(0.114797 - 0.059568, abs=1e-5)
    assert high == pytest.approx(0.114797 + 0.059568, abs=1e-5)


def test_wilson_interval_at_the_edges_stays_in_range():
    # 0 of 10: upper bound z²/(n + z²) = 3.841459/13.841459 = 0.277533
    assert stats.wilson_interval(0, 10) == pytest.approx((0.0, 0.277533), abs=1e-6)
    assert stats.wilson_interval(10, 10) == pytest.approx((1 - 0.277533, 1.0), abs=1e-6)
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        stats.wilson_interval(11, 10)


def test_two_proportion_z_test_hand_computed():
    # 100/1000 vs 130/1000: pooled p = 0.115, se = sqrt(0.115 * 0.885 * (2/1000)) = 0.0142671
    # z = 0.03 / 0.0142671 = 2.10274, two-sided p = 2 * (1 - Φ(2.10274)) = 0.035488
    z, p = stats.two_proportion_z_test(100, 1000, 130, 1000)
    assert z == pytest.approx(2.10274, abs=1e-4)
    assert p == pytest.approx(0.035488, abs=1e-5)
    z_reversed, p_reversed = stats.two_proportion_z_test(130, 1000, 100, 1000)
    assert z_reversed == pytest.approx(-z) and p_reversed == pytest.approx(p)


def test_z_test_agrees_with_the_uncorrected_chi_square_test():
    z, p = stats.two_proportion_z_test(37, 420, 58, 433)
    chi2, chi_p, _, _ = chi2_contingency([[37, 420 - 37], [58, 433 - 58]], correction=False)
    assert z**2 == pytest.approx(chi2)
    assert p == pytest.approx(chi_p)


def test_z_test_degenerate_cases():
    assert stats.two_proportion_z_test(0, 50, 0, 70) == (0.0, 1.0)
    assert stats.two_proportion_z_test(0, 0, 3, 10) is None
    with pytest.raises(ValueError):
        stats.two_proportion_z_test(5, 0, 3, 10)


def test_relative_lift():
    assert stats.relative_lift(0.10, 0.13) == pytest.approx(0.30)
    assert stats.relative_lift(0.20, 0.15) == pytest.approx(-0.25)
    assert stats.relative_lift(0.0, 0.1) is None
    assert stats.relative_lift(None, 0.1) is None


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873, example 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    low, high = stats.newcombe_difference_interval(48, 80, 56, 70)
    assert low == pytest.approx(0.0524, abs=1e-4)
    assert high == pytest.approx(0.3339, abs=1e-4)


def test_required_sample_size_hand_computed():
    # 10% -> 12% (a 20% relative lift), alpha 0.05 two-sided, power 0.8, p̄ = 0.11:
    # (1.959964 * sqrt(2*0.11*0.89) + 0.841621 * sqrt(0.09 + 0.1056))² / 0.02² = 3840.8 -> 3841
    assert stats.required_sample_size(0.10, 0.20) == 3841
    assert stats.required_sample_size(0.0, 0.2) is None
    assert stats.required_sample_size(0.9, 0.2) is None  # 108% is not a rate


def test_minimum_sample_rule():
    assert stats.has_enough_events(10, 20)
    assert not stats.has_enough_events(9, 1000)  # too few successes
    assert not stats.has_enough_events(995, 1000)  # too few failures


def test_compare_puts_it_together():
    result = stats.compare(100, 1000, 130, 1000)
    assert result.control.value == pytest.approx(0.10)
    assert result.treatment.value == pytest.approx(0.13)
    assert result.difference == pytest.approx(0.03)
    assert result.relative_lift == pytest.approx(0.30)
    assert result.difference_ci_low < 0.03 < result.difference_ci_high
    assert result.difference_ci_low > 0  # significant at 5%, so the interval excludes zero
    assert result.p_value == pytest.approx(0.035488, abs=1e-5)
    assert result.verdict == "significant"


def test_compare_flags_small_samples_even_when_p_is_small():
    # 8/40 vs 0/40: p ≈ 0.003 but the control has no successes: too small to conclude.
    result = stats.compare(0, 40, 8, 40)
    assert result.p_value < 0.01
    assert not result.enough_data
    assert result.verdict == "too_small"
    assert result.relative_lift is None


def test_compare_not_significant():
    result = stats.compare(100, 1000, 110, 1000)
    assert result.verdict == "not_significant"
    assert result.difference_ci_low < 0 < result.difference_ci_high
    assert not math.isnan(result.z)


def test_sample_ratio_mismatch_hand_computed():
    # 5100 vs 4900 against 50/50: chi² = 2 * 100² / 5000 = 4.0, 1 dof, p = 0.0455
    assert stats.sample_ratio_mismatch([5100, 4900], [50, 50]) == pytest.approx(0.0455, abs=1e-4)
    assert stats.sample_ratio_mismatch([2000, 8000], [20, 80]) == pytest.approx(1.0)
    assert stats.sample_ratio_mismatch([0, 0], [1, 1]) is None
