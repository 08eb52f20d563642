"""The top-5 sums of the baselines, the paired pointing-game tests and the new tables."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from licnn.data import Record
from licnn.experiments import sanity
from licnn.experiments.localisation import (
    models_mask_table,
    paired_pointing,
    paired_pointing_table,
    sod_table,
    summarise_masks,
)
from licnn.imaging.images import load_image
from licnn.methods import METHODS, TOP_K_METHODS, get_method_class, make_method
from licnn.metrics.sod import sod_scores
from licnn.metrics.stats import holm, mcnemar


@pytest.fixture
def image(lite0, samples_dir):
    return lite0.preprocess(load_image(samples_dir / "n02110341_dalmatian.JPEG"))[None]


def test_top5_methods_are_registered_class_free_and_outside_the_report_set():
    assert TOP_K_METHODS == ("grad_cam_top5", "gradient_top5", "gradient_x_input_top5")
    for name in TOP_K_METHODS:
        cls = get_method_class(name)
        assert cls.class_free and not cls.magnitude and name not in METHODS


@pytest.mark.parametrize(
    ("name", "base"), [("gradient_top5", "gradient"), ("grad_cam_top5", "grad_cam")]
)
def test_top5_sum_is_the_sum_of_the_five_scored_maps(lite0, image, name, base):
    with torch.no_grad():
        classes = lite0.module(image).topk(5, dim=1).indices[0]
    single = make_method(base, lite0)
    expected = sum(
        single.attribute(image, int(c)).abs()
        if single.magnitude
        else single.attribute(image, int(c))
        for c in classes
    )
    summed = make_method(name, lite0)
    got = summed.attribute(image)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    # Class-free: the target is checked but not used.
    torch.testing.assert_close(summed.attribute(image, target=3), got, rtol=1e-5, atol=1e-6)
    assert (got >= 0).all()


def test_paired_pointing_counts_discordant_images_and_adjusts_the_family():
    a = np.array([1, 1, 1, 0, 1, 1, 1, 1], dtype=bool)
    b = np.array([1, 0, 0, 0, 1, 0, 0, 1], dtype=bool)
    c = np.array([0, 1, 1, 1, 0, 1, 1, 0], dtype=bool)
    scores = {
        "licnn_attention": {"gt": {"hit": a}, "pred": {"hit": b}},
        "grad_cam": {"gt": {"hit": b}, "pred": {"hit": c}},
    }
    out = paired_pointing(scores, [("licnn_attention", "grad_cam")])
    assert list(out) == ["licnn_attention_vs_grad_cam_gt", "licnn_attention_vs_grad_cam_pred"]
    gt = out["licnn_attention_vs_grad_cam_gt"]
    assert (gt["b"], gt["c"]) == (4, 0) and gt["difference"] == pytest.approx(0.5)
    assert gt["p_value"] == pytest.approx(mcnemar(a, b)["p_value"])
    raw = [e["p_value"] for e in out.values()]
    assert [e["p_holm"] for e in out.values()] == pytest.approx(list(holm(raw)))
    assert all(e["p_holm"] >= e["p_value"] for e in out.values())
    table = paired_pointing_table(out)
    assert "p (Holm)" in table.splitlines()[0] and "LICNN attention vs Grad-CAM" in table
    assert "| predicted top-1 | -0.250 | 3 / 5 |" in table


def test_sod_and_model_tables_show_every_method():
    rng = np.random.default_rng(0)
    mask = np.zeros((20, 30), dtype=bool)
    mask[5:15, 8:20] = True
    per_image = [sod_scores(rng.random((20, 30)) + 2 * mask, mask) for _ in range(4)]
    stacked = {k: np.stack([s[k] for s in per_image]) for k in per_image[0]}
    summary = summarise_masks(stacked)
    table = sod_table({"licnn_saliency": summary, "centre_prior": summary})
    assert table.splitlines()[0].startswith("| method | mean F | S-measure")
    assert "LICNN saliency (top-5)" in table and f"{summary['e_measure']['max']:.3f}" in table
    both = models_mask_table({"lite0": {"grad_cam": summary}, "lite1": {"grad_cam": summary}})
    assert both.count("Grad-CAM") == 2 and "| lite1 |" in both


def test_randomised_end_point_is_chapter_4s_end_point(lite0, samples_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("LICNN_CACHE", str(tmp_path / "cache"))
    files = ["n01534433_junco.JPEG", "n02110341_dalmatian.JPEG", "n01443537_goldfish.JPEG"]
    records = [Record(path=samples_dir / f, label=None, dataset="test", key=f) for f in files]
    point = sanity.randomised_end_point(lite0, records, ["grad_cam"], partners=2)
    groups = sanity.layer_groups(lite0, "stage")
    last = groups[-1][0]
    result = sanity.run_randomisation(
        lite0, records, "cascading", ["grad_cam"], [last], groups, progress=False
    )
    originals = sanity.original_maps(lite0, records, ["grad_cam"], progress=False)
    expected = sanity.end_point(
        result, last, sanity.trained_other_image(originals, result.keys, ["grad_cam"], 2)
    )
    assert point == expected
    assert set(point["grad_cam"]) >= {"own", "trained_other_image", "partial"}


def test_paired_pointing_on_a_subset_of_the_images():
    a = np.array([1, 1, 1, 0, 1, 0], dtype=bool)
    b = np.array([0, 0, 1, 0, 1, 1], dtype=bool)
    scores = {"licnn_attention": {"gt": {"hit": a}}, "centre_prior": {"gt": {"hit": b}}}
    small = np.array([1, 1, 0, 0, 0, 1], dtype=bool)
    out = paired_pointing(scores, [("licnn_attention", "centre_prior")], ("gt",), images=small)
    entry = out["licnn_attention_vs_centre_prior_gt"]
    assert (entry["b"], entry["c"]) == (2, 1)
    assert entry["difference"] == pytest.approx(2 / 3 - 1 / 3)
    assert entry["p_holm"] == pytest.approx(entry["p_value"])
    with pytest.raises(ValueError, match="selects"):
        paired_pointing(scores, [("licnn_attention", "centre_prior")], ("gt",), images=small[:3])
