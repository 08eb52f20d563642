"""The box and mask benchmarks: box scaling, mask binarising, caching and the summaries."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from licnn.data import Record, load_dataset
from licnn.errors import DataError
from licnn.experiments.localisation import (
    BOX_METHODS,
    MASK_METHODS,
    BoxBenchmark,
    MaskBenchmark,
    binary_mask,
    dataset_f_measure,
    first_images,
    paired_f_difference,
    resize_input,
    resize_to,
    sample_records,
    scale_boxes,
    summarise_boxes,
    summarise_masks,
)
from licnn.metrics import localisation as metrics
from licnn.metrics.sod import aggregate_sod, sod_scores
from licnn.report.tables import format_table


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A private result cache, so tests never see each other's (or the book's) scores."""
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_scale_boxes_maps_image_edges_to_image_edges():
    boxes = np.array([[-0.5, -0.5, 226.5, 226.5], [10.0, 20.0, 30.0, 40.0]])
    scaled = scale_boxes(boxes, (227, 227), (224, 224))
    np.testing.assert_allclose(scaled[0], [-0.5, -0.5, 223.5, 223.5])
    # Interior coordinates move by about 224/227 around the outer edge.
    np.testing.assert_allclose(scaled[1], (boxes[1] + 0.5) * 224 / 227 - 0.5)
    np.testing.assert_allclose(scale_boxes(boxes, (227, 227), (227, 227)), boxes)


def test_scale_boxes_handles_unequal_axes():
    scaled = scale_boxes([[0, 0, 99, 49]], (100, 50), (200, 200))
    np.testing.assert_allclose(scaled, [[0.5, 1.5, 198.5, 197.5]])


def test_binary_mask_threshold_at_half(tmp_path):
    path = tmp_path / "mask.png"
    Image.fromarray(np.array([[0, 127, 128, 255]], dtype=np.uint8)).save(path)
    assert binary_mask(path).tolist() == [[False, False, True, True]]


def test_sample_records_is_seeded_and_nested():
    items = [f"r{i}" for i in range(50)]
    small, large = sample_records(items, 10), sample_records(items, 30)
    assert large[:10] == small
    assert sample_records(items, 10) == small
    assert sorted(sample_records(items, None)) == sorted(items)
    assert small != items[:10]  # a shuffled order, not the manifest order


def test_resize_input_keeps_the_whole_image(lite0):
    image = Image.new("RGB", (500, 300), (255, 0, 0))
    x = resize_input(lite0, image)
    assert x.shape == (3, 224, 224)
    assert float(x[0].min()) > 2.0  # every pixel is the red image: nothing cropped or padded


def test_resize_to_keeps_shape_and_constant_maps():
    assert resize_to(np.ones((4, 4)), (6, 8)).shape == (6, 8)
    np.testing.assert_allclose(resize_to(np.full((4, 4), 2.0), (7, 5)), 2.0)


def test_box_score_map_on_hand_made_maps():
    record = Record(Path("x.jpg"), 1, boxes=np.array([[10, 10, 19, 19]], dtype=np.float32))
    inside = np.zeros((40, 40))
    inside[12:18, 12:18] = 1.0
    scores = BoxBenchmark.score_map(inside, record, (40, 40))
    assert scores["hit"] and scores["energy"] == 1.0
    assert scores["iou"] == pytest.approx(36 / 100)
    outside = np.zeros((40, 40))
    outside[38, 38] = 1.0
    far = BoxBenchmark.score_map(outside, record, (40, 40))
    assert not far["hit"] and far["energy"] == 0.0


def test_box_score_of_a_record_without_boxes_says_so():
    record = Record(Path("x.jpg"), 1, key="x.jpg")
    with pytest.raises(DataError, match="x.jpg has no boxes"):
        BoxBenchmark.score_map(np.ones((40, 40)), record, (40, 40))


def test_mask_score_map_perfect_and_inverted(tmp_path):
    mask = np.zeros((30, 40), dtype=np.uint8)
    mask[5:20, 10:30] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    record = Record(tmp_path / "i.jpg", None, mask=tmp_path / "m.png")
    perfect = MaskBenchmark.score_map(mask.astype(float), record)
    assert perfect["mae"] == 0.0 and perfect["adaptive_f"] == pytest.approx(1.0)
    inverted = MaskBenchmark.score_map(255.0 - mask, record)
    assert inverted["mae"] == 1.0 and inverted["adaptive_f"] == 0.0
    # Every salient-object measure is stored, the curves as float32, the F curve left out.
    expected = sod_scores(mask.astype(float), mask > 0)
    assert set(perfect) == set(expected) - {"f_curve"}
    assert perfect["e_curve"].dtype == np.float32 and perfect["e_curve"].shape == (256,)
    assert perfect["s_measure"] == pytest.approx(expected["s_measure"]) == pytest.approx(1.0)


