"""Localisation and salient-object metrics on hand-made arrays with hand-worked answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from licnn.metrics.localisation import (
    adaptive_f_measure,
    box_distance,
    box_iou,
    boxes_to_mask,
    centre_prior,
    dataset_max_f_measure,
    energy_in_boxes,
    f_measure_curve,
    mae,
    max_f_measure,
    pointing_game,
    threshold_map,
)

BOX = np.array([[10.0, 10.0, 20.0, 20.0]])  # x0, y0, x1, y1


def peak_at(row: int, col: int, shape: tuple[int, int] = (40, 40)) -> np.ndarray:
    """A zero map with a single 1 at (row, col)."""
    saliency = np.zeros(shape)
    saliency[row, col] = 1.0
    return saliency


# --- pointing game ----------------------------------------------------------------------


def test_pointing_game_peak_inside_box_is_a_hit_even_with_zero_tolerance():
    assert pointing_game(peak_at(15, 12), BOX, tolerance=0)


def test_pointing_game_peak_10px_right_of_box_hits_at_15_and_misses_at_5():
    saliency = peak_at(15, 30)  # x = 30, y = 15: 10 px right of x1 = 20
    assert pointing_game(saliency, BOX, tolerance=15)
    assert pointing_game(saliency, BOX, tolerance=10)
    assert not pointing_game(saliency, BOX, tolerance=5)


def test_pointing_game_uses_euclidean_distance_to_the_box_corner():
    saliency = peak_at(24, 23)  # 3 px right and 4 px below the corner (20, 20): distance 5
    assert pointing_game(saliency, BOX, tolerance=5)
    assert not pointing_game(saliency, BOX, tolerance=4.9)


def test_pointing_game_ties_take_the_first_maximum_in_row_major_order():
    saliency = np.zeros((40, 40))
    saliency[0, 39] = 1.0  # first in row-major order, far from the box
    saliency[15, 15] = 1.0  # inside the box
    assert not pointing_game(saliency, BOX, tolerance=0)


def test_pointing_game_any_box_of_the_class_counts():
    boxes = np.array([[0.0, 0.0, 2.0, 2.0], [30.0, 30.0, 35.0, 35.0]])
    assert pointing_game(peak_at(32, 33), boxes, tolerance=0)


def test_pointing_game_without_boxes_is_a_miss():
    assert not pointing_game(peak_at(1, 1), np.zeros((0, 4)), tolerance=100)


def test_box_distance_is_zero_inside_and_on_the_edge():
    np.testing.assert_allclose(box_distance(15, 20, BOX), [0.0])
    np.testing.assert_allclose(box_distance(0, 0, BOX), [math.hypot(10, 10)])


def test_bad_box_array_is_rejected():
    with pytest.raises(ValueError, match=r"\(M, 4\)"):
        pointing_game(peak_at(1, 1), np.zeros((2, 3)))


# --- box masks, energy, IoU -------------------------------------------------------------


def test_boxes_to_mask_includes_both_ends():
    mask = boxes_to_mask(np.array([[1.0, 2.0, 3.0, 2.0]]), (4, 5))
    expected = np.zeros((4, 5), dtype=bool)
    expected[2, 1:4] = True
    np.testing.assert_array_equal(mask, expected)


def test_boxes_to_mask_uses_pixel_centres_and_unions_boxes():
    boxes = np.array([[0.5, 0.5, 1.5, 1.5], [3.0, 0.0, 3.0, 0.0]])
    mask = boxes_to_mask(boxes, (3, 4))
    assert mask.sum() == 2
    assert mask[1, 1] and mask[0, 3]


def test_energy_of_uniform_map_with_box_on_one_quadrant_is_a_quarter():
    saliency = np.ones((20, 20))
    assert energy_in_boxes(saliency, np.array([[0.0, 0.0, 9.0, 9.0]])) == pytest.approx(0.25)


def test_energy_ignores_negative_values():
    saliency = np.ones((20, 20))
    saliency[10:, 10:] = -5.0  # positive mass 300, of which 100 in the top-left quadrant
    assert energy_in_boxes(saliency, np.array([[0.0, 0.0, 9.0, 9.0]])) == pytest.approx(1 / 3)


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_energy_of_map_without_positive_mass_is_zero(value):
    assert energy_in_boxes(np.full((8, 8), value), np.array([[0.0, 0.0, 7.0, 7.0]])) == 0.0


def test_threshold_map_keeps_values_at_least_threshold_times_max():
    saliency = np.array([[0.0, 1.0], [2.0, 4.0]])
    np.testing.assert_array_equal(threshold_map(saliency, 0.5), [[False, False], [True, True]])
    np.testing.assert_array_equal(threshold_map(saliency, 0.2), [[False, True], [True, True]])


def test_threshold_map_of_non_positive_map_is_empty():
    assert not threshold_map(np.array([[-1.0, 0.0], [-3.0, 0.0]])).any()


def test_box_iou_hand_computed():
    saliency = np.zeros((10, 10))
    saliency[:5, :] = 1.0  # rows 0-4: 50 px
    box = np.array([[0.0, 0.0, 4.0, 9.0]])  # columns 0-4, all rows: 50 px; overlap 25
    assert box_iou(saliency, box) == pytest.approx(25 / 75)
    assert box_iou(saliency, np.array([[0.0, 0.0, 9.0, 4.0]])) == pytest.approx(1.0)


def test_box_iou_empty_prediction_and_no_boxes_is_zero():
    assert box_iou(np.zeros((5, 5)), np.zeros((0, 4))) == 0.0


# --- F-measure and MAE ------------------------------------------------------------------

RAMP = np.array([[0.0, 1.0, 2.0, 3.0, 4.0]])  # normalised: 0, .25, .5, .75, 1
RAMP_MASK = np.array([[0, 0, 1, 1, 1]], dtype=bool)


def test_f_measure_curve_hand_computed():
    precision, recall, f = f_measure_curve(RAMP, RAMP_MASK, beta2=0.3, n_thresholds=5)
    # thresholds 0, .25, .5, .75, 1 predict 5, 4, 3, 2, 1 pixels; 3, 3, 3, 2, 1 are object
    np.testing.assert_allclose(precision, [3 / 5, 3 / 4, 1, 1, 1])
    np.testing.assert_allclose(recall, [1, 1, 1, 2 / 3, 1 / 3])
    assert f[0] == pytest.approx(1.3 * 0.6 / (0.3 * 0.6 + 1))
    assert f[2] == pytest.approx(1.0)
    assert max_f_measure(RAMP, RAMP_MASK, n_thresholds=5) == pytest.approx(1.0)


def test_f_measure_is_invariant_to_affine_rescaling_of_the_map():
    a = max_f_measure(RAMP, RAMP_MASK, n_thresholds=5)
    b = max_f_measure(7 * RAMP - 3, RAMP_MASK, n_thresholds=5)
    assert a == b


def test_perfect_map_has_max_f_measure_one():
    rng = np.random.default_rng(0)
    mask = rng.random((16, 16)) > 0.7
    assert max_f_measure(mask.astype(float), mask) == pytest.approx(1.0)


def test_constant_map_predicts_everything_at_threshold_zero_only():
    mask = np.zeros((4, 4), dtype=bool)
    mask[:2, :2] = True  # a quarter of the pixels
    precision, recall, f = f_measure_curve(np.full((4, 4), 3.0), mask, n_thresholds=4)
    np.testing.assert_allclose(precision, [0.25, 0, 0, 0])
    np.testing.assert_allclose(recall, [1, 0, 0, 0])
    assert max_f_measure(np.full((4, 4), 3.0), mask) == pytest.approx(13 / 43)
    assert np.all(np.isfinite(f))


def test_empty_mask_gives_zero_f_measure_without_nan():
    empty = np.zeros((1, 5), dtype=bool)
    precision, recall, f = f_measure_curve(RAMP, empty, n_thresholds=5)
    assert np.all(precision == 0) and np.all(recall == 0) and np.all(f == 0)
    assert adaptive_f_measure(RAMP, empty) == 0.0


def test_adaptive_threshold_is_twice_the_mean_clipped_to_one():
    # ramp: mean .5, threshold min(1, 1) = 1 -> only the last pixel: P = 1, R = 1/3
    assert adaptive_f_measure(RAMP, RAMP_MASK) == pytest.approx(1.3 / 1.9)
    # [0, 0, 0, 1]: mean .25, threshold .5 -> last pixel; mask of 2 -> P = 1, R = .5
    peak = np.array([[0.0, 0.0, 0.0, 4.0]])
    assert adaptive_f_measure(peak, np.array([[0, 0, 1, 1]])) == pytest.approx(0.65 / 0.8)
    assert adaptive_f_measure(peak, np.array([[0, 0, 0, 1]])) == pytest.approx(1.0)


def test_mae_of_perfect_and_inverted_maps():
    mask = np.array([[0, 1], [1, 0]], dtype=bool)
    assert mae(mask.astype(float) * 5 + 2, mask) == pytest.approx(0.0)
    assert mae((~mask).astype(float), mask) == pytest.approx(1.0)


def test_mae_hand_computed_on_ramp():
    # |0 - 0| + |.25 - 0| + |.5 - 1| + |.75 - 1| + |1 - 1| = 1, over 5 pixels
    assert mae(RAMP, RAMP_MASK) == pytest.approx(0.2)


def test_mae_of_constant_map_is_object_fraction():
    mask = np.array([[1, 0, 0, 0]], dtype=bool)
    assert mae(np.full((1, 4), 9.0), mask) == pytest.approx(0.25)


def test_mask_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="does not match"):
        mae(np.zeros((3, 3)), np.zeros((3, 4)))


def test_dataset_max_f_averages_precision_and_recall_before_the_max():
    good = (np.array([[0.0, 1.0]]), np.array([[0, 1]]))  # t=0: P .5 R 1; t=1: P 1 R 1
    bad = (np.array([[0.0, 1.0]]), np.array([[1, 0]]))  # t=0: P .5 R 1; t=1: P 0 R 0
    # mean curves: t=0: P .5, R 1 -> F = .65/1.15; t=1: P .5, R .5 -> F = .5
    assert dataset_max_f_measure([good, bad], n_thresholds=2) == pytest.approx(13 / 23)
    per_image = np.mean([max_f_measure(*good, n_thresholds=2), max_f_measure(*bad, n_thresholds=2)])
    assert per_image == pytest.approx((1 + 13 / 23) / 2)


def test_dataset_max_f_needs_pairs():
    with pytest.raises(ValueError):
        dataset_max_f_measure([])


# --- centre prior -----------------------------------------------------------------------


def test_centre_prior_peaks_at_the_centre_with_given_width():
    prior = centre_prior((5, 7), sigma=0.25)  # sigma = 0.25 * 5 = 1.25 px, centre (2, 3)
    assert prior.shape == (5, 7)
    assert prior[2, 3] == pytest.approx(1.0)
    assert np.unravel_index(np.argmax(prior), prior.shape) == (2, 3)
    assert prior[2, 4] == pytest.approx(math.exp(-1 / (2 * 1.25**2)))
    assert prior[0, 0] == pytest.approx(math.exp(-(4 + 9) / (2 * 1.25**2)))


def test_centre_prior_of_even_shape_is_symmetric():
    prior = centre_prior((4, 4))
    np.testing.assert_allclose(prior, prior[::-1, ::-1])
    np.testing.assert_allclose(prior, prior.T)
    assert prior[1, 1] == prior[2, 2] < 1.0
