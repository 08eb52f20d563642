"""Baselines, protocol variants and Quantus checks of the randomisation tests."""

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from licnn.data import Record
from licnn.experiments import sanity
from licnn.experiments.sanity.compute import Protocol
from licnn.experiments.sanity.randomise import randomise_group_
from licnn.metrics.localisation import centre_prior
from licnn.metrics.similarity import SIMILARITY_KEYS, compare_maps, partial_spearman


def test_partial_spearman_matches_the_formula_and_removes_a_shared_control():
    rng = np.random.default_rng(0)
    control = centre_prior((20, 20))
    a = control + 0.3 * rng.random((20, 20))
    b = control + 0.3 * rng.random((20, 20))
    r = {
        k: stats.spearmanr(x.ravel(), y.ravel()).statistic
        for k, (x, y) in {"ab": (a, b), "ac": (a, control), "bc": (b, control)}.items()
    }
    expected = (r["ab"] - r["ac"] * r["bc"]) / np.sqrt((1 - r["ac"] ** 2) * (1 - r["bc"] ** 2))
    got = partial_spearman(a, b, control)
    assert got == pytest.approx(expected, abs=1e-9)
    # a and b agree only through the control: raw correlation high, partial near zero.
    assert r["ab"] > 0.5 and abs(got) < 0.2
    # A constant control removes nothing.
    assert partial_spearman(a, b, np.ones((20, 20))) == pytest.approx(r["ab"], abs=1e-9)


def test_replicate_padding_changes_only_the_border():
    torch.manual_seed(0)
    net = nn.Sequential(nn.ZeroPad2d(1), nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 3, padding=1))
    x = torch.randn(1, 3, 16, 16)
    before = net(x)
    assert sanity.replicate_padding_(net) == 2
    assert sanity.replicate_padding_(net) == 0  # idempotent
    assert isinstance(net[0], nn.ReplicationPad2d) and net[2].padding_mode == "replicate"
    after = net(x)
    assert after.shape == before.shape
    assert torch.equal(after[..., 2:-2, 2:-2], before[..., 2:-2, 2:-2])
    assert not torch.allclose(after, before)


def test_kept_batch_norm_keeps_trained_statistics_and_draws_the_same_weights():
    def net():
        torch.manual_seed(1)
        n = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        n[1].running_mean.fill_(0.5)
        return n

    reset, kept = net(), net()
    randomise_group_(reset, ["0", "1"], seed=3, index=0, batch_norm="reset")
    randomise_group_(kept, ["0", "1"], seed=3, index=0, batch_norm="keep")
    assert torch.equal(reset[0].weight, kept[0].weight)
    assert torch.all(reset[1].running_mean == 0) and torch.all(kept[1].running_mean == 0.5)
    with pytest.raises(ValueError, match="batch_norm"):
        randomise_group_(kept, ["0"], seed=3, index=0, batch_norm="frozen")
    with pytest.raises(ValueError, match="target"):
        Protocol(target="other")
    with pytest.raises(ValueError, match="intervention"):
        Protocol(intervention="dropout")


def test_partners_are_other_images_and_the_baseline_is_their_mean():
    index = sanity.partner_indices(6, 3, seed=2)
    assert index.shape == (6, 3)
    for i, row in enumerate(index):
        assert i not in row and len(set(row)) == 3
    assert np.array_equal(index, sanity.partner_indices(6, 3, seed=2))
    assert sanity.partner_indices(3, 5).shape == (3, 2)  # capped at the other images
    rng = np.random.default_rng(0)
    keys = [f"k{i}" for i in range(4)]
    originals = {k: {"m": rng.random((48, 48))} for k in keys}
    got = sanity.trained_other_image(originals, keys, ["m"], partners=2, seed=5)["m"]
    rows = sanity.partner_indices(4, 2, seed=5)
    j = SIMILARITY_KEYS.index("spearman_abs")
    expected = np.mean(
        [
            compare_maps(originals["k1"]["m"], originals[keys[p]]["m"])["spearman_abs"]
            for p in rows[1]
        ]
    )
    assert got.shape == (4, len(SIMILARITY_KEYS)) and got[1, j] == pytest.approx(expected)


@pytest.fixture
def two_images(samples_dir):
    files = ["n01534433_junco.JPEG", "n02110341_dalmatian.JPEG"]
    return [Record(path=samples_dir / f, label=None, dataset="test", key=f) for f in files]


def test_original_step_protocols_and_end_point(lite0, two_images):
    common = dict(mode="cascading", methods=["gradient", "grad_cam"], steps=["stem"],
                  cache=False, progress=False)  # fmt: skip
    result = sanity.run_randomisation(lite0, two_images, include_original=True, **common)
    assert result.steps == ["original", "stem"]
    assert np.allclose(result.values["gradient"][:, 0], 1.0)
    assert result.centre["gradient"].shape == (2, 2) and result.partial["grad_cam"].shape == (2, 2)
    assert np.array_equal(result.explained[:, 0], result.targets)
    point = sanity.end_point(result)
    assert set(point["gradient"]) == {
        "own", "other_image", "original_centre", "randomised_centre", "partial"
    }  # fmt: skip
    assert point["gradient"]["own"]["mean"] == pytest.approx(
        result.values["gradient"][:, 1, 0].mean()
    )
    # The randomised model's own class: what it ranks first, not the trained model's class.
    own = sanity.run_randomisation(
        lite0, two_images, protocol=Protocol(target="randomised"), **common
    )
    x = torch.stack([lite0.preprocess(sanity.load_image(r.path)) for r in two_images])
    randomised = dict(sanity.cascading_models(lite0, 0, steps=["stem"]))["stem"]
    with torch.no_grad():
        assert np.array_equal(own.explained[:, 0], randomised.module(x).argmax(1).numpy())
    # Keeping the trained batch norm behind random convolutions changes the randomised maps.
    kept = sanity.run_randomisation(
        lite0, two_images, protocol=Protocol(batch_norm="keep"), **common
    )
    assert not np.allclose(kept.values["gradient"], result.values["gradient"][:, 1:])


def test_smooth_mprt_explains_noisy_copies_with_the_given_explain_func(lite0, two_images):
    scores = sanity.quantus_checks(
        lite0, two_images[:1], ["gradient"], ("mprt", "smprt", "emprt"), nr_samples=2,
        cache=False, progress=False,
    )  # fmt: skip
    for check in ("mprt", "smprt", "emprt"):
        assert (
            scores[check]["gradient"].shape == (1,) and np.isfinite(scores[check]["gradient"]).all()
        )
    assert abs(scores["mprt"]["gradient"][0]) < 0.3  # gradient maps lose the image (chapter 4)
    with pytest.raises(ValueError, match="unknown checks"):
        sanity.quantus_checks(lite0, two_images[:1], ["gradient"], ("rmprt",), cache=False)


def test_a_map_quantus_refuses_is_nan_and_counted_in_the_table():
    from licnn.experiments.sanity.quantus_checks import _score

    def refuses(**_):
        raise AssertionError("The elements in the attribution vector are all equal to zero")

    def broken(**_):
        raise AssertionError("something else")

    assert np.isnan(_score(refuses))
    with pytest.raises(AssertionError, match="something else"):
        _score(broken)
    table = sanity.quantus_table({"mprt": {"grad_cam": np.array([0.1, np.nan, 0.3])}}, {})
    assert "(2 of 3)" in table
