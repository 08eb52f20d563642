"""Randomisation tests: which weights each step changes, seeds, the summary, the cache resume."""

import numpy as np
import pytest
import torch
from torch import nn

from licnn.data import Record
from licnn.experiments.sanity import (
    RandomisationResult,
    cascading_models,
    independent_models,
    layer_groups,
    run_randomisation,
    runner,
    sample_records,
    step_table,
    summarise,
    summary_table,
)
from licnn.metrics.similarity import SIMILARITY_KEYS

WEIGHTED = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)


def group_tensors(module: nn.Module, names: list[str], suffix: str = "") -> dict[str, torch.Tensor]:
    """The float parameters and buffers of the modules ``names`` (ending in ``suffix``)."""
    state = module.state_dict()
    return {
        key: value
        for key, value in state.items()
        if value.is_floating_point()
        and key.endswith(suffix)
        and any(key.startswith(f"{n}.") for n in names)
    }


def changed(
    model_a: nn.Module, model_b: nn.Module, names: list[str], suffix: str = ""
) -> list[bool]:
    """For every float tensor of the modules ``names``: does it differ between the two models?"""
    a = group_tensors(model_a, names, suffix)
    b = group_tensors(model_b, names, suffix)
    assert a.keys() == b.keys() and a
    return [not torch.equal(a[k], b[k]) for k in a]


def covered_once(model, groups) -> None:
    """Every conv, linear and batch-norm layer belongs to exactly one group."""
    named = dict(model.module.named_modules())
    owners: dict[str, int] = {}
    for _, members in groups:
        for member in members:
            for sub_name, sub in named[member].named_modules():
                if isinstance(sub, WEIGHTED):
                    full = f"{member}.{sub_name}" if sub_name else member
                    owners[full] = owners.get(full, 0) + 1
    weighted = {n for n, m in named.items() if isinstance(m, WEIGHTED)}
    assert set(owners) == weighted
    assert set(owners.values()) == {1}


def test_lite0_groups_top_down(lite0):
    groups = layer_groups(lite0)
    names = [n for n, _ in groups]
    assert names == ["head"] + [f"block{i}" for i in range(15, -1, -1)] + ["stem"]
    covered_once(lite0, groups)
    stages = layer_groups(lite0, "stage")
    assert [n for n, _ in stages] == ["head"] + [f"stage{i}" for i in range(7, 0, -1)] + ["stem"]
    # Lite0's stages hold 1, 2, 2, 3, 3, 4, 1 blocks (stage1 ... stage7).
    sizes = [len(members) for name, members in stages if name.startswith("stage")]
    assert sizes == [1, 4, 3, 3, 2, 2, 1]
    covered_once(lite0, stages)


def test_vgg_groups_and_first_cascading_steps(vgg_random):
    groups = layer_groups(vgg_random)
    names = [n for n, _ in groups]
    assert names[:4] == ["fc8", "fc7", "fc6", "conv5_3"] and names[-1] == "conv1_1"
    assert len(names) == 16
    modules = dict(vgg_random.module.named_modules())
    assert all(isinstance(modules[m[0]], nn.Linear) for _, m in groups[:3])
    assert all(isinstance(modules[m[0]], nn.Conv2d) for _, m in groups[3:])
    covered_once(vgg_random, [(n, m) for n, m in groups])
    assert [n for n, _ in layer_groups(vgg_random, "stage")][3:] == [
        "conv5",
        "conv4",
        "conv3",
        "conv2",
        "conv1",
    ]
    # Stopping at conv5_3: fc8 ... conv5_3 are new, conv5_2 and below are the original.
    # (Only weights: the random VGG's biases start at zero, as re-initialised ones do.)
    ((step, model),) = list(cascading_models(vgg_random, groups=groups, steps=["conv5_3"]))
    assert step == "conv5_3"
    for _, members in groups[:4]:
        assert all(changed(model.module, vgg_random.module, members, ".weight"))
    for _, members in groups[4:]:
        assert not any(changed(model.module, vgg_random.module, members))


