"""The lateral inhibition model against values worked out by hand and a plain loop."""

import math
from dataclasses import fields

import pytest
import torch

from licnn.core.config import LICNNConfig
from licnn.core.lateral_inhibition import (
    average_term,
    differential_term,
    distance_weights,
    l2_normalise,
    lateral_inhibition,
    suppression_mask,
)
from licnn.core.reference import lateral_inhibition_terms


def test_distance_weights_k7_by_hand():
    w = distance_weights(7)
    assert w.shape == (7, 7)
    assert w[3, 3] == 0.0
    d = 1 / 7
    assert w[3, 4].item() == pytest.approx(d * math.exp(-d), abs=1e-12)
    assert w[3, 4].item() == pytest.approx(0.124, abs=5e-4)
    corner = math.sqrt(18) / 7
    assert w[0, 0].item() == pytest.approx(corner * math.exp(-corner), abs=1e-12)
    assert w[0, 0].item() == pytest.approx(0.331, abs=5e-4)
    assert torch.equal(w, w.flip(0)) and torch.equal(w, w.T)


def _plain_loop(x, a, b, k):
    """x_LI by the formula with Python loops and explicit zero padding (tiny maps only)."""
    h, w = len(x), len(x[0])
    r = k // 2
    out = [[0.0] * w for _ in range(h)]
    for i in range(h):
        for j in range(w):
            values, diff = [], 0.0
            for u in range(i - r, i + r + 1):
                for v in range(j - r, j + r + 1):
                    xv = x[u][v] if 0 <= u < h and 0 <= v < w else 0.0
                    values.append(xv)
                    d = math.hypot(u - i, v - j) / k
                    diff += d * math.exp(-d) * max(0.0, xv - x[i][j])
            out[i][j] = a * math.exp(-sum(values) / len(values)) + b * diff
    return out


@pytest.mark.parametrize("k", [1, 3, 5, 7])
def test_fast_and_reference_terms_match_plain_loop(k):
    g = torch.Generator().manual_seed(k)
    x = torch.randn(6, 5, generator=g, dtype=torch.float64)
    expected = torch.tensor(_plain_loop(x.tolist(), 0.1, 0.9, k), dtype=torch.float64)
    fast = lateral_inhibition(x, 0.1, 0.9, k)
    avg, diff = lateral_inhibition_terms(x, 0.1, 0.9, k)
    torch.testing.assert_close(fast, expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(avg + diff, expected, rtol=0, atol=1e-12)


def test_zero_padding_counts_in_the_mean():
    # A constant map of ones: in a corner a 3x3 LIZ holds 4 ones and 5 padded zeros.
    x = torch.ones(4, 4, dtype=torch.float64)
    avg = average_term(x, 3)
    assert avg[0, 0].item() == pytest.approx(math.exp(-4 / 9))
    assert avg[0, 1].item() == pytest.approx(math.exp(-6 / 9))
    assert avg[1, 1].item() == pytest.approx(math.exp(-1.0))
    # The padded zeros are lower than the centre, so they add nothing to the differential term.
    assert differential_term(x, 3).abs().max().item() == 0.0


def test_differential_term_single_peak():
    # A single 1 at the centre of zeros: its neighbours feel d*exp(-d) * 1, the peak feels 0.
    x = torch.zeros(7, 7, dtype=torch.float64)
    x[3, 3] = 1.0
    diff = differential_term(x, 7)
    w = distance_weights(7)
    assert diff[3, 3].item() == 0.0
    assert diff[3, 4].item() == pytest.approx(w[3, 4].item())
    assert diff[0, 0].item() == pytest.approx(w[0, 0].item())


@pytest.mark.parametrize("value", [0.0, 3.0])
def test_constant_and_zero_maps_have_no_nan(value):
    maps = torch.full((2, 9, 9), value)
    mask = suppression_mask(maps)
    assert mask.dtype == torch.bool
    assert not torch.isnan(l2_normalise(maps)).any()
    # Zero gradient: x = 0 everywhere, x_LI = a > 0 everywhere, so nothing is kept.
    if value == 0.0:
        assert not mask.any()


def test_gating_keeps_strong_isolated_response():
    x = torch.zeros(1, 15, 15)
    x[0, 7, 7] = 5.0
    mask = suppression_mask(x)
    assert mask[0, 7, 7]
    assert mask.sum() == 1


def test_batched_maps_are_independent():
    g = torch.Generator().manual_seed(1)
    maps = torch.randn(3, 2, 11, 13, generator=g)
    together = suppression_mask(maps)
    for i in range(3):
        for j in range(2):
            assert torch.equal(together[i, j], suppression_mask(maps[i, j]))


def test_config_validation():
    with pytest.raises(ValueError, match="odd"):
        LICNNConfig(k=4)
    with pytest.raises(ValueError, match="score"):
        LICNNConfig(score="prob")


def test_seed_code_is_the_released_codes_three_choices():
    # SPEC section 1's table: the code skips the per-layer norm, leaves the last activation
    # ungated and upsamples by nearest neighbour; every other setting is the text's default.
    code, text = LICNNConfig.seed_code(), LICNNConfig()
    differ = [f.name for f in fields(LICNNConfig) if getattr(code, f.name) != getattr(text, f.name)]
    assert differ == ["layer_norm", "gate_last", "resize"]
    assert (code.layer_norm, code.gate_last, code.resize) == (False, False, "nearest")
    assert (text.a, text.b, text.k, text.score, text.kind) == (0.1, 0.9, 7, "softmax", "response")
    changed = LICNNConfig.seed_code(k=5)
    assert changed.k == 5 and (changed.layer_norm, changed.resize) == (False, "nearest")
