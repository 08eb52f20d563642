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
    """F-beta of precision and recall curves (0 where both are 0), element by element."""
    num = (1 + beta2) * precision * recall
    den = beta2 * precision + recall
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _per_image_f(precision: ArrayLike, recall: ArrayLike, beta2: float) -> NDArray[np.float64]:
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    if p.ndim != 2 or p.shape != r.shape or p.shape[0] == 0:
        raise ValueError(f"need N x T precision and recall curves, got {p.shape} and {r.shape}")
    return _f_from_curves(p, r, beta2)


def dataset_f_measure(
    precision: ArrayLike,
    recall: ArrayLike,
    beta2: float = metrics.BETA2,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Dataset-level max F-beta from per-image curves (N x T), with a bootstrap 95% interval.

    The convention of the salient-object toolkits (``pysodmetrics``, Fan et al.'s evaluation
    code) and of :func:`licnn.metrics.sod.aggregate_sod`'s ``max_f``: each image's F curve is
    computed from its precision and recall at every threshold, the curves are averaged over
    the images, and the maximum of the mean curve is reported, with the threshold (in
    [0, 1]) where it is reached. (Before this report's second round the F of the mean
    precision and mean recall curves was maximised instead, ``max_f_pr`` in
    :func:`summarise_masks`.) The interval is the percentile bootstrap over images (seeded).
    """
    f = _per_image_f(precision, recall, beta2)
    mean = f.mean(axis=0)
    best = int(np.argmax(mean))
    rng = np.random.default_rng(seed)
    n = f.shape[0]
    samples = np.array([f[rng.integers(0, n, n)].mean(axis=0).max() for _ in range(n_resamples)])
    low, high = np.percentile(samples, [2.5, 97.5]) if n > 1 else (mean[best], mean[best])
    return {
        "max": float(mean[best]),
        "low": float(low),
        "high": float(high),
        "threshold": best / (f.shape[1] - 1) if f.shape[1] > 1 else 0.0,
        "n": int(n),
    }


#: Per-image measures :func:`summarise_masks` averages (with bootstrap intervals), by the
#: name of the summary's entry.
_MEAN_MEASURES = {
    "adaptive_f_measure": "adaptive_f",
    "s_measure": "s_measure",
    "adaptive_e_measure": "adaptive_e",
    "weighted_f_measure": "weighted_f",
    "mae": "mae",
}


def summarise_masks(
    scores: Mapping[str, np.ndarray], beta2: float = metrics.BETA2
) -> dict[str, Any]:
    """The data set's salient-object measures with 95% intervals, from per-image scores.

    ``f_measure``: max F-beta (beta^2 = 0.3) by :func:`dataset_f_measure`; ``mean_f_measure``:
    the mean F over the thresholds; ``e_measure``: max and mean E-measure of the mean E curve
    (when the scores have ``e_curve``); ``adaptive_f_measure``, ``s_measure``,
    ``adaptive_e_measure``, ``weighted_f_measure`` and ``mae``: means over images (those the
    scores hold); ``max_f_pr``: the older convention (F of the mean precision and recall).
    Every interval is a seeded percentile bootstrap over images.
    """
    p = np.asarray(scores["precision"], dtype=np.float64)
    r = np.asarray(scores["recall"], dtype=np.float64)
    f = _per_image_f(p, r, beta2)
    out: dict[str, Any] = {
        "n": int(len(scores["mae"])),
        "f_measure": dataset_f_measure(p, r, beta2),
        "mean_f_measure": mean_ci(f.mean(axis=1)),
        "max_f_pr": float(_f_from_curves(p.mean(axis=0), r.mean(axis=0), beta2).max()),
    }
    if "e_curve" in scores:
        e = np.asarray(scores["e_curve"], dtype=np.float64)
        out["e_measure"] = {"max": float(e.mean(axis=0).max()), "mean": mean_ci(e.mean(axis=1))}
    for name, key in _MEAN_MEASURES.items():
        if key in scores:
            out[name] = mean_ci(scores[key])
    return out


def paired_f_difference(
    a: Mapping[str, np.ndarray],
    b: Mapping[str, np.ndarray],
    beta2: float = metrics.BETA2,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Max F-measure of ``a`` minus that of ``b`` on the same images, paired bootstrap 95% interval.

    Max F as in :func:`dataset_f_measure` (the maximum of the mean per-image F curve).
    """
    pa, ra = (np.asarray(a[k], dtype=np.float64) for k in ("precision", "recall"))
    pb, rb = (np.asarray(b[k], dtype=np.float64) for k in ("precision", "recall"))
    if pa.shape != pb.shape:
        raise ValueError(f"paired scores must cover the same images, got {pa.shape} and {pb.shape}")

    fa, fb = _per_image_f(pa, ra, beta2), _per_image_f(pb, rb, beta2)

    def diff(idx: NDArray[np.int64] | slice) -> float:
        return float(fa[idx].mean(axis=0).max() - fb[idx].mean(axis=0).max())

    rng = np.random.default_rng(seed)
    n = int(pa.shape[0])
    samples = [diff(rng.integers(0, n, n)) for _ in range(n_resamples)]
    low, high = np.percentile(samples, [2.5, 97.5])
    return {"difference": diff(slice(None)), "low": float(low), "high": float(high), "n": int(n)}


def first_images(scores: Mapping[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The per-image scores of the first ``n`` images (every array cut along its first axis).

    Benchmarks' samples are nested prefixes (:func:`~licnn.experiments.localisation.sample_records`), so this gives a larger
    run's scores on exactly the images of a smaller one, for paired comparisons.
    """
    return {name: np.asarray(values)[:n] for name, values in scores.items()}