def test_dataset_f_measure_is_the_toolkits_max_f():
    # Max of the mean per-image F curve (pysodmetrics' convention, aggregate_sod's max_f);
    # the old F-of-mean-precision-and-recall survives as summarise_masks' max_f_pr.
    rng = np.random.default_rng(1)
    pairs = [(rng.random((12, 10)), rng.random((12, 10)) > 0.6) for _ in range(6)]
    scores = [sod_scores(m, k) for m, k in pairs]
    stacked = {k: np.stack([s[k] for s in scores]) for k in ("precision", "recall")}
    got = dataset_f_measure(stacked["precision"], stacked["recall"], n_resamples=200)
    assert got["max"] == pytest.approx(aggregate_sod(scores)["max_f"])
    assert got["max"] == pytest.approx(np.mean([s["f_curve"] for s in scores], axis=0).max())
    assert got["low"] <= got["max"] <= got["high"] and got["n"] == 6
    assert 0.0 <= got["threshold"] <= 1.0
    summary = summarise_masks({k: np.stack([s[k] for s in scores]) for k in scores[0]})
    assert summary["max_f_pr"] == pytest.approx(metrics.dataset_max_f_measure(pairs))
    assert summary["max_f_pr"] != pytest.approx(got["max"])
    assert summary["s_measure"]["mean"] == pytest.approx(aggregate_sod(scores)["s_measure"])
    assert summary["e_measure"]["max"] == pytest.approx(aggregate_sod(scores)["max_e"])
    assert summary["mean_f_measure"]["mean"] == pytest.approx(aggregate_sod(scores)["mean_f"])
    first = first_images(stacked, 2)
    assert first["precision"].shape == (2, 256)
    np.testing.assert_array_equal(first["recall"], stacked["recall"][:2])


def test_paired_f_difference_of_identical_scores_is_zero():
    rng = np.random.default_rng(2)
    scores = {"precision": rng.random((5, 16)), "recall": rng.random((5, 16))}
    diff = paired_f_difference(scores, scores, n_resamples=50)
    assert diff == {"difference": 0.0, "low": 0.0, "high": 0.0, "n": 5}
    with pytest.raises(ValueError, match="same images"):
        paired_f_difference(scores, {k: v[:3] for k, v in scores.items()})


def test_summaries_count_and_bound():
    summary = summarise_boxes(
        {
            "hit": np.array([1, 1, 0, 1]),
            "energy": np.array([0.2, 0.4, 0.6, 0.8]),
            "iou": np.zeros(4),
        }
    )
    assert summary["pointing_game"]["hits"] == 3 and summary["pointing_game"]["accuracy"] == 0.75
    assert summary["pointing_game"]["low"] < 0.75 < summary["pointing_game"]["high"]
    assert summary["energy_in_boxes"]["mean"] == pytest.approx(0.5)


def test_format_table_is_markdown():
    text = format_table(["method", "value"], [["a|b", 0.5], ["longer name", 0.25]])
    lines = text.splitlines()
    assert lines[0] == "| method | value |" and lines[1] == "|:---|---:|"
    assert lines[2] == "| a/b | 0.500 |"
    with pytest.raises(ValueError, match="2 columns"):
        format_table(["a", "b"], [[1]])


def test_box_benchmark_caches_and_reuses_ground_truth(lite0, fetched_data, cache_dir):
    dataset = load_dataset("imagenet-val-1300", root=fetched_data)
    bench = BoxBenchmark(lite0, dataset, sample_records(dataset, 3), progress=False)
    gt = bench.scores("grad_cam", "gt")
    assert gt["hit"].shape == (3,) and gt["keys"].tolist() == bench.keys
    assert np.all((gt["energy"] >= 0) & (gt["energy"] <= 1))
    assert gt["target"].tolist() == [r.label for r in bench.records]
    pred = bench.scores("grad_cam", "pred")
    assert pred["target"].tolist() == [bench.predicted(k) for k in bench.keys]
    same = pred["target"] == gt["target"]
    np.testing.assert_array_equal(pred["energy"][same], gt["energy"][same])

    # A second benchmark object reads every score from the cache: no map is computed.
    again = BoxBenchmark(lite0, dataset, bench.records, progress=False)
    again._maps = lambda *args: pytest.fail("cached scores were recomputed")
    np.testing.assert_array_equal(again.scores("grad_cam", "gt")["iou"], gt["iou"])
    assert any(cache_dir.glob("boxes-grad_cam-gt-*/*.npz"))


