"""licnn.experiments.class_specificity: the classes chosen, the similarities, the cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from licnn.data import Record
from licnn.experiments import class_specificity as cs
from licnn.imaging.images import load_image
from licnn.methods import AttributionMethod, register, unregister
from licnn.metrics.similarity import SIMILARITY_KEYS, compare_maps

METHODS = ["gradient", "licnn_saliency", "grad_cam", "centre_prior", "licnn_attention"]


@pytest.fixture
def two_images(samples_dir):
    files = ["n01534433_junco.JPEG", "n02110341_dalmatian.JPEG"]
    return [Record(path=samples_dir / f, label=None, dataset="test", key=f) for f in files]


class _IgnoresClass(AttributionMethod):
    """Declared class-specific, but its map is the image's mean channel whatever the class."""

    name = "test_ignores_class"
    label = "Ignores class"

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        return inputs.mean(dim=1)


class _NoiseOfClass(AttributionMethod):
    """A map that is noise seeded by the class: maps of two classes share nothing."""

    name = "test_noise_of_class"
    label = "Noise of class"

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        assert target is not None
        n, _, h, w = inputs.shape
        maps = [torch.randn(h, w, generator=torch.Generator().manual_seed(int(t))) for t in target]
        return torch.stack(maps)


@pytest.fixture
def fakes():
    register(_IgnoresClass)
    register(_NoiseOfClass)
    yield [_IgnoresClass.name, _NoiseOfClass.name]
    unregister(_IgnoresClass.name)
    unregister(_NoiseOfClass.name)


def test_choose_classes_follows_the_ranking_and_draws_reproducibly():
    probs = np.linspace(1.0, 0.0, 50)[np.random.default_rng(3).permutation(50)]
    order = np.argsort(-probs)
    chosen = cs.choose_classes(probs, cs.CLASS_RANKS, "a/b.JPEG", seed=7)
    assert chosen.tolist()[:4] == [order[0], order[1], order[4], order[-1]]
    assert chosen[4] not in order[:5]
    assert np.array_equal(chosen, cs.choose_classes(probs, cs.CLASS_RANKS, "a/b.JPEG", seed=7))
    draws = {int(cs.choose_classes(probs, ["random"], "a/b.JPEG", seed=s)[1]) for s in range(20)}
    assert len(draws) > 1  # the seed matters
    assert cs.choose_classes(probs, ["3rd", "10th"], "x").tolist() == [order[0], order[2], order[9]]
    for bad in ("1st", "top", "2th5"):
        with pytest.raises(ValueError, match="rank"):
            cs.choose_classes(probs, [bad], "x")


def test_identical_maps_compare_as_one():
    m = np.random.default_rng(0).standard_normal((64, 64))
    assert all(np.isclose(v, 1.0) for v in compare_maps(m, m.copy()).values())


def test_class_specificity_on_lite0(lite0, two_images, tmp_path, monkeypatch):
    calls: list[list[str]] = []
    real = cs._compute_chunk

    def counting(model, records, items, *args, **kwargs):
        calls.append(list(items))
        return real(model, records, items, *args, **kwargs)

    monkeypatch.setattr(cs, "_compute_chunk", counting)
    run = dict(methods=METHODS, seed=1, cache=tmp_path, progress=False)
    result = cs.class_specificity(lite0, two_images, **run)
    assert calls == [["test/n01534433_junco.JPEG", "test/n02110341_dalmatian.JPEG"]]
    # The class-free methods are skipped, the others kept in order.
    assert result.methods == ["gradient", "grad_cam", "licnn_attention"]
    assert result.ranks == list(cs.CLASS_RANKS)
    assert result.classes.shape == (2, 1 + len(cs.CLASS_RANKS))
    for method in result.methods:
        values = result.values[method]
        assert values.shape == (2, len(cs.CLASS_RANKS), len(SIMILARITY_KEYS))
        assert np.all(np.isfinite(values)) and np.all(values <= 1 + 1e-9)
    assert result.measure("gradient", "ssim").shape == (2, len(cs.CLASS_RANKS))

    # The classes are those of the model's own ranking.
    x = torch.stack([lite0.preprocess(load_image(r.path)) for r in two_images])
    with torch.no_grad():
        probs = torch.softmax(lite0.module(x), dim=1).numpy()
    for row, p in zip(result.classes, probs, strict=True):
        order = np.argsort(-p)
        assert row[:4].tolist() == [order[0], order[1], order[4], order[-1]]
        assert row[4] not in order[:5]
    assert np.allclose(result.probabilities, np.take_along_axis(probs, result.classes, 1))

    # A second call reads the cache: nothing is computed again, the same numbers come back.
    again = cs.class_specificity(lite0, two_images, **run)
    assert len(calls) == 1
    assert np.array_equal(again.classes, result.classes)
    for method in result.methods:
        assert np.array_equal(again.values[method], result.values[method])

    summary = cs.summarise_specificity(result)
    json.dumps(summary)
    cell = summary["gradient"]["least"]["spearman_abs"]
    assert cell["low"] <= cell["mean"] <= cell["high"]
    assert np.isclose(cell["mean"], result.measure("gradient", "spearman_abs")[:, 2].mean())
    table = cs.specificity_table(summary)
    lines = table.splitlines()
    assert len(lines) == 2 + 3 and "top-1 vs least" in lines[0] and "Grad-CAM" in table


def test_a_map_that_ignores_the_class_scores_one(lite0, two_images, fakes):
    result = cs.class_specificity(
        lite0, two_images, fakes, ranks=["2nd", "random"], cache=False, progress=False
    )
    assert np.allclose(result.values[fakes[0]], 1.0)
    noise = result.measure(fakes[1], "spearman_signed")
    assert np.all(np.abs(noise) < 0.1)
