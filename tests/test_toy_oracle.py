"""A hook-free oracle: LICNN on a three-layer toy network, every step written out by hand.

The toy network has a ReLU module called twice (like EfficientNet-Lite's shared ReLU6) and a
pooling step, so its gated layers have two sizes and the Sum-C maps must be resized. Here the
forward pass, the backward pass to the activations, the Max-C maps, the lateral inhibition
(SPEC section 1, step 4: explicit loops over the inhibition zone), the masks, the gated pass
and the Sum-C maps are computed by hand in float64 numpy/torch without any hook, and compared
with both implementations: :mod:`licnn.core.reference` and the fast :class:`licnn.core.attention.LICNN`.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from licnn.core import reference
from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.errors import InputError, ModelError
from licnn.models import wrap_model

SIZE = 8  # input side; the second and third layers are SIZE // 2
CLASSES = 5


class Toy(nn.Module):
    """conv -> ReLU -> max-pool -> conv -> act -> conv -> act (the same module) -> mean -> fc."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1)
        self.act = nn.ReLU()
        self.conv3 = nn.Conv2d(5, 4, 3, padding=1)
        self.fc = nn.Linear(4, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a1 = self.relu1(self.conv1(x))
        a2 = self.act(self.conv2(self.pool(a1)))
        a3 = self.act(self.conv3(a2))
        return self.fc(a3.mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def toy():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = Toy().double().eval()
        image = torch.randn(3, SIZE, SIZE, dtype=torch.float64)
    return wrap_model(net, name="toy", input_size=SIZE), image


# --- the steps by hand ------------------------------------------------------------------------


def _conv(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    return F.conv2d(x, conv.weight, conv.bias, padding=1)


@torch.no_grad()
def _forward(net: Toy, x: torch.Tensor, masks=(None, None, None)):
    """The forward pass written out; ``masks`` (H x W, 1 = keep) gate the three activations."""

    def gate(a, m):
        return a if m is None else a * torch.from_numpy(m.astype(np.float64))

    z1 = _conv(x, net.conv1)
    a1 = gate(torch.clamp(z1, min=0), masks[0])
    p1 = F.max_pool2d(a1, 2)
    z2 = _conv(p1, net.conv2)
    a2 = gate(torch.clamp(z2, min=0), masks[1])
    z3 = _conv(a2, net.conv3)
    a3 = gate(torch.clamp(z3, min=0), masks[2])
    logits = a3.mean(dim=(2, 3)) @ net.fc.weight.T + net.fc.bias
    return (z1, a1, p1, z2, a2, z3, a3), logits


@torch.no_grad()
def _backward(net: Toy, steps, logits: torch.Tensor, target: int, score: str):
    """The gradient of the class score with respect to a1, a2, a3, by the chain rule."""
    z1, a1, p1, z2, a2, z3, a3 = steps
    onehot = torch.zeros(CLASSES, dtype=torch.float64)
    onehot[target] = 1.0
    d_logits = onehot
    if score == "softmax":
        p = torch.softmax(logits[0], dim=0)
        d_logits = p[target] * (onehot - p)  # d p_c / d logit_j = p_c (delta_cj - p_j)
    h3, w3 = a3.shape[-2:]
    d_a3 = (d_logits @ net.fc.weight)[None, :, None, None].expand_as(a3) / (h3 * w3)
    d_z3 = d_a3 * (z3 > 0)
    d_a2 = F.conv_transpose2d(d_z3, net.conv3.weight, padding=1)
    d_z2 = d_a2 * (z2 > 0)
    d_p1 = F.conv_transpose2d(d_z2, net.conv2.weight, padding=1)
    # Max-pooling passes each gradient to the arg-max of its 2 x 2 window.
    d_a1 = torch.zeros_like(a1)
    for c in range(a1.shape[1]):
        for i in range(p1.shape[2]):
            for j in range(p1.shape[3]):
                window = a1[0, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                u, v = divmod(int(window.argmax()), 2)
                d_a1[0, c, 2 * i + u, 2 * j + v] += d_p1[0, c, i, j]
    return [d_a1[0].numpy(), d_a2[0].numpy(), d_a3[0].numpy()]


def _l2(x: np.ndarray) -> np.ndarray:
    n = math.sqrt(float((x * x).sum()))
    return x / n if n > 0 else x


def _inhibition(x: np.ndarray, a: float, b: float, k: int) -> np.ndarray:
    """x_LI of SPEC step 4, one location and one zone cell at a time (zero padding k // 2)."""
    h, w = x.shape
    r = k // 2
    out = np.zeros_like(x)
    for i in range(h):
        for j in range(w):
            total, differential = 0.0, 0.0
            for u in range(i - r, i + r + 1):
                for v in range(j - r, j + r + 1):
                    inside = 0 <= u < h and 0 <= v < w
                    value = x[u, v] if inside else 0.0  # zero padding
                    total += value
                    d = math.hypot(u - i, v - j) / k
                    differential += d * math.exp(-d) * max(0.0, value - x[i, j])
            out[i, j] = a * math.exp(-total / (k * k)) + b * differential
    return out


def _bilinear(m: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling with half-pixel centres (align_corners=False), clamped at the edges."""

    def taps(n_in: int):
        rows = []
        for o in range(size):
            src = max((o + 0.5) * n_in / size - 0.5, 0.0)
            i0 = int(math.floor(src))
            i1 = min(i0 + 1, n_in - 1)
            rows.append((i0, i1, src - i0))
        return rows

    ty, tx = taps(m.shape[0]), taps(m.shape[1])
    out = np.zeros((size, size))
    for o, (y0, y1, wy) in enumerate(ty):
        for p, (x0, x1, wx) in enumerate(tx):
            top = (1 - wx) * m[y0, x0] + wx * m[y0, x1]
            bottom = (1 - wx) * m[y1, x0] + wx * m[y1, x1]
            out[o, p] = (1 - wy) * top + wy * bottom
    return out


def _nearest(m: np.ndarray, size: int) -> np.ndarray:
    factor = size // m.shape[0]
    return np.kron(m, np.ones((factor, factor)))


def by_hand(net: Toy, image: torch.Tensor, target: int, cfg: LICNNConfig):
    """Masks and attention map of ``image`` for ``target``, with no hook and no licnn code."""
    x = image[None]
    steps, logits = _forward(net, x)
    grads = _backward(net, steps, logits, target, cfg.score)
    masks = []
    for n, g in enumerate(grads):
        xn = _l2(g.max(axis=0))  # Max-C map of the gradient, L2-normalised
        inhibition = _l2(_inhibition(xn, cfg.a, cfg.b, cfg.k))
        last = n == len(grads) - 1
        masks.append(None if last and not cfg.gate_last else xn > inhibition)
    gated, _ = _forward(net, x, masks)
    sum_c = [gated[i][0].sum(dim=0).numpy() for i in (1, 4, 6)]  # a1, a2, a3 gated
    resize = _bilinear if cfg.resize == "bilinear" else _nearest
    total = np.zeros((SIZE, SIZE))
    for s in sum_c:
        layer = _l2(s) if cfg.layer_norm else s
        total += layer if layer.shape[0] == SIZE else resize(layer, SIZE)
    return masks, _l2(total)


# --- the tests --------------------------------------------------------------------------------

CONFIGS = {
    "default": LICNNConfig(k=3),
    "seed-code": LICNNConfig.seed_code(k=3),
    "logit-k5": LICNNConfig(k=5, score="logit", a=0.2, b=0.8),
}


def test_gate_points_are_the_three_activation_calls(toy):
    model, _ = toy
    assert [g.label for g in model.gate_points] == ["relu1", "act", "act#1"]
    assert [(g.height, g.width) for g in model.gate_points] == [(8, 8), (4, 4), (4, 4)]


def test_hand_backward_matches_autograd(toy):
    # The oracle's own chain rule, checked once against autograd on the same written-out graph.
    model, image = toy
    steps, logits = _forward(model.module, image[None])
    acts = [steps[1], steps[4], steps[6]]
    for score in ("softmax", "logit"):
        grads = _backward(model.module, steps, logits, 2, score)
        with torch.enable_grad():
            x = image[None].clone().requires_grad_(True)
            z1 = _conv(x, model.module.conv1)
            a1 = torch.clamp(z1, min=0)
            a2 = torch.clamp(_conv(F.max_pool2d(a1, 2), model.module.conv2), min=0)
            a3 = torch.clamp(_conv(a2, model.module.conv3), min=0)
            out = a3.mean(dim=(2, 3)) @ model.module.fc.weight.T + model.module.fc.bias
            s = torch.softmax(out, 1)[0, 2] if score == "softmax" else out[0, 2]
            auto = torch.autograd.grad(s, [a1, a2, a3])
        for mine, theirs, act in zip(grads, auto, acts, strict=True):
            assert mine.shape == tuple(act.shape[1:])
            np.testing.assert_allclose(mine, theirs[0].numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("target", [0, 3])
def test_reference_and_fast_path_equal_the_hand_computation(toy, name, target):
    model, image = toy
    cfg = CONFIGS[name]
    masks, expected = by_hand(model.module, image, target, cfg)

    # The masks must gate something and keep something, or the comparison proves little.
    kept = [m for m in masks if m is not None]
    assert any(0 < m.sum() < m.size for m in kept), [m.mean() for m in kept]

    traced = reference.trace(model, image, target, cfg)
    for mine, theirs in zip(masks, traced.masks, strict=True):
        if mine is None:
            assert theirs is None
        else:
            np.testing.assert_array_equal(mine, theirs.numpy())
    np.testing.assert_allclose(traced.attention.numpy(), expected, rtol=0, atol=1e-10)

    fast = LICNN(model, cfg, batch_size=2).attribute(image[None], target=target)
    np.testing.assert_allclose(fast[0].numpy(), expected, rtol=0, atol=1e-6)  # float32 sum


def test_class_changes_the_hand_map(toy):
    # A control for the comparison above: the oracle's map depends on the class asked for.
    model, image = toy
    _, m0 = by_hand(model.module, image, 0, CONFIGS["default"])
    _, m3 = by_hand(model.module, image, 3, CONFIGS["default"])
    assert np.abs(m0 - m3).max() > 1e-3


def test_reference_saliency_refuses_top_k_0(toy):
    model, image = toy
    with pytest.raises(InputError, match="top_k must be at least 1, got 0"):
        reference.saliency_map(model, image, top_k=0)


class _DeadBranch(nn.Module):
    """A ReLU whose output the classifier ignores: it gets no gradient from the class score."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.used = nn.ReLU()
        self.unused = nn.ReLU()
        self.fc = nn.Linear(4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.conv(x)
        self.unused(features)
        return self.fc(self.used(features).mean(dim=(2, 3)))


def test_reference_names_a_gate_point_without_gradient():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = wrap_model(_DeadBranch().eval(), name="dead", input_size=16)
        image = torch.randn(3, 16, 16)
    assert len(model.gate_points) == 2
    with pytest.raises(ModelError, match=r"gate point 0 \(unused\) got no gradient"):
        reference.trace(model, image, 0)


def test_fast_path_names_a_gate_point_without_gradient():
    """The fast path reduces gradients in tensor hooks; a gate no gradient reaches is named."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = wrap_model(_DeadBranch().eval(), name="dead", input_size=16)
        image = torch.randn(3, 16, 16)
    with pytest.raises(ModelError, match=r"gate point 0 \(unused\) got no gradient"):
        LICNN(model).explain(image[None], top_k=1)