def test_cascading_randomises_the_top_k_groups(lite0):
    before = {k: v.clone() for k, v in lite0.module.state_dict().items()}
    groups = layer_groups(lite0)
    steps = list(cascading_models(lite0, seed=3))
    assert [s for s, _ in steps] == [n for n, _ in groups]
    # The iterator changes one copy in place, so check each step as it comes.
    for k, (_, model) in enumerate(cascading_models(lite0, seed=3)):
        for j, (_, members) in enumerate(groups):
            flags = changed(model.module, lite0.module, members)
            if j <= k:
                assert all(flags), f"step {k}: group {j} not fully randomised"
            else:
                assert not any(flags), f"step {k}: group {j} changed too early"
        assert model.gate_points == lite0.gate_points
    after = lite0.module.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the original is untouched


def test_independent_randomises_one_group(lite0):
    groups = layer_groups(lite0, "stage")
    for k, (step, model) in enumerate(independent_models(lite0, seed=3, groups=groups)):
        assert step == groups[k][0]
        for j, (_, members) in enumerate(groups):
            flags = changed(model.module, lite0.module, members)
            assert all(flags) if j == k else not any(flags)


def test_batch_norm_reset_and_kaiming_scale(lite0):
    ((_, model),) = list(cascading_models(lite0, steps=["head"]))
    bn = model.module._bn1
    assert torch.equal(bn.running_mean, torch.zeros_like(bn.running_mean))
    assert torch.equal(bn.running_var, torch.ones_like(bn.running_var))
    assert torch.equal(bn.weight, torch.ones_like(bn.weight))
    fc = model.module._fc
    expected = (2.0 / fc.in_features) ** 0.5
    assert float(fc.weight.detach().std()) == pytest.approx(expected, rel=0.02)
    assert float(fc.bias.detach().abs().max()) == 0.0


def test_seeds_make_the_weights_reproducible(lite0):
    def weights(mode, seed, step):
        fn = cascading_models if mode == "cascading" else independent_models
        # Read the weights while the step is current: the iterator moves on afterwards.
        for _, model in fn(lite0, seed=seed, steps=[step]):
            return {k: v.clone() for k, v in group_tensors(model.module, ["_blocks.15"]).items()}

    a = weights("cascading", 0, "block15")
    b = weights("cascading", 0, "block15")
    c = weights("cascading", 1, "block15")
    d = weights("independent", 0, "block15")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert all(torch.equal(a[k], d[k]) for k in a)  # a group gets the same weights in both tests
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_unknown_step_and_mode(lite0):
    with pytest.raises(ValueError, match="unknown steps"):
        list(cascading_models(lite0, steps=["fc8"]))
    with pytest.raises(ValueError, match="mode"):
        run_randomisation(lite0, [], "sideways")


def test_summary_structure_and_values():
    rng = np.random.default_rng(0)
    values = {"gradient": rng.uniform(-1, 1, size=(20, 3, len(SIMILARITY_KEYS)))}
    result = RandomisationResult(
        "cascading", ["head", "block15", "stem"], ["gradient"], [f"i{i}" for i in range(20)],
        values, np.zeros(20, dtype=np.int64),
    )  # fmt: skip
    other = rng.uniform(-1, 1, size=(20, 3, len(SIMILARITY_KEYS)))
    other[:5] = np.nan  # images without a partner
    result.other_image = {"gradient": other}
    summary = summarise(result)
    assert summary["n_images"] == 20 and summary["steps"] == ["head", "block15", "stem"]
    assert set(summary["methods"]["gradient"]) == set(SIMILARITY_KEYS)
    entry = summary["methods"]["gradient"]["ssim"]["block15"]
    column = values["gradient"][:, 1, SIMILARITY_KEYS.index("ssim")]
    assert entry["mean"] == pytest.approx(column.mean())
    assert entry["low"] < entry["mean"] < entry["high"]
    assert "| Gradient |" in summary_table(summary, "stem")
    control = summary["other_image"]["gradient"]["hog_pearson"]["stem"]
    assert control["mean"] == pytest.approx(other[5:, 2, 2].mean())  # NaNs left out
    specific = summary["image_specific"]["gradient"]["hog_pearson"]["stem"]
    assert specific["mean"] == pytest.approx((values["gradient"] - other)[5:, 2, 2].mean())
    assert f"{control['mean']:.2f} [" in summary_table(summary, "stem", part="other_image")
    assert step_table(summary).splitlines()[0] == "| method | head | block15 | stem |"


