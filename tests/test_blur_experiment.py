"""Blur experiment: the statistics on hand-made arrays, the runner's cache and resume, and the
background-influence rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import licnn.experiments.blur.runner as bx
from licnn.cache import ResultCache
from licnn.data import load_dataset
from licnn.data.datasets import Record
from licnn.experiments.background import (
    KINDS,
    Influence,
    analyse_influence,
    background_kind,
    kind_counts,
    map_correlation,
    outside_share,
    pick_examples,
    rescue_counts,
    rescued,
)
from licnn.experiments.blur.protocol import (
    ERASED,
    VARIANTS,
    BlurResults,
    accuracy_ci,
    compare_variants,
    curve_series,
    describe_changes,
    format_table,
    image_variants,
    load_adversarial,
    mask_shares,
    pool,
    run_blur_experiment,
    share_summary,
    summarise_hits,
    variant_names,
)
from licnn.imaging.blur import salient_mask
from licnn.metrics.stats import mcnemar, proportion_ci
from licnn.models import wrap_model

# --- statistics ---------------------------------------------------------------------------


def test_variant_names_order():
    assert variant_names((2, 5)) == (
        "original",
        "background_r2",
        "background_r5",
        "object_r2",
        "object_r5",
        ERASED,
    )
    # The default variants: the seed's radii 2, 5 and 10 (SPEC section 3.6) for each region.
    assert VARIANTS == (
        "original",
        "background_r2",
        "background_r5",
        "background_r10",
        "object_r2",
        "object_r5",
        "object_r10",
        ERASED,
    )
    assert ERASED not in variant_names((2,), erase=False)


def test_accuracy_ci_counts_and_wilson_interval():
    out = accuracy_ci([True, False, True, True])
    assert out["correct"] == 3 and out["n"] == 4 and out["accuracy"] == 0.75
    assert out["ci"] == pytest.approx(list(proportion_ci(3, 4)))
    assert out["ci"][0] < 0.75 < out["ci"][1]


def test_compare_variants_pairs_each_column_with_the_reference():
    # columns: original, a, b
    correct = np.array(
        [
            [1, 1, 0],
            [1, 0, 0],
            [0, 1, 0],
            [0, 1, 1],
            [1, 1, 1],
        ],
        dtype=bool,
    )
    table = compare_variants(correct, ["original", "a", "b"])
    assert table["original"]["mcnemar"] is None
    assert table["original"]["accuracy"] == pytest.approx(3 / 5)
    assert table["a"]["accuracy"] == pytest.approx(4 / 5)
    # a: right where the original was wrong on rows 2, 3 (c = 2); wrong where it was right on row 1
    assert (table["a"]["mcnemar"]["b"], table["a"]["mcnemar"]["c"]) == (1, 2)
    assert table["b"]["mcnemar"] == mcnemar(correct[:, 0], correct[:, 2])
    assert (table["b"]["mcnemar"]["b"], table["b"]["mcnemar"]["c"]) == (2, 1)


def test_compare_variants_rejects_bad_shapes():
    with pytest.raises(ValueError, match="one column per variant"):
        compare_variants(np.ones((3, 2), dtype=bool), ["original", "a", "b"])
    with pytest.raises(ValueError, match="reference"):
        compare_variants(np.ones((3, 2), dtype=bool), ["x", "y"])


def test_summarise_hits_splits_top1_and_top5():
    hits = np.zeros((4, 2, 2), dtype=bool)
    hits[:, 0, 1] = True  # original: all right at top-5, none at top-1
    hits[0, 1, 0] = True  # variant: one right at top-1
    summary = summarise_hits(hits, ["original", "v"])
    assert summary["n_images"] == 4
    assert summary["top1"]["original"]["accuracy"] == 0.0
    assert summary["top1"]["v"]["accuracy"] == 0.25
    assert summary["top5"]["original"]["accuracy"] == 1.0
    assert summary["top5"]["v"]["mcnemar"]["b"] == 4
    with pytest.raises(ValueError, match="N x V x 2"):
        summarise_hits(np.zeros((4, 2)), ["original", "v"])


def test_share_summary():
    shares = np.array([0.1, 0.2, 0.3, 0.4, 0.95])
    out = share_summary(shares, bins=10)
    assert out["mean"] == pytest.approx(0.39)
    assert out["median"] == pytest.approx(0.3)
    assert out["quartiles"] == pytest.approx([0.2, 0.4])
    assert out["ci"][0] <= out["mean"] <= out["ci"][1]
    assert sum(out["histogram"]["counts"]) == 5 and out["histogram"]["counts"][9] == 1
    with pytest.raises(ValueError):
        share_summary([0.5, 1.5])


def test_curve_series_starts_at_the_original():
    table = {
        name: {"accuracy": i / 10, "ci": [i / 10 - 0.05, i / 10 + 0.05]}
        for i, name in enumerate(variant_names((2, 5, 10)))
    }
    mean, low, high = curve_series(table, "object", (2, 5, 10))
    np.testing.assert_allclose(mean, [0.0, 0.4, 0.5, 0.6])
    np.testing.assert_allclose(high - low, 0.1)
    with pytest.raises(ValueError):
        curve_series(table, "both")


def test_format_table_shows_every_variant_with_p_values():
    hits = np.zeros((30, 2, 2), dtype=bool)
    hits[:20, 0] = True
    hits[:5, 1] = True
    text = format_table(summarise_hits(hits, ["original", "background_r10"]))
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("original") and " - " in lines[1]
    assert lines[2].startswith("background_r10") and "0.167 [" in lines[2]
    assert "e-" in lines[2]  # 15 discordant pairs, all one way: p < 0.001


def test_describe_changes_reports_differences_and_shares():
    hits = np.zeros((10, 3, 2), dtype=bool)
    hits[:8, 0] = True  # original 0.8
    hits[:6, 1] = True  # background 0.6
    hits[:4, 2] = True  # object 0.4
    text = describe_changes(summarise_hits(hits, ["original", "background_r10", "object_r10"]))
    top1, top5 = text.splitlines()
    assert top1.startswith("top-1: original 0.800")
    assert "background blurred (r=10) 0.600 (-0.200, 75% of the original" in top1
    assert "object blurred (r=10) 0.400 (-0.400, 50% of the original" in top1
    assert top5.startswith("top-5:")


def test_image_variants_adds_a_black_erased_background():
    rng = np.random.default_rng(1)
    crop = Image.fromarray(rng.integers(1, 256, size=(16, 20, 3), dtype=np.uint8))
    mask = np.zeros((16, 20), dtype=bool)
    mask[4:10, 5:12] = True
    variants = image_variants(crop, mask, (2, 5))
    assert tuple(variants) == variant_names((2, 5))
    erased = np.asarray(variants[ERASED])
    assert not erased[~mask].any()
    np.testing.assert_array_equal(erased[mask], np.asarray(crop)[mask])


# --- results objects ----------------------------------------------------------------------


def fake_results(logits, labels, class_indices=None, dataset="fake", cache=None):
    n = len(labels)
    records = tuple(
        Record(path=f"/nowhere/{dataset}/{i}.jpg", label=int(labels[i]), key=f"{dataset}/{i}")
        for i in range(n)
    )
    return BlurResults(
        dataset=dataset,
        records=records,
        items=tuple(r.key for r in records),
        variants=("original", "background_r10"),
        labels=np.asarray(labels, dtype=np.int64),
        logits=np.asarray(logits, dtype=np.float32),
        mask_share=np.full(n, 0.5),
        saliency_classes=np.zeros((n, 5), dtype=np.int64),
        class_indices=class_indices,
        cache=cache,
    )


def test_hits_and_ranking_restricted_to_a_class_subset():
    # 8 classes; the image's label is 3. Class 0 wins over all classes, but 0 is not evaluated.
    original = np.array([9.0, 1, 2, 5, 0, 0, 0, 4])
    blurred = np.array([9.0, 1, 2, 3, 0, 0, 0, 4])
    logits = np.stack([original, blurred])[None]
    full = fake_results(logits, [3])
    assert full.hits()[0].tolist() == [[False, True], [False, True]]
    restricted = fake_results(logits, [3], class_indices=(1, 2, 3, 7))
    assert restricted.n_classes == 4
    assert restricted.hits()[0].tolist() == [[True, True], [False, True]]
    classes, probs = restricted.ranked(k=2)
    assert classes[0].tolist() == [[3, 7], [7, 3]]
    assert probs.sum(axis=-1).max() < 1.0
    assert restricted.least_likely().tolist() == [1]
    assert full.least_likely(variant=1).tolist() == [4]
    p = restricted.label_probability()[0]
    expected = np.exp(5) / np.exp([1, 2, 5, 4]).sum()
    assert p[0] == pytest.approx(expected)


def test_select_and_pool_keep_rows_together():
    logits = np.arange(3 * 2 * 6, dtype=np.float32).reshape(3, 2, 6)
    a = fake_results(logits, [5, 0, 5], dataset="a")
    b = fake_results(logits[:1], [0], dataset="b")
    both = pool([a, b], "a+b")
    assert len(both) == 4 and both.dataset == "a+b"
    assert both.hits()[:, 0, 0].tolist() == [True, False, True, False]
    sub = both.select([3, 0], "picked")
    assert [r.key for r in sub.records] == ["b/0", "a/0"]
    np.testing.assert_array_equal(sub.logits[1], logits[0])
    with pytest.raises(ValueError):
        pool([a, fake_results(logits, [5, 0, 5], class_indices=(0, 5))], "mixed")


# --- background influence -----------------------------------------------------------------


def test_outside_share_counts_positive_energy_only():
    attention = np.array([[3.0, -5.0], [1.0, 0.0]])
    mask = np.array([[True, False], [False, False]])
    # positive mass 4: 3 inside, 1 outside; the negative value outside does not count
    assert outside_share(attention, mask) == pytest.approx(0.25)
    assert outside_share(-np.ones((2, 2)), mask) == 0.0
    with pytest.raises(ValueError):
        outside_share(np.ones((2, 2)), np.ones((2, 3), dtype=bool))


def test_background_kind_threshold_is_strict():
    mask = np.array([[True, False]])
    assert background_kind(np.array([[1.0, 1.0]]), mask) == 2  # exactly half outside
    assert background_kind(np.array([[1.0, 1.1]]), mask) == 1
    assert background_kind(np.array([[1.0, 0.0]]), mask) == 2
    assert background_kind(np.array([[1.0, 3.0]]), mask, threshold=0.8) == 2
    assert set(KINDS) == {1, 2}


def test_map_correlation_is_a_rank_correlation():
    a = np.array([[0.0, 1.0], [2.0, 3.0]])
    assert map_correlation(a, a**3) == pytest.approx(1.0)
    assert map_correlation(a, -a) == pytest.approx(-1.0)
    assert map_correlation(a, np.ones((2, 2))) == 0.0
    with pytest.raises(ValueError):
        map_correlation(a, np.ones(3))


def test_rescued_is_wrong_before_and_right_after():
    before = [True, False, False, True]
    after = [True, True, False, False]
    assert rescued(before, after).tolist() == [1]


def test_rescue_counts_both_directions():
    variants = ["original", "background_r5", "background_r10"]
    hits = np.zeros((4, 3, 2), dtype=bool)
    hits[0, 0] = True  # right originally, lost at r=10
    hits[0, 1] = True
    hits[1, 1:] = True  # rescued at r=5 and r=10
    hits[2, 2, 1] = True  # rescued at r=10, top-5 only
    counts = rescue_counts(hits, variants, (5, 10))
    assert counts["r5"]["top1"] == {"rescued": 1, "lost": 0, "n": 4}
    assert counts["r10"]["top1"] == {"rescued": 1, "lost": 1, "n": 4}
    assert counts["r10"]["top5"] == {"rescued": 2, "lost": 1, "n": 4}


def test_pick_examples_alternates_kinds_and_skips_shown():
    def item(key, kind):
        blank = np.zeros((1, 1))
        return Influence(0, 5, key, 0, "v", [], [], [], [], 1, 0.0, kind, 0.0, blank, blank,
                         0.0, 0.0, 0.0)  # fmt: skip

    items = [item("a", 2), item("b", 1), item("c", 2), item("d", 2), item("e", 1)]
    assert [i.key for i in pick_examples(items, limit=4)] == ["b", "a", "e", "c"]
    assert [i.key for i in pick_examples(items, limit=5)] == ["b", "a", "e", "c", "d"]
    assert [i.key for i in pick_examples(items, limit=2, exclude=["b"])] == ["e", "a"]
    only_two = [i for i in items if i.kind == 2]
    assert [i.key for i in pick_examples(only_two, limit=3)] == ["a", "c", "d"]


# --- the runner on real images ------------------------------------------------------------


class TinyCNN(nn.Module):
    """A small seeded CNN with 1000 outputs: cheap enough for tests, ReLUs for LICNN."""

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


@pytest.fixture(scope="module")
def tiny():
    return wrap_model(TinyCNN(), name="tiny-test-cnn")


@pytest.fixture(scope="module")
def three_images(fetched_data):
    return load_dataset("imagenet-samples-1000", root=fetched_data, limit=3)


def test_adversarial_set_falls_back_to_the_proxy(fetched_data):
    dataset, is_proxy = load_adversarial(limit=2, root=fetched_data)
    assert is_proxy and dataset.name == "imagenet-a-proxy" and len(dataset) == 2
    assert dataset.class_indices is not None and len(dataset.class_indices) == 200


def test_interrupted_run_resumes_without_recomputing(tiny, three_images, tmp_path, monkeypatch):
    real_classify = bx._classify
    calls = {"n": 0}

    def classify_then_fail(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise KeyboardInterrupt  # stopped during the second batch
        return real_classify(*args, **kwargs)

    monkeypatch.setattr(bx, "_classify", classify_then_fail)
    with pytest.raises(KeyboardInterrupt):
        run_blur_experiment(tiny, three_images, batch_size=1, cache_root=tmp_path, progress=False)
    monkeypatch.setattr(bx, "_classify", real_classify)

    resumed = run_blur_experiment(
        tiny, three_images, batch_size=1, cache_root=tmp_path, progress=False
    )
    assert resumed.n_computed == 2  # the first image was kept, only the other two were run
    again = run_blur_experiment(
        tiny, three_images, batch_size=1, cache_root=tmp_path, progress=False
    )
    assert again.n_computed == 0
    np.testing.assert_array_equal(again.logits, resumed.logits)

    assert len(resumed) == 3 and resumed.variants == VARIANTS
    assert resumed.logits.shape == (3, len(VARIANTS), 1000)
    assert resumed.labels.tolist() == [r.label for r in three_images]
    assert np.all((resumed.mask_share > 0) & (resumed.mask_share < 1))
    # the stored mask is the one the shares came from
    assert resumed.mask(0).shape == (224, 224)
    assert resumed.mask(0).mean() == pytest.approx(resumed.mask_share[0])
    # blurring changes the logits; the original column is the plain forward pass
    assert not np.allclose(resumed.logits[:, 0], resumed.logits[:, 3])
    x = torch.stack([tiny.preprocess(Image.open(r.path).convert("RGB")) for r in three_images])
    with torch.inference_mode():
        np.testing.assert_allclose(resumed.logits[:, 0], tiny.module(x).numpy(), atol=1e-4)
    summary = resumed.summary()
    assert summary["n_images"] == 3 and set(summary["top1"]) == set(VARIANTS)


def test_mask_shares_match_the_runner(tiny, three_images, tmp_path):
    run = run_blur_experiment(tiny, three_images, limit=2, cache_root=tmp_path, progress=False)
    shares = mask_shares(tiny, three_images[:2])
    np.testing.assert_allclose(shares, run.mask_share)


def test_cache_key_separates_settings(tiny, three_images, tmp_path):
    one = run_blur_experiment(
        tiny, three_images, radii=(2,), limit=1, cache_root=tmp_path, progress=False
    )
    two = run_blur_experiment(
        tiny, three_images, radii=(3,), limit=1, cache_root=tmp_path, progress=False
    )
    assert one.cache.folder != two.cache.folder
    assert two.n_computed == 1 and two.variants == variant_names((3,))


def test_analyse_influence_on_a_rescued_image(tiny, three_images, tmp_path):
    """Hand-made logits make image 0 wrong originally and right blurred; the rule is applied."""
    cache = ResultCache("influence-test", {"v": 1}, root=tmp_path)
    mask = np.zeros((224, 224), dtype=bool)
    mask[60:160, 60:160] = True
    label = three_images[0].label
    wrong = (label + 1) % 1000
    logits = np.zeros((1, 2, 1000), dtype=np.float32)
    logits[0, 0, wrong] = 10.0
    logits[0, 1, label] = 10.0
    results = fake_results(logits, [label], cache=cache)
    results.records = (three_images[0],)
    results.items = ("item0",)
    cache.put("item0", {"mask_bits": np.packbits(mask), "mask_shape": np.array(mask.shape)})

    found = analyse_influence(results, tiny, variant="background_r10", k=1)
    assert len(found) == 1
    item = found[0]
    assert item.wrong_class == wrong and item.before[0] == wrong and item.after[0] == label
    assert item.label_gain > 0.9
    assert item.attention.shape == (224, 224)
    assert item.outside_share == pytest.approx(outside_share(item.attention, mask))
    assert item.kind == background_kind(item.attention, mask)
    assert item.true_attention.shape == (224, 224)
    assert not np.allclose(item.true_attention, item.attention)  # two different classes
    assert item.outside_true_share == pytest.approx(
        outside_share(item.attention, salient_mask(item.true_attention))
    )
    assert -1.0 <= item.class_map_correlation <= 1.0
    assert -1.0 <= item.control_correlation <= 1.0 and item.k == 1
    assert kind_counts(found)[str(item.kind)] == 1
    # nothing is rescued when the blurred image is wrong too
    results.logits = logits[:, [0, 0]]
    assert analyse_influence(results, tiny, variant="background_r10", k=5) == []
