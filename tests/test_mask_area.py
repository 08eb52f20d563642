"""Mask-area experiment: masks of one image, the paired statistics, and the runner's resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import licnn.experiments.blur.mask_area as ma
import licnn.experiments.blur.mask_area.runner as ma_runner
from licnn.data import load_dataset
from licnn.imaging import masks as mk
from licnn.models import wrap_model


class TinyCNN(nn.Module):
    """A small seeded CNN with 1000 outputs (as in test_blur_experiment)."""

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=4, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(16, 1000)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator) * 0.3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


SMALL = ma.Grid(
    areas=(0.3,), radii={"licnn": (10,), "disc": (10,), "shuffled": (10,), "boxes": (10,)}
)


def test_grid_lists_every_variant_and_refuses_bad_input():
    assert SMALL.points("licnn") == ("q0.3", "seed") and SMALL.points("boxes") == ("own",)
    assert len(SMALL.variants()) == 2 * (3 * 2 + 1)
    with pytest.raises(ValueError, match="unknown mask sources"):
        ma.Grid(radii={"nope": (10,)})
    with pytest.raises(ValueError, match="areas"):
        ma.Grid(areas=(1.0,))


def test_image_masks_match_areas_at_the_seed_point():
    y, x = np.mgrid[0:20, 0:20]
    saliency = np.exp(-((y - 5.0) ** 2 + (x - 6.0) ** 2) / 20)
    partner = np.exp(-((y - 15.0) ** 2 + (x - 14.0) ** 2) / 20)
    masks = ma.image_masks(SMALL, saliency, saliency, partner, seed=1, boxes=[[0, 0, 10, 5]])
    seed_area = mk.threshold_mask(saliency).mean()
    for source in ("licnn", "disc", "shuffled"):
        assert masks[(source, "seed")].mean() == pytest.approx(seed_area, abs=1 / 400)
        assert masks[(source, "q0.3")].sum() == 120
    assert masks[("licnn", "q0.3")][5, 6] and not masks[("licnn", "q0.3")][15, 14]
    assert masks[("shuffled", "q0.3")][15, 14] and masks[("disc", "q0.3")][10, 10]
    assert masks[("boxes", "own")].sum() == 50
    no_boxes = ma.image_masks(SMALL, saliency, saliency, partner, seed=1)
    assert ("boxes", "own") not in no_boxes


def test_paired_difference_and_exact_mcnemar():
    a = np.array([1, 1, 1, 1, 0, 0, 1, 1], dtype=bool)
    b = np.array([0, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    out = ma.paired_difference(a, b)
    assert out["difference"] == pytest.approx(-2 / 8)
    assert out["ci"][0] <= -0.25 <= out["ci"][1]
    assert out["mcnemar"] == {"a_only": 3, "b_only": 1, "p_value": pytest.approx(0.625)}
    same = ma.paired_difference(a, a)
    assert same["difference"] == 0 and same["ci"] == [0.0, 0.0]
    assert same["mcnemar"]["p_value"] == 1.0
    with pytest.raises(ValueError):
        ma.paired_difference(a, b[:3])


def test_subset_grows_by_extension():
    records = list(range(10))
    assert ma.subset(records, 4, seed=2) == ma.subset(records, 7, seed=2)[:4]
    assert sorted(ma.subset(records, None)) == records
    with pytest.raises(ValueError):
        ma.subset(records, 1)


@pytest.fixture(scope="module")
def tiny():
    return wrap_model(TinyCNN(), name="tiny-test-cnn")


def test_interrupted_run_resumes(tiny, fetched_data, tmp_path, monkeypatch):
    images = load_dataset("imagenet-val-1300", root=fetched_data, limit=3)
    real = ma_runner._classify
    calls = {"n": 0}

    def classify_then_fail(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt  # stopped during the second image
        return real(*args, **kwargs)

    monkeypatch.setattr(ma_runner, "_classify", classify_then_fail)
    with pytest.raises(KeyboardInterrupt):
        ma.run_mask_area(tiny, images, SMALL, cache_root=tmp_path, progress=False)
    monkeypatch.setattr(ma_runner, "_classify", real)
    resumed = ma.run_mask_area(tiny, images, SMALL, cache_root=tmp_path, progress=False)
    assert resumed.n_computed == 2
    again = ma.run_mask_area(tiny, images, SMALL, cache_root=tmp_path, progress=False)
    assert again.n_computed == 0
    for name, logits in again.logits.items():
        np.testing.assert_array_equal(logits, resumed.logits[name])
    assert len(resumed.logits) == len(SMALL.variants())
    # blurring changes the logits; boxes exist for these images
    name = ma.variant_name("licnn", "q0.3", "object", 10)
    assert not np.allclose(resumed.logits[name], resumed.original, atol=1e-3)
    assert resumed.present(ma.variant_name("boxes", "own", "object", 10)).all()
    summary = ma.summarise_mask_area(resumed)
    cell = summary["sources"]["disc"]["q0.3"]["object_r10"]
    assert cell["area"] == pytest.approx(0.3, abs=1e-3) and cell["n"] == 3
    assert "vs_licnn" in cell["top5"] and "vs_original" in cell["top1"]
    curve = ma.curve(summary, "licnn", "background_r10", "top1")
    assert curve["area"].tolist() == [pytest.approx(0.3, abs=1e-3)]


def test_box_kinds_follow_the_share_outside_the_boxes(tiny, fetched_data):
    from licnn.experiments.background import box_kinds

    records = list(load_dataset("imagenet-val-1300", root=fetched_data, limit=2).records)
    rows = box_kinds(tiny, records, [1, 2], threshold=0.5)
    assert [r["key"] for r in rows] == [r.key for r in records]
    for row in rows:
        assert 0 < row["box_area"] <= 1 and 0 <= row["outside_boxes"] <= 1
        assert row["kind"] == (1 if row["outside_boxes"] > 0.5 else 2)
    everything = box_kinds(tiny, records, [1, 2], threshold=1.0)
    assert all(r["kind"] == 2 for r in everything)
    # with the blur's masks: an empty mask puts all energy outside it, a full one none
    shape = (tiny.input_size, tiny.input_size)
    masks = [np.zeros(shape, bool), np.ones(shape, bool)]
    both = box_kinds(tiny, records, [1, 2], masks=masks)
    assert [r["mask_kind"] for r in both] == [1, 2]
    assert both[0]["outside_mask"] == pytest.approx(1.0) and both[1]["outside_mask"] == 0.0
    assert [r["kind"] for r in both] == [r["kind"] for r in rows]
    with pytest.raises(ValueError, match="one mask per record"):
        box_kinds(tiny, records, [1, 2], masks=masks[:1])


def test_blur_experiment_and_mask_area_share_one_maps_pass(tmp_path, fetched_data):
    """The seed protocol's runner fills the maps cache; the mask-area runner then makes no map."""
    from licnn.experiments.blur.maps import image_maps
    from licnn.experiments.blur.protocol import item_name, run_blur_experiment

    tiny = wrap_model(TinyCNN(), name="tiny-mask-area-cnn")
    images = load_dataset("imagenet-samples-1000", root=fetched_data, limit=3)
    blur = run_blur_experiment(tiny, images, radii=(10,), cache_root=tmp_path, progress=False)
    assert blur.n_computed == 3
    records = list(images.records)
    again = image_maps(tiny, records, [item_name(r) for r in records], cache_root=tmp_path)
    assert again.n_computed == 0
    # the blur runner's masks are the seed threshold of those cached maps
    for i, item in enumerate(blur.items):
        saliency = np.asarray(again.entries[item]["saliency"])
        np.testing.assert_array_equal(blur.mask(i), mk.threshold_mask(saliency))


