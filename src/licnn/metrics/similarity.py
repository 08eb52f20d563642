"""Similarity between two saliency maps, for the sanity checks of Adebayo et al. (2018).

Every function takes two 2-D maps of the same shape (any real values, any units) and
returns a float. The maps are compared the way the sanity-check paper compares them:

- ``spearman_abs``: Spearman rank correlation of the absolute values (sign ignored);
- ``spearman_signed``: Spearman rank correlation of the signed values;
- ``hog_pearson`` / ``hog_spearman``: Pearson or Spearman correlation of the HOG
  descriptors of the absolute, [0, 1]-normalised maps (the seed report says Pearson,
  Adebayo et al.'s code uses Spearman; both are given);
- ``ssim``: structural similarity of the absolute, [0, 1]-normalised maps.

A correlation with a constant input is undefined (NaN in SciPy); here it is 0.0, so that a
map wiped out by randomisation counts as "no similarity" instead of breaking a mean.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from skimage.feature import hog
from skimage.metrics import structural_similarity

#: The keys of :func:`compare_maps`, in the order they are returned.
SIMILARITY_KEYS: tuple[str, ...] = (
    "spearman_abs",
    "spearman_signed",
    "hog_pearson",
    "hog_spearman",
    "ssim",
)


def normalise_map(saliency: ArrayLike, absolute: bool = True) -> NDArray[np.float64]:
    """Scale a map to [0, 1] by min-max (after ``abs`` if ``absolute``); a constant map gives zeros.

    Raises ``ValueError`` on NaN or infinite values, which no min-max scaling can place.
    """
    values = np.asarray(saliency, dtype=np.float64)
    if absolute:
        values = np.abs(values)
    if values.size == 0:
        return values.copy()
    if not np.all(np.isfinite(values)):
        raise ValueError("map contains NaN or infinite values")
    low = values.min()
    spread = values.max() - low
    if spread <= 0:
        return np.zeros_like(values)
    return (values - low) / spread


def _pair(a: ArrayLike, b: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Both maps as float arrays, checked to be 2-D and of one shape."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"maps must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim != 2:
        raise ValueError(f"maps must be 2-D (H, W), got shape {a.shape}")
    return a, b


def _is_constant(values: NDArray[np.float64]) -> bool:
    """True when every entry is equal (a correlation with it is undefined)."""
    return values.size == 0 or bool(np.all(values == values.flat[0]))


def _spearman(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Spearman rho of two flat vectors; 0.0 when either is constant."""
    if _is_constant(x) or _is_constant(y):
        return 0.0
    rho = float(stats.spearmanr(x, y).statistic)
    return 0.0 if np.isnan(rho) else rho


def _pearson(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Pearson r of two flat vectors; 0.0 when either is constant."""
    if _is_constant(x) or _is_constant(y):
        return 0.0
    r = float(stats.pearsonr(x, y).statistic)
    return 0.0 if np.isnan(r) else r


def spearman_abs(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation of ``|a|`` and ``|b|`` over all pixels (0.0 if one is constant)."""
    a, b = _pair(a, b)
    return _spearman(normalise_map(a).ravel(), normalise_map(b).ravel())


def spearman_signed(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation of the signed maps over all pixels (0.0 if one is constant)."""
    a, b = _pair(a, b)
    return _spearman(a.ravel(), b.ravel())


def hog_features(
    saliency: ArrayLike, pixels_per_cell: tuple[int, int] = (16, 16)
) -> NDArray[np.float64]:
    """HOG descriptor (skimage defaults, cells of ``pixels_per_cell`` pixels) of the normalised ``|map|``.

    With skimage's 3 x 3-cell blocks the map needs at least 3 cells a side (48 px for 16 px cells).
    """
    values = np.asarray(saliency, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"map must be 2-D (H, W), got shape {values.shape}")
    return hog(normalise_map(values), pixels_per_cell=pixels_per_cell, feature_vector=True)


def hog_pearson(a: ArrayLike, b: ArrayLike, pixels_per_cell: tuple[int, int] = (16, 16)) -> float:
    """Pearson correlation of the two maps' HOG descriptors (the seed report's measure)."""
    a, b = _pair(a, b)
    return _pearson(hog_features(a, pixels_per_cell), hog_features(b, pixels_per_cell))


def hog_spearman(a: ArrayLike, b: ArrayLike, pixels_per_cell: tuple[int, int] = (16, 16)) -> float:
    """Spearman correlation of the two maps' HOG descriptors (Adebayo et al.'s code)."""
    a, b = _pair(a, b)
    return _spearman(hog_features(a, pixels_per_cell), hog_features(b, pixels_per_cell))


def ssim(a: ArrayLike, b: ArrayLike) -> float:
    """Structural similarity of the normalised ``|a|`` and ``|b|`` (data_range 1, 7x7 window)."""
    a, b = _pair(a, b)
    return float(structural_similarity(normalise_map(a), normalise_map(b), data_range=1.0))


def partial_spearman(a: ArrayLike, b: ArrayLike, control: ArrayLike) -> float:
    """Spearman correlation of ``|a|`` and ``|b|`` with ``control`` held fixed (partial rank correlation).

    With the pairwise Spearman correlations ``r_ab``, ``r_ac``, ``r_bc`` over all pixels,
    ``(r_ab - r_ac r_bc) / sqrt((1 - r_ac^2) (1 - r_bc^2))``: the rank correlation of the two
    maps that is left once what each shares with ``control`` (for the sanity checks, a
    fixed centred Gaussian) is taken out. 0.0 when a map is constant, and ``r_ab`` when
    ``control`` is; NaN when a map is a monotone function of ``control`` (nothing is left
    to correlate).
    """
    a, b = _pair(a, b)
    _, c = _pair(a, control)
    x, y, z = normalise_map(a).ravel(), normalise_map(b).ravel(), c.ravel()
    r_ab = _spearman(x, y)
    if _is_constant(x) or _is_constant(y) or _is_constant(z):
        return r_ab
    r_ac, r_bc = _spearman(x, z), _spearman(y, z)
    denominator = (1.0 - r_ac**2) * (1.0 - r_bc**2)
    if denominator <= 1e-12:
        return float("nan")
    return float((r_ab - r_ac * r_bc) / np.sqrt(denominator))


def compare_maps(
    a: ArrayLike, b: ArrayLike, pixels_per_cell: tuple[int, int] = (16, 16)
) -> dict[str, float]:
    """All similarity measures of two maps, keyed as in :data:`SIMILARITY_KEYS`."""
    a, b = _pair(a, b)
    return {
        "spearman_abs": spearman_abs(a, b),
        "spearman_signed": spearman_signed(a, b),
        "hog_pearson": hog_pearson(a, b, pixels_per_cell),
        "hog_spearman": hog_spearman(a, b, pixels_per_cell),
        "ssim": ssim(a, b),
    }
