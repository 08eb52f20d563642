"""Confidence intervals and McNemar's test against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from licnn.metrics.stats import bootstrap_ci, holm, mcnemar, mean_ci, proportion_ci

Z95 = 1.959963984540054


def wilson_by_hand(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval written out from its formula."""
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def test_wilson_interval_textbook_value():
    low, high = proportion_ci(8, 10)
    assert (round(low, 2), round(high, 2)) == (0.49, 0.94)
    assert (low, high) == pytest.approx(wilson_by_hand(8, 10))


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (37, 120)])
def test_wilson_interval_matches_formula(k, n):
    assert proportion_ci(k, n) == pytest.approx(wilson_by_hand(k, n))


def test_wilson_interval_other_confidence():
    z90 = 1.6448536269514722
    assert proportion_ci(8, 10, confidence=0.9) == pytest.approx(wilson_by_hand(8, 10, z90))


def test_proportion_ci_edge_cases():
    assert proportion_ci(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        proportion_ci(11, 10)


def test_bootstrap_of_half_ones_is_near_normal_interval():
    values = np.array([0.0, 1.0] * 50)  # mean .5, standard error .05
    low, high = bootstrap_ci(values)
    assert 0.5 - 2.6 * 0.05 < low < 0.5 - 1.4 * 0.05
    assert 0.5 + 1.4 * 0.05 < high < 0.5 + 2.6 * 0.05


def test_bootstrap_is_reproducible_with_a_seed():
    values = np.random.default_rng(3).normal(size=40)
    assert bootstrap_ci(values, seed=1) == bootstrap_ci(values, seed=1)
    assert bootstrap_ci(values, seed=1) != bootstrap_ci(values, seed=2)


@pytest.mark.filterwarnings("error")
def test_bootstrap_degenerate_inputs():
    assert bootstrap_ci([0.7]) == (0.7, 0.7)
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    with pytest.raises(ValueError):
        bootstrap_ci([])


def test_mean_ci_returns_mean_interval_and_size():
    result = mean_ci([1.0, 2.0, 3.0, 4.0])
    assert set(result) == {"mean", "low", "high", "n"}
    assert result["mean"] == 2.5 and result["n"] == 4
    assert 1.0 <= result["low"] < 2.5 < result["high"] <= 4.0


def paired(b: int, c: int, both_right: int = 5, both_wrong: int = 3):
    """Correctness arrays with b (A right, B wrong) and c (A wrong, B right) discordant pairs."""
    a = [True] * b + [False] * c + [True] * both_right + [False] * both_wrong
    bb = [False] * b + [True] * c + [True] * both_right + [False] * both_wrong
    return np.array(a), np.array(bb)


def test_mcnemar_exact_binomial_by_hand():
    # b=2, c=8: p = 2 * P(X <= 2 | 10, 1/2) = 2 * (1 + 10 + 45) / 1024
    result = mcnemar(*paired(2, 8))
    assert (result["b"], result["c"]) == (2, 8)
    assert result["method"] == "exact-binomial"
    assert result["statistic"] == 2.0
    assert result["p_value"] == pytest.approx(112 / 1024)


def test_mcnemar_chi_square_with_continuity_correction_by_hand():
    # b=10, c=25: (|10 - 25| - 1)^2 / 35 = 5.6; chi2(1) tail = erfc(sqrt(5.6 / 2))
    result = mcnemar(*paired(10, 25))
    assert result["method"] == "chi2-continuity"
    assert result["statistic"] == pytest.approx(5.6)
    assert result["p_value"] == pytest.approx(math.erfc(math.sqrt(2.8)))


def test_mcnemar_is_symmetric_and_handles_no_discordance():
    forward, backward = mcnemar(*paired(3, 9)), mcnemar(*paired(9, 3))
    assert forward["p_value"] == pytest.approx(backward["p_value"])
    same = mcnemar(*paired(0, 0))
    assert same["p_value"] == 1.0 and same["statistic"] == 0.0


def test_mcnemar_rejects_unpaired_arrays():
    with pytest.raises(ValueError, match="same length"):
        mcnemar([True, False], [True])


def test_holm_worked_example():
    # p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005, 0.01, 0.03, 0.04, times
    # 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04; running maximum: 0.02, 0.03, 0.06, 0.06.
    # Back in the input's order: [0.03, 0.06, 0.06, 0.02].
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one():
    # m = 3: 0.4 * 3 = 1.2 -> 1, 0.7 * 2 = 1.4 -> 1, 0.9 * 1 = 0.9 -> running max 1.
    assert holm([0.7, 0.4, 0.9]) == pytest.approx([1.0, 1.0, 1.0])


def test_holm_passes_nan_through_and_does_not_count_it():
    # m = 2 (the NaN is left out): 0.02 * 2 = 0.04, 0.5 * 1 = 0.5.
    adjusted = holm([0.02, np.nan, 0.5])
    assert np.isnan(adjusted[1])
    assert adjusted[[0, 2]] == pytest.approx([0.04, 0.5])
    assert np.isnan(holm([np.nan, np.nan])).all()


def test_holm_edge_cases():
    assert holm([]).shape == (0,)
    assert holm([0.2]) == pytest.approx([0.2])  # one test: nothing to adjust
    assert holm([0.01, 0.01]) == pytest.approx([0.02, 0.02])  # ties: one value
    assert holm([[0.01, 0.04], [0.03, 0.005]]) == pytest.approx(
        np.array([[0.03, 0.06], [0.06, 0.02]])
    )
    for bad in ([0.5, 1.5], [-0.1], [np.inf]):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            holm(bad)


@pytest.mark.parametrize("seed", range(5))
def test_holm_properties(seed):
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0, 1, size=12) ** 3  # many small p-values, some ties of rounding
    raw[rng.integers(0, 12, size=2)] = np.nan
    adjusted = holm(raw)
    known = ~np.isnan(raw)
    assert np.array_equal(np.isnan(adjusted), ~known)
    p, a = raw[known], adjusted[known]
    assert np.all(a >= p) and np.all(a <= 1)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(a[order]) >= 0)  # monotone in the sorted order
    # the smallest p-value is multiplied by the number of tests (NaNs not counted)
    assert a[order[0]] == pytest.approx(min(1.0, p.size * p[order[0]]))
