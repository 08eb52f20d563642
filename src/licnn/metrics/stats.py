"""Confidence intervals and paired tests for the report's accuracies and means.

- :func:`proportion_ci`: Wilson score interval of an accuracy ``k / n``;
- :func:`bootstrap_ci` / :func:`mean_ci`: percentile bootstrap interval of a mean;
- :func:`mcnemar`: paired test of two classifiers' (or two image variants') correctness
  on the same images;
- :func:`holm`: Holm-Bonferroni adjusted p-values, for a family of such tests.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

#: Below this number of discordant pairs, :func:`mcnemar` uses the exact binomial test.
MCNEMAR_EXACT_BELOW = 25


def proportion_ci(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n`` trials; ``(0.0, 1.0)`` when ``n == 0``."""
    if n < 0 or not 0 <= k <= max(n, 0):
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    interval = stats.binomtest(int(k), int(n)).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(interval.low), float(interval.high)


def _values(values: ArrayLike) -> np.ndarray:
    """Values as a flat float array, checked to be non-empty and finite."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size == 0:
        raise ValueError("need at least one value")
    if not np.all(np.isfinite(flat)):
        raise ValueError("values contain NaN or infinite entries")
    return flat


def bootstrap_ci(
    values: ArrayLike, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (seeded, so reproducible).

    With one value, or values all equal, there is nothing to resample: ``(mean, mean)``.
    """
    flat = _values(values)
    mean = float(flat.mean())
    if flat.size < 2 or np.all(flat == flat[0]):
        return mean, mean
    result = stats.bootstrap(
        (flat,),
        np.mean,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return float(interval.low), float(interval.high)


def mean_ci(
    values: ArrayLike, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Mean of the values with its percentile bootstrap interval: keys mean, low, high, n."""
    flat = _values(values)
    low, high = bootstrap_ci(flat, confidence, n_resamples, seed)
    return {"mean": float(flat.mean()), "low": low, "high": high, "n": int(flat.size)}


def mcnemar(
    correct_a: ArrayLike, correct_b: ArrayLike, exact: bool = False
) -> dict[str, float | int | str]:
    """McNemar's paired test of two boolean correctness arrays over the same items.

    ``b`` counts items right under A and wrong under B, ``c`` the reverse. With fewer than
    25 discordant items (``b + c``), or always with ``exact=True``, the p-value is the
    two-sided exact binomial test of ``b`` out of ``b + c`` at 1/2, and the statistic is
    ``min(b, c)``; otherwise it is the chi-square test with continuity correction,
    statistic ``(|b - c| - 1)^2 / (b + c)`` on one degree of freedom. With no discordant
    items: statistic 0, p-value 1.
    Returns a dict with keys b, c, statistic, p_value, method
    (``'exact-binomial'`` or ``'chi2-continuity'``).
    """
    a = np.asarray(correct_a).ravel()
    b_arr = np.asarray(correct_b).ravel()
    if a.shape != b_arr.shape:
        raise ValueError(f"paired arrays must have the same length, got {a.size} and {b_arr.size}")
    a = a.astype(bool)
    b_arr = b_arr.astype(bool)
    b = int(np.count_nonzero(a & ~b_arr))
    c = int(np.count_nonzero(~a & b_arr))
    discordant = b + c
    if exact or discordant < MCNEMAR_EXACT_BELOW:
        p_value = 1.0 if discordant == 0 else stats.binomtest(b, discordant, 0.5).pvalue
        statistic = float(min(b, c))
        method = "exact-binomial"
    else:
        statistic = (abs(b - c) - 1) ** 2 / discordant
        p_value = stats.chi2.sf(statistic, df=1)
        method = "chi2-continuity"
    return {
        "b": b,
        "c": c,
        "statistic": float(statistic),
        "p_value": float(min(p_value, 1.0)),
        "method": method,
    }


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm-Bonferroni (step-down) adjusted p-values, in the order (and shape) of ``pvalues``.

    With the ``m`` p-values sorted, ``p(1) <= ... <= p(m)``, the i-th is adjusted to
    ``max over j <= i of min(1, (m - j + 1) * p(j))``: each is at least its raw value, at most
    1, and they never decrease in the sorted order, so rejecting every hypothesis with an
    adjusted p-value below ``alpha`` keeps the family-wise error rate at ``alpha``. A NaN
    (a test that could not be run) stays NaN and is not counted in ``m``. Ties get the same
    adjusted value whatever their order. Raises ``ValueError`` on a value outside [0, 1].
    """
    values = np.asarray(pvalues, dtype=np.float64)
    flat = values.ravel()
    known = ~np.isnan(flat)
    if np.any((flat[known] < 0) | (flat[known] > 1)):
        raise ValueError("p-values must lie in [0, 1] (or be NaN)")
    adjusted = np.full_like(flat, np.nan)
    index = np.flatnonzero(known)
    order = index[np.argsort(flat[index], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * flat[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted.reshape(values.shape)
