"""Localisation and salient-object metrics on plain arrays.

Conventions shared by every function here:

- A map is a 2-D array ``(H, W)`` of any real values; row ``i`` is ``y``, column ``j`` is ``x``.
- Pixel ``(i, j)`` is the point ``(x=j, y=i)`` (its centre, in pixels). A box is
  ``(x0, y0, x1, y1)`` in the same pixel coordinates, both ends included; ``boxes`` is an
  ``(M, 4)`` array, and a pixel is "in the boxes" when it is in at least one of them.
- Salient-object metrics first min-max normalise the map to [0, 1] (sign kept); a constant
  map becomes all zeros. Masks are binary (any non-zero value counts as object).

Edge cases never give NaN: a ratio with an empty denominator is defined in each docstring.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from licnn.metrics.similarity import normalise_map

#: F-measure weight of precision used in salient object detection (Achanta et al. 2009).
BETA2 = 0.3


def _as_map(saliency: ArrayLike) -> NDArray[np.float64]:
    """The map as a float array, checked to be 2-D."""
    values = np.asarray(saliency, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"saliency map must be 2-D (H, W), got shape {values.shape}")
    return values


def _as_boxes(boxes: ArrayLike) -> NDArray[np.float64]:
    """Boxes as an ``(M, 4)`` float array (``M`` may be 0)."""
    values = np.asarray(boxes, dtype=np.float64)
    if values.size == 0:
        return values.reshape(0, 4)
    if values.ndim == 1 and values.shape[0] == 4:
        values = values[None, :]
    if values.ndim != 2 or values.shape[1] != 4:
        raise ValueError(f"boxes must be an (M, 4) array of x0, y0, x1, y1, got {values.shape}")
    return values


def _as_mask(mask: ArrayLike, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """A binary mask of the map's shape (non-zero is object)."""
    values = np.asarray(mask) != 0
    if values.shape != shape:
        raise ValueError(f"mask shape {values.shape} does not match map shape {shape}")
    return values