def test_chunks_are_fixed_and_recomputed_whole(tmp_path):
    calls = []

    def compute(items):
        calls.append(list(items))
        return [{"v": np.asarray(len(items))} for _ in items]

    key = {"test": 1}
    runner.ResultCache("exp", key, root=tmp_path).put("b", {"v": np.asarray(0)})
    got = runner._cached("exp", key, ["a", "b", "c", "d"], compute, tmp_path, 2, False)
    assert calls == [["a", "b"], ["c", "d"]]  # "b" was cached, but its chunk is incomplete
    assert int(got["b"]["v"]) == 2  # recomputed with its companion "a", and stored again
    assert int(runner.ResultCache("exp", key, root=tmp_path).get("b")["v"]) == 2
    calls.clear()
    runner._cached("exp", key, ["a", "b", "c", "d"], compute, tmp_path, 2, False)
    assert calls == []


def test_sample_records_is_seeded_and_sorted():
    records = [Record(path=f"{i}.jpg", label=i, key=f"{i}.jpg") for i in range(30)]  # type: ignore[arg-type]
    a = sample_records(records, 5, seed=1)
    assert [r.key for r in a] == [r.key for r in sample_records(records, 5, seed=1)]
    assert [r.label for r in a] == sorted(r.label for r in a)
    assert [r.key for r in a] != [r.key for r in sample_records(records, 5, seed=2)]


@pytest.fixture
def two_images(samples_dir):
    files = ["n01534433_junco.JPEG", "n02110341_dalmatian.JPEG"]
    return [Record(path=samples_dir / f, label=None, dataset="test", key=f) for f in files]


def test_no_randomisation_gives_identical_maps(lite0, two_images):
    # An empty group changes nothing, so every measure must be exactly 1.
    result = run_randomisation(
        lite0, two_images, "cascading", methods=["gradient", "licnn_attention"],
        groups=[("nothing", [])], cache=False, progress=False, keep_maps=True,
    )  # fmt: skip
    for method in result.methods:
        assert result.values[method].shape == (2, 1, len(SIMILARITY_KEYS))
        assert np.allclose(result.values[method], 1.0)
        maps = result.maps["test/n01534433_junco.JPEG"][method]
        assert maps.shape == (2, 224, 224) and np.array_equal(maps[0], maps[1])
        # The control compares with the other image's map: a junco is not a Dalmatian.
        control = result.other_image[method][:, 0, SIMILARITY_KEYS.index("spearman_abs")]
        assert np.all(np.isfinite(control)) and np.all(control < 0.9)


def test_cache_resumes_after_an_interruption(lite0, two_images, tmp_path, monkeypatch):
    calls: list[list[str]] = []
    real = runner.compute_chunk

    def counting(model, records, *args, **kwargs):
        calls.append([r.key for r in records])
        if len(calls) == 2 and fail["on"]:
            raise KeyboardInterrupt
        return real(model, records, *args, **kwargs)

    fail = {"on": True}
    original_calls: list[int] = []
    real_original = runner.original_chunk

    def counting_originals(model, records, *args, **kwargs):
        original_calls.append(len(records))
        return real_original(model, records, *args, **kwargs)

    monkeypatch.setattr(runner, "compute_chunk", counting)
    monkeypatch.setattr(runner, "original_chunk", counting_originals)
    kwargs = dict(
        mode="cascading", methods=["gradient", "grad_cam"], steps=["head", "stem"],
        chunk_size=1, cache=tmp_path, progress=False,
    )  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        run_randomisation(lite0, two_images, **kwargs)
    assert calls == [["n01534433_junco.JPEG"], ["n02110341_dalmatian.JPEG"]]
    assert original_calls == [1, 1]
    calls.clear()
    fail["on"] = False
    result = run_randomisation(lite0, two_images, **kwargs)
    assert calls == [["n02110341_dalmatian.JPEG"]]  # only the unfinished image
    assert original_calls == [1, 1]  # the original maps came from the cache
    assert result.steps == ["head", "stem"] and result.n_images == 2
    for method in result.methods:
        values = result.values[method]
        assert values.shape == (2, 2, len(SIMILARITY_KEYS))
        assert np.all(np.isfinite(values)) and np.all(np.abs(values) <= 1.0 + 1e-9)
        # With every weight random, a map is no longer the trained model's map.
        assert np.all(values[:, 1, SIMILARITY_KEYS.index("spearman_abs")] < 0.99)
    assert "other_image" not in summarise(result)  # one image per chunk: no partner
    calls.clear()
    again = run_randomisation(lite0, two_images, **kwargs)
    assert calls == []
    assert all(np.array_equal(again.values[m], result.values[m]) for m in result.methods)
