"""Pointing game by box size and centre (licnn.experiments.localisation.subsets), on
hand-made records and boxes: no model and no data set needed."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from licnn.data import Record
from licnn.experiments.localisation import (
    TOLERANCE,
    box_coverage,
    pointing_subsets,
    pointing_subsets_table,
    subset_label,
    tolerance_in_image_pixels,
)
from licnn.metrics.stats import proportion_ci


def record(key: str, boxes: list[list[float]]) -> Record:
    return Record(path=Path(f"/nowhere/{key}.jpg"), label=0, boxes=np.array(boxes), key=key)


# Images of 10 x 10 pixels (W, H) except the last, 20 x 10.
RECORDS = [
    # 5 x 5 pixels (0..4 in x and y): 25 of 100, centre (4.5, 4.5) outside
    record("a", [[0, 0, 4, 4]]),
    # the whole image, centre inside
    record("b", [[0, 0, 9, 9]]),
    # two overlapping boxes, 3x3 at 3..5 and 3x3 at 4..6: union 9 + 9 - 4 = 14, centre inside
    record("c", [[3, 3, 5, 5], [4, 4, 6, 6]]),
    # one pixel at (9, 9): 1 of 100, centre outside
    record("d", [[9, 9, 9, 9]]),
    # 20 x 10 image, centre (9.5, 4.5), box x 9.5..12 covers columns 10..12 (3 x 10 = 30 of 200)
    record("e", [[9.5, 0, 12, 9]]),
]
SIZES = [(10, 10), (10, 10), (10, 10), (10, 10), (20, 10)]


def test_box_coverage_by_hand():
    cover = box_coverage(RECORDS, SIZES)
    np.testing.assert_allclose(cover["box_share"], [0.25, 1.0, 0.14, 0.01, 0.15])
    assert cover["centre_inside"].tolist() == [False, True, True, False, True]
    assert cover["keys"].tolist() == ["a", "b", "c", "d", "e"]
    assert cover["width"].tolist() == [10, 10, 10, 10, 20]


def test_box_coverage_reads_sizes_from_the_files(tmp_path):
    path = tmp_path / "x.png"
    Image.new("RGB", (8, 4)).save(path)
    rec = Record(path=path, label=0, boxes=np.array([[0, 0, 3, 3]]), key="x")
    cover = box_coverage([rec])
    assert cover["width"].tolist() == [8] and cover["height"].tolist() == [4]
    assert cover["box_share"][0] == pytest.approx(0.5)
    assert cover["centre_inside"].tolist() == [False]  # centre (3.5, 1.5), box up to x = 3
    with pytest.raises(ValueError, match="sizes"):
        box_coverage([rec], [(1, 1), (2, 2)])


def test_pointing_subsets_counts_and_wilson_bounds():
    share = np.array([0.25, 1.0, 0.14, 0.01, 0.15, 0.05])
    centre = np.array([False, True, True, False, True, False])
    hits = {
        "centre_prior": np.array([0, 1, 1, 0, 1, 1], dtype=bool),
        "licnn_attention": np.array([1, 1, 0, 1, 1, 0], dtype=bool),
    }
    out = pointing_subsets(hits, share, centre)
    assert list(out) == ["all", subset_label(0.25), subset_label(0.10), "boxes miss the centre"]
    assert subset_label(0.25) == "boxes < 25% of the image"
    assert subset_label(0.10) == "boxes < 10% of the image"
    # < 25%: images 2, 3, 4, 5 (0.25 is not below); < 10%: images 3, 5; centre missed: 0, 3, 5
    assert [s["n"] for s in out.values()] == [6, 4, 2, 3]
    assert out["all"]["methods"]["centre_prior"]["hits"] == 4
    small = out[subset_label(0.25)]["methods"]
    assert small["centre_prior"]["hits"] == 3 and small["licnn_attention"]["hits"] == 2
    assert small["licnn_attention"]["rate"] == pytest.approx(0.5)
    missed = out["boxes miss the centre"]["methods"]["licnn_attention"]
    assert missed["hits"] == 2 and missed["rate"] == pytest.approx(2 / 3)
    assert (missed["low"], missed["high"]) == pytest.approx(proportion_ci(2, 3))
    # Wilson's interval of 2 of 3 at 95%, by its formula.
    z, n, p = 1.959963984540054, 3, 2 / 3
    centre_w = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert missed["low"] == pytest.approx(centre_w - half)
    assert missed["high"] == pytest.approx(centre_w + half)
    table = pointing_subsets_table(out, {"licnn_attention": "LICNN"})
    assert "LICNN" in table and "boxes miss the centre" in table and "0.667 [" in table


def test_pointing_subsets_empty_subset_and_shape_checks():
    out = pointing_subsets({"m": [True, False]}, [0.5, 0.6], [True, True], thresholds=(0.1,))
    empty = out["boxes miss the centre"]
    assert empty["n"] == 0 and np.isnan(empty["methods"]["m"]["rate"])
    assert (empty["methods"]["m"]["low"], empty["methods"]["m"]["high"]) == (0.0, 1.0)
    table = pointing_subsets_table(out)
    assert "boxes miss the centre (n = 0)" in table.splitlines()[0]
    assert table.splitlines()[-1].endswith("| - |")
    with pytest.raises(ValueError, match="hits"):
        pointing_subsets({"m": [True]}, [0.5, 0.6], [True, True])
    with pytest.raises(ValueError, match="centre_inside"):
        pointing_subsets({"m": [True]}, [0.5], [True, True])


def test_tolerance_in_image_pixels():
    sizes = [(224, 224), (448, 224), (500, 375)]
    tol = tolerance_in_image_pixels(RECORDS[:3], map_size=224, sizes=sizes)
    assert tol["map_px"] == TOLERANCE == 15 and tol["map_size"] == 224
    assert tol["share_of_side"] == pytest.approx(15 / 224)
    x = np.array([224, 448, 500]) * 15 / 224
    y = np.array([224, 224, 375]) * 15 / 224
    assert tol["x_mean"] == pytest.approx(x.mean()) and tol["x_median"] == pytest.approx(30.0)
    assert tol["y_mean"] == pytest.approx(y.mean()) and tol["y_median"] == pytest.approx(15.0)
    assert np.isnan(tolerance_in_image_pixels([], sizes=[])["x_mean"])