def _ratio(numerator: ArrayLike, denominator: ArrayLike) -> NDArray[np.float64]:
    """Element-wise ``numerator / denominator``, 0 where the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _f_beta(precision: ArrayLike, recall: ArrayLike, beta2: float) -> NDArray[np.float64]:
    """F-beta from precision and recall, 0 where both are 0."""
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    return _ratio((1 + beta2) * p * r, beta2 * p + r)


# --- localisation (boxes) ---------------------------------------------------------------


def box_distance(x: float, y: float, boxes: ArrayLike) -> NDArray[np.float64]:
    """Euclidean distance in pixels from point ``(x, y)`` to each box (0 inside or on the edge)."""
    b = _as_boxes(boxes)
    dx = np.maximum.reduce([b[:, 0] - x, np.zeros(len(b)), x - b[:, 2]])
    dy = np.maximum.reduce([b[:, 1] - y, np.zeros(len(b)), y - b[:, 3]])
    return np.hypot(dx, dy)


def pointing_game(saliency: ArrayLike, boxes: ArrayLike, tolerance: float = 15) -> bool:
    """Hit when the map's maximum lies within ``tolerance`` pixels of a box of the class.

    The maximum is the first ``argmax`` in row-major order (top-most, then left-most, among
    ties). Its distance to a box is the Euclidean distance to the nearest point of the box,
    0 inside it; a hit needs distance <= ``tolerance`` for at least one box. No boxes: a miss.
    ``tolerance=15`` is the pointing game's usual value (Zhang et al. 2016).
    """
    values = _as_map(saliency)
    b = _as_boxes(boxes)
    if len(b) == 0 or values.size == 0:
        return False
    i, j = np.unravel_index(int(np.argmax(values)), values.shape)
    return bool(np.any(box_distance(float(j), float(i), b) <= tolerance))


def boxes_to_mask(boxes: ArrayLike, shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Boolean ``(H, W)`` mask of the pixels whose centre lies in at least one box (ends included)."""
    b = _as_boxes(boxes)
    height, width = shape
    ys = np.arange(height, dtype=np.float64)[:, None]
    xs = np.arange(width, dtype=np.float64)[None, :]
    mask = np.zeros((height, width), dtype=bool)
    for x0, y0, x1, y1 in b:
        mask |= (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
    return mask


def energy_in_boxes(saliency: ArrayLike, boxes: ArrayLike) -> float:
    """Share of the map's positive energy inside the boxes, in [0, 1].

    Exactly ``sum(max(map, 0) inside the union of boxes) / sum(max(map, 0))``; 0.0 when the
    map has no positive mass.
    """
    values = _as_map(saliency)
    positive = np.maximum(values, 0.0)
    total = float(positive.sum())
    if total <= 0:
        return 0.0
    return float(positive[boxes_to_mask(boxes, values.shape)].sum()) / total


def threshold_map(saliency: ArrayLike, threshold: float = 0.5) -> NDArray[np.bool_]:
    """Pixels with value >= ``threshold`` x the map's maximum; empty when the maximum is <= 0."""
    values = _as_map(saliency)
    peak = float(values.max()) if values.size else 0.0
    if peak <= 0:
        return np.zeros(values.shape, dtype=bool)
    return values >= threshold * peak


def box_iou(saliency: ArrayLike, boxes: ArrayLike, threshold: float = 0.5) -> float:
    """IoU of :func:`threshold_map` ``(saliency, threshold)`` and the union of the boxes; 0.0 if both empty."""
    values = _as_map(saliency)
    predicted = threshold_map(values, threshold)
    target = boxes_to_mask(boxes, values.shape)
    union = int(np.count_nonzero(predicted | target))
    if union == 0:
        return 0.0
    return int(np.count_nonzero(predicted & target)) / union


# --- salient object detection (masks) ---------------------------------------------------


def f_measure_curve(
    saliency: ArrayLike, mask: ArrayLike, beta2: float = BETA2, n_thresholds: int = 256
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Precision, recall and F-beta of the normalised map at ``n_thresholds`` thresholds.

    The map is min-max normalised to [0, 1]; threshold ``t`` (``linspace(0, 1, n_thresholds)``)
    predicts the pixels with value >= ``t``. Precision is 0 when nothing is predicted, recall
    is 0 when the mask is empty, F is 0 when precision and recall are both 0. A constant map
    predicts every pixel at ``t = 0`` and none above.
    Returns three arrays of length ``n_thresholds``, in the order of the thresholds.
    """
    values = normalise_map(_as_map(saliency), absolute=False)
    target = _as_mask(mask, values.shape)
    if n_thresholds < 1:
        raise ValueError(f"n_thresholds must be >= 1, got {n_thresholds}")
    thresholds = np.linspace(0.0, 1.0, n_thresholds)
    all_sorted = np.sort(values, axis=None)
    object_sorted = np.sort(values[target], axis=None)
    predicted = all_sorted.size - np.searchsorted(all_sorted, thresholds, side="left")
    true_positive = object_sorted.size - np.searchsorted(object_sorted, thresholds, side="left")
    precision = _ratio(true_positive, predicted)
    recall = _ratio(true_positive, np.full(n_thresholds, object_sorted.size))
    return precision, recall, _f_beta(precision, recall, beta2)


def max_f_measure(
    saliency: ArrayLike, mask: ArrayLike, beta2: float = BETA2, n_thresholds: int = 256
) -> float:
    """Largest F-beta over the thresholds of :func:`f_measure_curve`, for one image."""
    return float(f_measure_curve(saliency, mask, beta2, n_thresholds)[2].max())


def dataset_max_f_measure(
    pairs: Iterable[tuple[ArrayLike, ArrayLike]], beta2: float = BETA2, n_thresholds: int = 256
) -> float:
    """Benchmark max F-beta of ``(map, mask)`` pairs: mean precision and recall, then max F.

    Precision and recall are averaged over the images at each threshold first, F-beta is
    computed from the two mean curves, and the maximum over thresholds is returned (the
    usual salient-object-detection convention). This differs from averaging
    :func:`max_f_measure` per image, which lets every image pick its own threshold.
    """
    precisions, recalls = [], []
    for saliency, mask in pairs:
        p, r, _ = f_measure_curve(saliency, mask, beta2, n_thresholds)
        precisions.append(p)
        recalls.append(r)
    if not precisions:
        raise ValueError("dataset_max_f_measure needs at least one (map, mask) pair")
    f = _f_beta(np.mean(precisions, axis=0), np.mean(recalls, axis=0), beta2)
    return float(f.max())


def adaptive_f_measure(saliency: ArrayLike, mask: ArrayLike, beta2: float = BETA2) -> float:
    """F-beta at the adaptive threshold ``min(2 x mean of the normalised map, 1)``.

    Pixels with normalised value >= the threshold are predicted (Achanta et al. 2009);
    the same zero rules as :func:`f_measure_curve` apply.
    """
    values = normalise_map(_as_map(saliency), absolute=False)
    target = _as_mask(mask, values.shape)
    threshold = min(2.0 * float(values.mean()), 1.0) if values.size else 1.0
    predicted = values >= threshold
    true_positive = np.count_nonzero(predicted & target)
    precision = _ratio(true_positive, np.count_nonzero(predicted))
    recall = _ratio(true_positive, np.count_nonzero(target))
    return float(_f_beta(precision, recall, beta2))


def mae(saliency: ArrayLike, mask: ArrayLike) -> float:
    """Mean absolute error between the min-max normalised map and the binary mask, in [0, 1]."""
    values = normalise_map(_as_map(saliency), absolute=False)
    target = _as_mask(mask, values.shape)
    if values.size == 0:
        return 0.0
    return float(np.mean(np.abs(values - target)))


def centre_prior(shape: tuple[int, int], sigma: float = 0.25) -> NDArray[np.float64]:
    """Isotropic Gaussian centred on the image, peak 1; ``sigma`` is a fraction of the shorter side.

    The centre is ``((H - 1) / 2, (W - 1) / 2)`` in pixel coordinates. It is the baseline
    "method" that knows nothing about the image.
    """
    height, width = shape
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    s = sigma * min(height, width)
    ys = np.arange(height, dtype=np.float64)[:, None] - (height - 1) / 2
    xs = np.arange(width, dtype=np.float64)[None, :] - (width - 1) / 2
    return np.exp(-(xs**2 + ys**2) / (2 * s**2))


def top_mass_share(saliency: ArrayLike, fraction: float = 0.1) -> float:
    """Share of the map's positive mass held by its top ``fraction`` of pixels, in [0, 1].

    ``ceil(fraction x pixels)`` pixels with the largest values count. A map spread evenly
    gives about ``fraction``; a map on a single pixel gives 1. 0.0 when nothing is positive.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    positive = np.maximum(_as_map(saliency), 0.0).ravel()
    total = float(positive.sum())
    if total <= 0:
        return 0.0
    count = math.ceil(fraction * positive.size)
    top = np.partition(positive, positive.size - count)[positive.size - count :]
    return float(top.sum()) / total


def mass_in_mask(saliency: ArrayLike, mask: ArrayLike) -> float:
    """Share of the map's positive mass on the mask's pixels (mask non-zero), in [0, 1]; 0.0
    when nothing is positive. Compare it with the mask's area share, ``mask.mean()``."""
    values = _as_map(saliency)
    region = np.asarray(mask) != 0
    if region.shape != values.shape:
        raise ValueError(f"mask shape {region.shape} does not match map shape {values.shape}")
    positive = np.maximum(values, 0.0)
    total = float(positive.sum())
    if total <= 0:
        return 0.0
    return float(positive[region].sum()) / total
