"""Sanity-check similarity measures on hand-made maps."""

from __future__ import annotations

import numpy as np
import pytest

from licnn.metrics.similarity import (
    SIMILARITY_KEYS,
    compare_maps,
    hog_features,
    hog_pearson,
    hog_spearman,
    normalise_map,
    spearman_abs,
    spearman_signed,
    ssim,
)

SIGNED = np.array([[1.0, -2.0], [3.0, -4.0]])  # |values| 1, 2, 3, 4


def stripes(vertical: bool, size: int = 64) -> np.ndarray:
    """A map with one bright band: vertical edges (vertical=True) or horizontal ones."""
    saliency = np.zeros((size, size))
    saliency[:, 20:40] = 1.0
    return saliency if vertical else saliency.T.copy()


def test_normalise_map_absolute_and_signed():
    saliency = np.array([[-2.0, 1.0], [0.0, 4.0]])
    np.testing.assert_allclose(normalise_map(saliency), [[0.5, 0.25], [0.0, 1.0]])
    np.testing.assert_allclose(normalise_map(saliency, absolute=False), [[0.0, 0.5], [1 / 3, 1.0]])


def test_normalise_constant_map_gives_zeros():
    np.testing.assert_array_equal(normalise_map(np.full((3, 2), -7.0)), np.zeros((3, 2)))


def test_normalise_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        normalise_map(np.array([[0.0, np.nan]]))


def test_spearman_abs_ignores_sign_and_signed_does_not():
    assert spearman_abs(SIGNED, -SIGNED) == pytest.approx(1.0)
    assert spearman_signed(SIGNED, -SIGNED) == pytest.approx(-1.0)


def test_spearman_hand_computed():
    # ranks 1 2 3 4 vs 1 3 2 4: sum d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[10.0, 30.0], [20.0, 40.0]])
    assert spearman_signed(a, b) == pytest.approx(0.8)
    assert spearman_abs(a, b) == pytest.approx(0.8)


@pytest.mark.filterwarnings("error")
def test_constant_map_gives_zero_correlation_without_warning():
    constant = np.zeros((64, 64))
    other = np.arange(64 * 64, dtype=float).reshape(64, 64)
    assert spearman_abs(constant, other) == 0.0
    assert spearman_signed(other, constant) == 0.0
    assert hog_pearson(constant, other) == 0.0
    assert hog_spearman(constant, other) == 0.0


def test_hog_feature_length_for_16px_cells():
    # 64 px / 16 = 4 cells a side; 3x3-cell blocks: 2 x 2 blocks x 9 cells x 9 orientations
    assert hog_features(np.random.default_rng(0).random((64, 64))).shape == (324,)


def test_hog_similarity_is_one_for_rescaled_copy():
    saliency = np.random.default_rng(1).random((64, 64))
    assert hog_pearson(saliency, 3 * saliency + 1) == pytest.approx(1.0)
    assert hog_spearman(saliency, 3 * saliency + 1) == pytest.approx(1.0)


def test_hog_of_orthogonal_edges_is_negatively_correlated():
    # gradients fall in different orientation bins: disjoint supports give a negative Pearson r
    assert hog_pearson(stripes(True), stripes(False)) < 0
    assert hog_spearman(stripes(True), stripes(False)) < 0


def test_ssim_of_rescaled_copy_is_one_and_of_other_map_is_less():
    assert ssim(stripes(True), 5 * stripes(True)) == pytest.approx(1.0)
    assert ssim(stripes(True), stripes(False)) < 0.9


def test_compare_maps_keys_and_identical_maps():
    saliency = np.random.default_rng(2).random((64, 64))
    result = compare_maps(saliency, saliency)
    assert tuple(result) == SIMILARITY_KEYS
    assert tuple(result) == (
        "spearman_abs",
        "spearman_signed",
        "hog_pearson",
        "hog_spearman",
        "ssim",
    )
    for value in result.values():
        assert value == pytest.approx(1.0)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="same shape"):
        compare_maps(np.zeros((8, 8)), np.zeros((8, 9)))
