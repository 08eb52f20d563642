"""Masks of controlled area (licnn.imaging.masks) on hand-made arrays."""

import numpy as np
import pytest

from licnn.imaging import masks as mk


def test_top_share_takes_highest_pixels():
    values = np.array([[0.0, 5.0], [3.0, 1.0]])
    assert mk.top_share_mask(values, 0.5).tolist() == [[False, True], [True, False]]
    assert mk.top_share_mask(values, 0.25).tolist() == [[False, True], [False, False]]


def test_top_share_breaks_ties_in_raster_order():
    flat = np.ones((3, 4))
    mask = mk.top_share_mask(flat, 0.5)
    assert mask.sum() == 6
    assert mask.ravel().tolist() == [True] * 6 + [False] * 6


@pytest.mark.parametrize("q", [0.0, 0.1, 0.3, 0.76, 1.0])
def test_areas_are_exact(q):
    rng = np.random.default_rng(1)
    shape = (20, 30)
    n = round(q * 600)
    assert mk.top_share_mask(rng.random(shape), q).sum() == n
    assert mk.disc_mask(shape, q).sum() == n
    assert mk.blob_mask(shape, q, seed=3).sum() == n


def test_bad_share_and_map_are_refused():
    with pytest.raises(ValueError, match="area share"):
        mk.top_share_mask(np.zeros((2, 2)), 1.5)
    with pytest.raises(ValueError, match="2-D"):
        mk.top_share_mask(np.zeros(4), 0.5)
    with pytest.raises(ValueError, match="NaN"):
        mk.top_share_mask(np.array([[np.nan, 1.0]]), 0.5)


def test_threshold_is_the_seed_rule():
    values = np.array([[-5.0, 0.0], [1.0, 6.0]])  # range 11, threshold 2.2
    assert mk.threshold_mask(values).tolist() == [[False, False], [False, True]]


def test_disc_is_centred_and_round():
    mask = mk.disc_mask((9, 9), 5 / 81)
    expected = np.zeros((9, 9), dtype=bool)
    expected[4, 4] = expected[3, 4] = expected[5, 4] = expected[4, 3] = expected[4, 5] = True
    assert (mask == expected).all()


def test_blob_is_seeded_and_depends_on_the_seed():
    a = mk.blob_mask((32, 32), 0.3, seed=7)
    assert (a == mk.blob_mask((32, 32), 0.3, seed=7)).all()
    assert not (a == mk.blob_mask((32, 32), 0.3, seed=8)).all()
    assert mk.item_seed("a/b.JPEG") == mk.item_seed("a/b.JPEG") != mk.item_seed("a/c.JPEG")


def test_box_mask_union_and_pixel_centres():
    mask = mk.box_mask((4, 6), [[0, 0, 2, 2], [1, 1, 3, 3], [5.6, 3.6, 6, 4]])
    expected = np.zeros((4, 6), dtype=bool)
    expected[0:2, 0:2] = True
    expected[1:3, 1:3] = True  # the last box holds no pixel centre
    assert (mask == expected).all()


def test_crop_boxes_follow_resize_and_centre_crop():
    # A 200 x 100 image: shorter side 100 -> 50, so 100 x 50; a 50 crop starts at x = 25.
    boxes = mk.crop_boxes([[50, 0, 150, 100], [0, 0, 20, 20]], (200, 100), 50, 50)
    assert boxes.tolist() == [[0.0, 0.0, 50.0, 50.0], [0.0, 0.0, 0.0, 10.0]]
    square = mk.crop_boxes([[0, 0, 227, 227]], (227, 227), 256, 224)
    assert square.tolist() == [[0.0, 0.0, 224.0, 224.0]]


def test_derangement_has_no_fixed_point():
    for n in (2, 3, 10, 101):
        partner = mk.derangement(n, seed=n)
        assert sorted(partner.tolist()) == list(range(n))
        assert (partner != np.arange(n)).all()
    with pytest.raises(ValueError):
        mk.derangement(1)