def test_example_masks_are_the_runners_masks(tmp_path, fetched_data):
    """The figure's masks come from the same code as the runner's (same areas per source)."""
    tiny = wrap_model(TinyCNN(), name="tiny-mask-example-cnn")
    images = load_dataset("imagenet-val-1300", root=fetched_data, limit=3)
    run = ma.run_mask_area(tiny, images, SMALL, cache_root=tmp_path, progress=False)
    first, second = run.records[0], run.records[1]
    example = ma.example_masks(tiny, first, second, SMALL, cache_root=tmp_path)
    assert example.crop.size == (tiny.input_size, tiny.input_size)
    for mask, areas in run.areas.items():
        assert example.masks[mask].mean() == pytest.approx(areas[0])
    assert set(example.variants) == {ma.variant_name(*v) for v in SMALL.variants()}


def test_holm_adjusts_each_variant_and_metric_as_one_family():
    from licnn.experiments.blur.mask_area.statistics import _adjust_holm
    from licnn.metrics.stats import holm

    def cell(p1, p5):
        return {
            metric: {"vs_licnn": {"mcnemar": {"p_value": p}}, "vs_original": {}}
            for metric, p in (("top1", p1), ("top5", p5))
        }

    summary = {
        "sources": {
            "licnn": {"q0.3": {"object_r10": {"top1": {}, "top5": {}}}},
            "disc": {
                "q0.3": {"object_r10": cell(0.01, 0.2)},
                "q0.5": {"object_r10": cell(0.04, 0.3)},
            },
            "blob": {"q0.3": {"object_r10": cell(0.03, 0.5), "background_r10": cell(0.02, 0.9)}},
        }
    }
    _adjust_holm(summary, "vs_licnn")
    src = summary["sources"]
    got = [
        src[s][p]["object_r10"]["top1"]["vs_licnn"]["mcnemar"]
        for s, p in (("disc", "q0.3"), ("disc", "q0.5"), ("blob", "q0.3"))
    ]
    assert [g["holm_p"] for g in got] == pytest.approx(list(holm([0.01, 0.04, 0.03])))
    assert all(g["family_size"] == 3 for g in got)
    alone = src["blob"]["q0.3"]["background_r10"]["top5"]["vs_licnn"]["mcnemar"]
    assert alone["holm_p"] == pytest.approx(0.9) and alone["family_size"] == 1


def test_exact_mcnemar_stays_exact_with_many_discordant_pairs():
    a = np.array([True] * 30 + [False] * 10)
    b = np.array([False] * 30 + [True] * 10)
    out = ma.mcnemar_exact(a, b)
    assert (out["a_only"], out["b_only"]) == (30, 10)
    from scipy import stats

    assert out["p_value"] == pytest.approx(stats.binomtest(30, 40, 0.5).pvalue)
