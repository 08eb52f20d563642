"""The salient-object-detection measures the field reports, on plain arrays.

One image: :func:`sod_scores` gives everything for a map already resized to its mask; many
images: :func:`aggregate_sod` turns the per-image results into the dataset's numbers. The
measures, written here from their papers' definitions (the maintained implementation,
``pysodmetrics``, pins ``numpy<2.3.5``, which the lock's numpy does not satisfy, so it
cannot be a dependency without ``pip check`` failing; the tests use it as an oracle where
it is installed, and the values agree to rounding):

- **F-measure** (beta^2 = 0.3) over 256 thresholds, and at the adaptive threshold
  ``min(2 x mean, 1)``: :func:`licnn.metrics.localisation.f_measure_curve` and
  :func:`~licnn.metrics.localisation.adaptive_f_measure`;
- **S-measure** (Fan et al., ICCV 2017): :func:`s_measure`;
- **E-measure** (Fan et al., IJCAI 2018) over the same 256 thresholds and at the adaptive
  one: :func:`e_measure_curve`, :func:`adaptive_e_measure`;
- **weighted F-measure** (Margolin et al., CVPR 2014): :func:`weighted_f_measure`;
- **MAE**: :func:`licnn.metrics.localisation.mae`.

Every map is min-max normalised to [0, 1] first (a constant map becomes zeros) and every
mask is binary (non-zero is object), as in :mod:`licnn.metrics.localisation`. Threshold
``t`` predicts the pixels with normalised value >= ``t``, ``t`` in ``linspace(0, 1, 256)``
(the same as the toolkits' 8-bit levels 0..255).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from licnn.metrics.localisation import (
    BETA2,
    _as_map,
    _as_mask,
    _f_beta,
    _ratio,
    adaptive_f_measure,
    f_measure_curve,
    mae,
)
from licnn.metrics.similarity import normalise_map

#: Number of thresholds of the F- and E-measure curves.
N_THRESHOLDS = 256
#: Weight of the object-aware term of the S-measure (Fan et al. 2017 use 0.5).
S_ALPHA = 0.5
#: Weighted F-measure's precision weight (Margolin et al. use beta = 1).
WEIGHTED_BETA2 = 1.0


def _prepared(
    saliency: ArrayLike, mask: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    values = normalise_map(_as_map(saliency), absolute=False)
    return values, _as_mask(mask, values.shape)


# --- S-measure --------------------------------------------------------------------------


def _spread(values: NDArray[np.float64]) -> float:
    """Sample standard deviation (n - 1), 0 with fewer than two values."""
    return float(values.std(ddof=1)) if values.size > 1 else 0.0


def _object_similarity(values: NDArray[np.float64]) -> float:
    """How uniformly high ``values`` are: ``2 m / (m^2 + 1 + s)``, 1 only when all are 1."""
    if values.size == 0:
        return 0.0
    m = float(values.mean())
    return 2.0 * m / (m * m + 1.0 + _spread(values))


def _block_ssim(pred: NDArray[np.float64], target: NDArray[np.float64]) -> float:
    """Single-window SSIM of a block: ``4 mx my sxy / ((mx^2 + my^2)(sx^2 + sy^2))``.

    1 when numerator and denominator are both 0 (two constant, equal-or-zero blocks), 0 when
    only the numerator is.
    """
    n = pred.size
    if n == 0:
        return 0.0
    mx, my = float(pred.mean()), float(target.mean())
    if n > 1:
        vx = float(pred.var(ddof=1))
        vy = float(target.var(ddof=1))
        cov = float(((pred - mx) * (target - my)).sum()) / (n - 1)
    else:
        vx = vy = cov = 0.0
    top = 4.0 * mx * my * cov
    bottom = (mx * mx + my * my) * (vx + vy)
    if top != 0:
        return top / bottom
    return 1.0 if bottom == 0 else 0.0


def s_measure(saliency: ArrayLike, mask: ArrayLike, alpha: float = S_ALPHA) -> float:
    """Structure measure (Fan et al. 2017): ``alpha x object-aware + (1 - alpha) x region-aware``.

    *Object-aware*: how uniformly high the map is on the object and how uniformly low on the
    background, :func:`_object_similarity` of the map on the object and of ``1 - map`` on the
    background, weighted by the object's area share. *Region-aware*: the image is cut into
    four blocks at the mask's centroid (its 1-based mean position rounded half up, as
    MATLAB's ``round`` in the authors' code; pysodmetrics rounds the 0-based mean half to
    even instead, which differs for a centroid half-way between pixels; the first column
    block holds columns ``0 .. X-1``) and the blocks' single-window SSIMs of map and mask are averaged
    with the blocks' area shares as weights. An empty mask gives ``1 - mean(map)``, a full
    one ``mean(map)``; the result is clipped at 0.
    """
    values, target = _prepared(saliency, mask)
    if values.size == 0:
        return 0.0
    share = float(target.mean())
    if share == 0:
        return 1.0 - float(values.mean())
    if share == 1:
        return float(values.mean())
    objects = share * _object_similarity(values[target]) + (1 - share) * _object_similarity(
        1.0 - values[~target]
    )
    rows, cols = np.nonzero(target)
    y = int(math.floor(float((rows + 1).mean()) + 0.5))
    x = int(math.floor(float((cols + 1).mean()) + 0.5))
    truth = target.astype(np.float64)
    regions = 0.0
    for ys in (slice(0, y), slice(y, None)):
        for xs in (slice(0, x), slice(x, None)):
            block = values[ys, xs]
            regions += block.size / values.size * _block_ssim(block, truth[ys, xs])
    return max(0.0, alpha * objects + (1 - alpha) * regions)


# --- E-measure --------------------------------------------------------------------------


def _enhanced(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Enhanced alignment ``(1 + 2ab / (a^2 + b^2))^2 / 4`` of two centred values (0 -> 1/4)."""
    return (1.0 + _ratio(2.0 * a * b, a * a + b * b)) ** 2 / 4.0