def test_class_free_methods_ignore_the_role(lite0, fetched_data, cache_dir):
    dataset = load_dataset("imagenet-val-1300", root=fetched_data)
    bench = BoxBenchmark(lite0, dataset, sample_records(dataset, 2), progress=False)
    a = bench.scores("centre_prior", "gt")
    b = bench.scores("centre_prior", "pred")
    np.testing.assert_array_equal(a["energy"], b["energy"])
    assert not any(cache_dir.glob("boxes-centre_prior-gt-*"))


def test_mask_benchmark_scores_pascal_s(lite0, fetched_data, cache_dir):
    dataset = load_dataset("pascal-s", root=fetched_data)
    bench = MaskBenchmark(lite0, dataset, sample_records(dataset, 2), progress=False)
    scores = bench.scores("licnn_saliency")
    assert scores["precision"].shape == (2, 256) and scores["recall"].shape == (2, 256)
    summary = summarise_masks(scores)
    assert 0.0 < summary["f_measure"]["max"] <= 1.0
    assert 0.0 <= summary["mae"]["mean"] <= 1.0


def _assert_same_scores(a, b):
    assert a.keys() == b.keys()
    for name in a:
        if a[name].dtype.kind in "biU":
            np.testing.assert_array_equal(a[name], b[name])
        else:
            np.testing.assert_allclose(a[name], b[name], rtol=0, atol=1e-5)


def test_precompute_equals_scores_boxes(lite0, fetched_data, tmp_path, monkeypatch):
    # One pass over the images for all methods must give each method's own scores, for a
    # label that is the prediction, one among the top 5 and one outside them.
    dataset = load_dataset("imagenet-val-1300", root=fetched_data)
    records = sample_records(dataset, 3)
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "together"))
    top5 = BoxBenchmark(lite0, dataset, records, progress=False).predictions()
    first, second, third = (top5[r.key]["classes"] for r in records)
    outside = next(c for c in range(1000) if c not in third)
    records = [
        replace(records[0], label=int(first[0])),
        replace(records[1], label=int(second[1])),
        replace(records[2], label=outside),
    ]
    together = BoxBenchmark(lite0, dataset, records, ig_steps=2, progress=False)
    together.precompute()
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "alone"))
    alone = BoxBenchmark(lite0, dataset, records, ig_steps=2, progress=False)
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "together"))
    together._maps = lambda *args: pytest.fail("precomputed scores were recomputed")
    for method in BOX_METHODS:
        for role in ("gt", "pred"):
            monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "together"))
            cached = together.scores(method, role)
            monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "alone"))
            _assert_same_scores(cached, alone.scores(method, role))


def test_precompute_equals_scores_masks(lite0, fetched_data, tmp_path, monkeypatch):
    dataset = load_dataset("pascal-s", root=fetched_data)
    records = sample_records(dataset, 2)
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "together"))
    together = MaskBenchmark(lite0, dataset, records, ig_steps=2, progress=False)
    together.precompute()
    together._maps = lambda *args: pytest.fail("precomputed scores were recomputed")
    cached = {m: together.scores(m) for m in MASK_METHODS}
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "alone"))
    alone = MaskBenchmark(lite0, dataset, records, ig_steps=2, progress=False)
    for method in MASK_METHODS:
        _assert_same_scores(cached[method], alone.scores(method))


def test_uncached_counts_what_is_left(lite0, fetched_data, cache_dir):
    dataset = load_dataset("imagenet-val-1300", root=fetched_data)
    bench = BoxBenchmark(lite0, dataset, sample_records(dataset, 2), progress=False)
    assert bench.uncached(["grad_cam", "centre_prior"]) == 2
    bench.scores("grad_cam", "gt")
    assert bench.uncached(["grad_cam"], roles=["gt"]) == 0
    bench.precompute(["grad_cam", "centre_prior"])
    assert bench.uncached(["grad_cam", "centre_prior"]) == 0


def test_format_table_escapes_pipes_in_the_header() -> None:
    from licnn.report.tables import format_table

    text = format_table(["model", "max |diff|"], [["a", 0.5]])
    assert text.splitlines()[0] == "| model | max \\|diff\\| |"
