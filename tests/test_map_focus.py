"""The focus measures of chapter 2 (licnn.experiments.map_focus) on hand-made maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from licnn.core.attention import LICNNResult
from licnn.experiments import map_focus

#: One map of ten pixels: positive mass 5 + 5 * 1 = 10, the top pixel (a tenth) holds 5.
PEAKED = np.array([[5.0, 1, 1, 1, 1], [1, 0, 0, 0, -3]])
#: Ten equal pixels: the top tenth holds a tenth of the mass.
FLAT = np.ones((2, 5))
RAMP = np.arange(10, dtype=float).reshape(2, 5)


def test_concentration_by_hand() -> None:
    assert map_focus.concentration(np.stack([PEAKED, FLAT]), 0.1) == pytest.approx([0.5, 0.1])
    # a fifth of the pixels: the two largest, 5 + 1 of 10
    assert map_focus.concentration(PEAKED[None], 0.2) == pytest.approx([0.6])


def test_concentration_takes_tensors_and_checks_the_shape() -> None:
    maps = torch.tensor(np.stack([PEAKED, FLAT]), dtype=torch.float32)
    assert map_focus.concentration(maps) == pytest.approx([0.5, 0.1])
    with pytest.raises(ValueError, match="N x H x W"):
        map_focus.concentration(PEAKED)


def test_mean_concentration_averages_the_classes_of_each_image() -> None:
    attention = np.stack([np.stack([PEAKED, FLAT]), np.stack([FLAT, FLAT])])
    assert map_focus.mean_concentration(attention) == pytest.approx([0.3, 0.1])


def test_similarity_to_top1_by_hand() -> None:
    # image 0: the second map ranks as the first (rho 1), the third reversed (rho -1): mean 0;
    # image 1: both other maps rank as the first: mean 1
    attention = np.stack(
        [np.stack([RAMP, 2 * RAMP + 1, -RAMP]), np.stack([RAMP, RAMP**2, RAMP + 5])]
    )
    assert map_focus.similarity_to_top1(attention) == pytest.approx([0.0, 1.0])


def test_similarity_needs_two_classes() -> None:
    with pytest.raises(ValueError, match="K >= 2"):
        map_focus.similarity_to_top1(np.stack([np.stack([RAMP])]))


def test_focus_measures_of_a_result() -> None:
    attention = torch.tensor(np.stack([np.stack([PEAKED, FLAT, -PEAKED])]), dtype=torch.float32)
    result = LICNNResult(attention, torch.tensor([[3, 1, 2]]), torch.ones(1, 3), torch.ones(1, 4))
    measures = map_focus.focus_measures(result, 0.1)
    assert list(measures) == [
        "top-1 attention",
        "top-3 attention (mean)",
        "saliency",
        "top-3 similarity to top-1",
    ]
    assert measures["top-1 attention"] == pytest.approx([0.5])
    # -PEAKED has one positive pixel (3), which is all its positive mass
    assert measures["top-3 attention (mean)"] == pytest.approx([(0.5 + 0.1 + 1.0) / 3])
    # the saliency map is the normalised sum PEAKED + FLAT - PEAKED = FLAT
    assert measures["saliency"] == pytest.approx([0.1])


def test_pairwise_spearman_pairs_maps_slot_by_slot() -> None:
    first = np.stack([np.stack([RAMP, RAMP])])
    second = np.stack([np.stack([RAMP + 1, -RAMP])])
    assert map_focus.pairwise_spearman(first, second) == pytest.approx([1.0, -1.0])
    with pytest.raises(ValueError, match="one shape"):
        map_focus.pairwise_spearman(first, second[:, :1])


def test_paired_summary_takes_the_difference_image_by_image() -> None:
    measures = {
        "softmax": {"m": [0.1, 0.5, 0.3]},
        "logit": {"m": [0.2, 0.6, 0.4]},
    }
    summary = map_focus.paired_summary(measures, "softmax", "logit")
    assert list(summary) == ["softmax", "logit", "logit - softmax"]
    assert summary["softmax"]["m"]["mean"] == pytest.approx(0.3)
    # every image gains 0.1: the paired interval has no width, unlike the unpaired ones
    diff = summary["logit - softmax"]["m"]
    assert (diff["mean"], diff["low"], diff["high"]) == pytest.approx((0.1, 0.1, 0.1))
    assert summary["logit"]["m"]["high"] - summary["logit"]["m"]["low"] > 0.1
    with pytest.raises(ValueError, match="no measures for 'other'"):
        map_focus.paired_summary(measures, "softmax", "other")


def test_variant_summary_compares_with_the_reference() -> None:
    maps = {"text": np.stack([RAMP, PEAKED]), "reversed": np.stack([-RAMP, -PEAKED])}
    summary = map_focus.variant_summary(maps, "text", 0.1)
    assert summary["text"]["spearman_with_reference"]["mean"] == pytest.approx(1.0)
    assert summary["reversed"]["spearman_with_reference"]["mean"] == pytest.approx(-1.0)
    # RAMP: top pixel 9 of 45; PEAKED: 0.5
    assert summary["text"]["concentration"]["mean"] == pytest.approx((9 / 45 + 0.5) / 2)
    with pytest.raises(ValueError, match="reference 'code'"):
        map_focus.variant_summary(maps, "code")


def test_text_tables() -> None:
    one = {"mean": 0.25, "low": 0.2, "high": 0.3, "n": 4}
    cell = "0.250 [0.200, 0.300]"  # 20 characters, right-aligned in 24
    summary = {"a": {"m": one}, "b": {"m": one}}
    assert map_focus.format_summary(summary, width=24).splitlines() == [
        "measure".ljust(24) + "a".rjust(24) + "b".rjust(24),
        "m".ljust(24) + cell.rjust(24) * 2,
    ]
    variants = {"text": {"spearman_with_reference": one, "concentration": one}}
    assert map_focus.format_variants(variants, "rho", widths=(6, 24)).splitlines() == [
        "variant" + "rho".rjust(24) + "concentration".rjust(24),  # 'variant' overflows 6
        "text  " + cell.rjust(24) * 2,
    ]