def _e_from_counts(
    predicted: NDArray[np.float64], hits: NDArray[np.float64], positives: int, n: int
) -> NDArray[np.float64]:
    """E-measure of binary maps from their counts: predicted pixels and predicted object pixels.

    Centred binary map and mask take two values each, so the enhanced-alignment matrix
    takes four and its sum is a weighted sum of them over the confusion counts. The sum is
    divided by ``n - 1``, not ``n``, as in the authors' released code (the paper says the
    mean; the difference is a factor ``n / (n - 1)``, under 1.00001 for a PASCAL-S
    image), so the numbers are comparable with published ones.
    """
    divisor = max(n - 1, 1)
    if positives == 0:
        return (n - predicted) / divisor
    if positives == n:
        return predicted / divisor
    mean_pred, mean_true = predicted / n, positives / n
    on, off = 1.0 - mean_pred, -mean_pred
    t_on, t_off = 1.0 - mean_true, -mean_true
    false_pos = predicted - hits
    misses = positives - hits
    rejections = n - predicted - misses
    total = (
        hits * _enhanced(on, np.full_like(on, t_on))
        + false_pos * _enhanced(on, np.full_like(on, t_off))
        + misses * _enhanced(off, np.full_like(off, t_on))
        + rejections * _enhanced(off, np.full_like(off, t_off))
    )
    return np.asarray(total / divisor, dtype=np.float64)


def e_measure_curve(
    saliency: ArrayLike, mask: ArrayLike, n_thresholds: int = N_THRESHOLDS
) -> NDArray[np.float64]:
    """Enhanced-alignment measure (Fan et al. 2018) of the map binarised at each threshold.

    With the binary map ``F`` and mask ``G`` centred on their means (``f = F - mean F``,
    ``g = G - mean G``), each pixel's alignment is ``xi = 2fg / (f^2 + g^2)``, enhanced to
    ``(1 + xi)^2 / 4``, and the E-measure is its mean (sum over ``n - 1``, see
    :func:`_e_from_counts`). An empty mask gives the share of pixels not predicted, a full
    one the share predicted (same divisor). ``n_thresholds`` values, in the
    order of ``linspace(0, 1, n_thresholds)``.
    """
    values, target = _prepared(saliency, mask)
    thresholds = np.linspace(0.0, 1.0, n_thresholds)
    all_sorted = np.sort(values, axis=None)
    object_sorted = np.sort(values[target], axis=None)
    predicted = all_sorted.size - np.searchsorted(all_sorted, thresholds, side="left")
    hits = object_sorted.size - np.searchsorted(object_sorted, thresholds, side="left")
    return _e_from_counts(
        predicted.astype(np.float64), hits.astype(np.float64), object_sorted.size, values.size
    )


def adaptive_e_measure(saliency: ArrayLike, mask: ArrayLike) -> float:
    """E-measure of the map binarised at the adaptive threshold ``min(2 x mean, 1)``."""
    values, target = _prepared(saliency, mask)
    predicted = values >= min(2.0 * float(values.mean()), 1.0)
    counts = _e_from_counts(
        np.array([float(predicted.sum())]),
        np.array([float((predicted & target).sum())]),
        int(target.sum()),
        values.size,
    )
    return float(counts[0])


# --- weighted F-measure -----------------------------------------------------------------


def _gaussian_kernel(size: int = 7, sigma: float = 5.0) -> NDArray[np.float64]:
    """A normalised ``size x size`` Gaussian kernel (MATLAB's ``fspecial('gaussian')``)."""
    r = np.arange(size, dtype=np.float64) - (size - 1) / 2
    kernel = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))
    return np.asarray(kernel / kernel.sum(), dtype=np.float64)


