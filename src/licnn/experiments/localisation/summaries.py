"""The report's numbers from per-image localisation scores, with 95% intervals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from licnn.metrics import localisation as metrics
from licnn.metrics.stats import mean_ci, proportion_ci

# --- summaries ----------------------------------------------------------------------------


def summarise_boxes(scores: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Pointing-game accuracy (Wilson 95% interval), mean energy and IoU (bootstrap 95%)."""
    hits = np.asarray(scores["hit"], dtype=bool)
    n = int(hits.size)
    low, high = proportion_ci(int(hits.sum()), n)
    return {
        "n": n,
        "pointing_game": {
            "accuracy": float(hits.mean()) if n else 0.0,
            "hits": int(hits.sum()),
            "low": low,
            "high": high,
            "n": n,
        },
        "energy_in_boxes": mean_ci(scores["energy"]),
        "box_iou": mean_ci(scores["iou"]),
    }


def _f_from_curves(
    precision: NDArray[np.float64], recall: NDArray[np.float64], beta2: float
) -> NDArray[np.float64]:
    """F-beta of mean precision and recall curves (0 where both are 0), along the last axis."""
    num = (1 + beta2) * precision * recall
    den = beta2 * precision + recall
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def dataset_f_measure(
    precision: ArrayLike,
    recall: ArrayLike,
    beta2: float = metrics.BETA2,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Dataset-level max F-beta from per-image curves (N x T), with a bootstrap 95% interval.

    As :func:`licnn.metrics.localisation.dataset_max_f_measure`: precision and recall are averaged over
    the images at each threshold, F is taken of the means, and its maximum is reported
    (with the threshold, in [0, 1], where it is reached). The interval is the percentile
    bootstrap over images (seeded).
    """
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    if p.ndim != 2 or p.shape != r.shape or p.shape[0] == 0:
        raise ValueError(f"need N x T precision and recall curves, got {p.shape} and {r.shape}")
    f = _f_from_curves(p.mean(axis=0), r.mean(axis=0), beta2)
    best = int(np.argmax(f))
    rng = np.random.default_rng(seed)
    samples = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = rng.integers(0, p.shape[0], p.shape[0])
        samples[i] = _f_from_curves(p[idx].mean(axis=0), r[idx].mean(axis=0), beta2).max()
    low, high = np.percentile(samples, [2.5, 97.5]) if p.shape[0] > 1 else (f[best], f[best])
    return {
        "max": float(f[best]),
        "low": float(low),
        "high": float(high),
        "threshold": best / (p.shape[1] - 1) if p.shape[1] > 1 else 0.0,
        "n": int(p.shape[0]),
    }


def summarise_masks(scores: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Dataset max F-measure (beta^2 = 0.3), mean adaptive F-measure and MAE, with 95% intervals."""
    return {
        "n": int(len(scores["mae"])),
        "f_measure": dataset_f_measure(scores["precision"], scores["recall"]),
        "adaptive_f_measure": mean_ci(scores["adaptive_f"]),
        "mae": mean_ci(scores["mae"]),
    }


def paired_f_difference(
    a: Mapping[str, np.ndarray],
    b: Mapping[str, np.ndarray],
    beta2: float = metrics.BETA2,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Max F-measure of ``a`` minus that of ``b`` on the same images, paired bootstrap 95% interval."""
    pa, ra = (np.asarray(a[k], dtype=np.float64) for k in ("precision", "recall"))
    pb, rb = (np.asarray(b[k], dtype=np.float64) for k in ("precision", "recall"))
    if pa.shape != pb.shape:
        raise ValueError(f"paired scores must cover the same images, got {pa.shape} and {pb.shape}")

    def diff(idx: NDArray[np.int64] | slice) -> float:
        fa = _f_from_curves(pa[idx].mean(axis=0), ra[idx].mean(axis=0), beta2).max()
        fb = _f_from_curves(pb[idx].mean(axis=0), rb[idx].mean(axis=0), beta2).max()
        return float(fa - fb)

    rng = np.random.default_rng(seed)
    n = int(pa.shape[0])
    samples = [diff(rng.integers(0, n, n)) for _ in range(n_resamples)]
    low, high = np.percentile(samples, [2.5, 97.5])
    return {"difference": diff(slice(None)), "low": float(low), "high": float(high), "n": int(n)}