def weighted_f_measure(
    saliency: ArrayLike, mask: ArrayLike, beta2: float = WEIGHTED_BETA2
) -> float:
    """Weighted F-measure (Margolin et al. 2014) of a non-binary map, in [0, 1].

    The error ``|map - mask|`` is (1) given a dependency between pixels: on the object, an
    error is replaced by its Gaussian-smoothed value (7 x 7, sigma 5, zero padding) where
    that is smaller, the smoothing being done after every background pixel takes the error
    of its nearest object pixel; (2) weighted by location: a background error at distance
    ``d`` from the object counts ``2 - 0.5^(d / 5)`` times. Weighted precision and recall of
    that error give the F-measure with ``beta2`` (1 in the paper). An empty mask gives 0.
    """
    values, target = _prepared(saliency, mask)
    if not target.any():
        return 0.0
    error = np.abs(values - target)
    distance, nearest = ndimage.distance_transform_edt(~target, return_indices=True)
    spread = error[nearest[0], nearest[1]]
    smoothed = ndimage.correlate(spread, _gaussian_kernel(), mode="constant", cval=0.0)
    dependent = np.where(target & (smoothed < error), smoothed, error)
    weights = np.where(target, 1.0, 2.0 - np.exp(np.log(0.5) / 5.0 * distance))
    weighted = dependent * weights
    true_pos = float(target.sum()) - float(weighted[target].sum())
    false_pos = float(weighted[~target].sum())
    recall = 1.0 - float(weighted[target].mean())
    precision = float(_ratio(true_pos, true_pos + false_pos))
    return float(_f_beta(precision, recall, beta2))


# --- one image and a data set -----------------------------------------------------------


def sod_scores(saliency: ArrayLike, mask: ArrayLike) -> dict[str, Any]:
    """Every measure of one map, already resized to its mask: the per-image input of
    :func:`aggregate_sod`.

    Keys: ``precision``, ``recall``, ``f_curve`` and ``e_curve`` (256 thresholds each),
    ``adaptive_f``, ``adaptive_e``, ``s_measure``, ``weighted_f`` and ``mae``.
    """
    precision, recall, f_curve = f_measure_curve(saliency, mask, BETA2, N_THRESHOLDS)
    return {
        "precision": precision,
        "recall": recall,
        "f_curve": f_curve,
        "e_curve": e_measure_curve(saliency, mask),
        "adaptive_f": adaptive_f_measure(saliency, mask),
        "adaptive_e": adaptive_e_measure(saliency, mask),
        "s_measure": s_measure(saliency, mask),
        "weighted_f": weighted_f_measure(saliency, mask),
        "mae": mae(saliency, mask),
    }


def aggregate_sod(
    scores: Sequence[Mapping[str, Any]] | Mapping[str, ArrayLike], beta2: float = BETA2
) -> dict[str, float]:
    """A data set's measures from per-image :func:`sod_scores` (a list, or the stacked arrays).

    The curve measures follow the current toolkits (Fan et al.'s evaluation code and
    ``pysodmetrics``): the per-image F (and E) curves are averaged over the images, then
    ``max_f`` / ``max_e`` is the curve's maximum and ``mean_f`` / ``mean_e`` its mean over the
    256 thresholds. ``max_f_pr`` is the older benchmark convention kept by
    :func:`licnn.metrics.localisation.dataset_max_f_measure`: F of the mean precision and
    mean recall curves, maximised (the value the report gave before). The two differ in
    general: F is not linear in precision and recall. ``adaptive_f``,
    ``adaptive_e``, ``s_measure``, ``weighted_f`` and ``mae`` are means over the images.
    ``n`` is the number of images.
    """
    if isinstance(scores, Mapping):
        stacked = {k: np.asarray(v, dtype=np.float64) for k, v in scores.items() if k != "keys"}
    else:
        if not scores:
            raise ValueError("aggregate_sod needs at least one image's scores")
        stacked = {
            k: np.stack([np.asarray(s[k], dtype=np.float64) for s in scores]) for k in scores[0]
        }
    precision, recall = stacked["precision"], stacked["recall"]
    f_curve = stacked.get("f_curve")
    if f_curve is None:
        f_curve = _f_beta(precision, recall, beta2)
    mean_f_curve = f_curve.mean(axis=0)
    mean_e_curve = stacked["e_curve"].mean(axis=0)
    old = _f_beta(precision.mean(axis=0), recall.mean(axis=0), beta2)
    out = {
        "max_f": float(mean_f_curve.max()),
        "mean_f": float(mean_f_curve.mean()),
        "max_f_pr": float(old.max()),
        "max_e": float(mean_e_curve.max()),
        "mean_e": float(mean_e_curve.mean()),
    }
    for key in ("adaptive_f", "adaptive_e", "s_measure", "weighted_f", "mae"):
        out[key] = float(stacked[key].mean())
    out["n"] = float(precision.shape[0])
    return out
