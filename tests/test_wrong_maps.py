"""Issue 15, class 1: no wrong map without an error.

Three matrices: the fast path equals the step-by-step reference on randomly initialised
torchvision networks and on the cascade-randomised Lite0 of chapter 4 (where Max-C maps with
norms far below 1e-12 occur); non-finite or out-of-domain inputs and parameters raise a
clear error; networks the gates cannot handle are refused by ``wrap_model``.
"""

from __future__ import annotations

import math

import pytest
import torch
import torchvision.models as tvm
from PIL import Image
from torch import nn

from licnn.core import reference
from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.core.lateral_inhibition import l2_normalise
from licnn.errors import ConfigError, InputError, ModelError
from licnn.experiments.sanity import cascading_models, layer_groups
from licnn.methods.baselines import make_method
from licnn.models import wrap_model

#: The tolerance of the existing fast-vs-reference tests (tests/test_attention.py).
TOL = 1e-5

#: (torchvision constructor, input side): small inputs keep the reference affordable.
RANDOM_NETWORKS = {
    "resnet18": 64,
    "mobilenet_v2": 64,
    "alexnet": 128,
    "squeezenet1_1": 64,
    "densenet121": 64,
    "regnet_y_400mf": 64,  # squeeze-and-excitation: ReLUs on 1 x 1 maps, not gated
    "shufflenet_v2_x0_5": 64,
    "mnasnet0_5": 64,
}


def _worst_difference(model, x: torch.Tensor, config: LICNNConfig, top_k: int) -> float:
    result = LICNN(model, config, batch_size=2).explain(x, top_k=top_k)
    worst = 0.0
    for n in range(x.shape[0]):
        for slot, cls in enumerate(result.classes[n].tolist()):
            ref = reference.attention_map(model, x[n], cls, config)
            worst = max(worst, (ref - result.attention[n, slot]).abs().max().item())
    assert torch.isfinite(result.attention).all()
    return worst


@pytest.mark.parametrize("name", sorted(RANDOM_NETWORKS))
def test_fast_equals_reference_random_torchvision(name):
    size = RANDOM_NETWORKS[name]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = getattr(tvm, name)(weights=None)
        x = torch.randn(1, 3, size, size)
    model = wrap_model(module, name, input_size=size)
    config = LICNNConfig(k=3) if size <= 64 else LICNNConfig()
    assert _worst_difference(model, x, config, top_k=2) <= TOL


@pytest.fixture(scope="module")
def cascade_lite0(lite0):
    """Chapter 4's cascading randomisation of Lite0 (stage granularity), at three steps."""
    groups = layer_groups(lite0, "stage")
    return dict(cascading_models(lite0, seed=0, groups=groups, steps=["head", "stage4", "stem"]))


@pytest.mark.parametrize("step", ["head", "stage4", "stem"])
@pytest.mark.parametrize("config", ["default", "seed-code"])
def test_fast_equals_reference_cascade_randomised_lite0(cascade_lite0, samples_dir, step, config):
    model = cascade_lite0[step]
    x = model.preprocess(Image.open(samples_dir / "n02110341_dalmatian.JPEG").convert("RGB"))
    cfg = LICNNConfig() if config == "default" else LICNNConfig.seed_code()
    assert _worst_difference(model, x[None], cfg, top_k=2) <= TOL


@pytest.mark.parametrize(
    ("case", "scale"),
    [("tiny", 1e-30), ("float32, squares underflow", 1e-36), ("huge", 1e30), ("ordinary", 1.0)],
)
def test_one_normalisation_exact_for_any_positive_norm(case, scale):
    dtype = torch.float32 if "float32" in case else torch.float64
    base = torch.rand(3, 6, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    maps = (base * scale).to(dtype)
    fast = l2_normalise(maps)
    ref = torch.stack([reference._norm(m) for m in maps])
    norms = torch.linalg.vector_norm(fast.double(), dim=(-2, -1))
    torch.testing.assert_close(norms, torch.ones(3, dtype=torch.float64), rtol=1e-5, atol=0)
    torch.testing.assert_close(fast, ref, rtol=1e-6, atol=0)
    # The direction is the map's own: proportional to the input.
    torch.testing.assert_close(
        fast.double(),
        base / torch.linalg.vector_norm(base, dim=(-2, -1), keepdim=True),
        rtol=1e-4,
        atol=0,
    )


def test_zero_map_stays_zero_in_both():
    zero = torch.zeros(2, 5, 5, dtype=torch.float64)
    assert torch.equal(l2_normalise(zero), zero)
    assert torch.equal(reference._norm(zero[0]), zero[0])


def _nan_pixel(x: torch.Tensor) -> torch.Tensor:
    x = x.clone()
    x[0, 1, 3, 4] = math.nan
    return x


def _inf_pixel(x: torch.Tensor) -> torch.Tensor:
    x = x.clone()
    x[-1, 0, 0, 0] = -math.inf
    return x


#: (case, call that must raise, error type, words the message must contain)
BAD_INPUTS = {
    "NaN pixel, LICNN": (lambda m, x: LICNN(m).saliency(_nan_pixel(x)), InputError, "NaN"),
    "Inf pixel, LICNN": (lambda m, x: LICNN(m).attribute(_inf_pixel(x)), InputError, "infinite"),
    "NaN pixel, gradient": (
        lambda m, x: make_method("gradient", m).attribute(_nan_pixel(x), 1),
        InputError,
        "NaN",
    ),
    "NaN pixel, Grad-CAM": (
        lambda m, x: make_method("grad_cam", m).attribute(_nan_pixel(x), 1),
        InputError,
        "NaN",
    ),
    "NaN pixel, reference": (
        lambda m, x: reference.attention_map(m, _nan_pixel(x)[0], 1),
        InputError,
        "NaN",
    ),
    "integer pixels": (lambda m, x: LICNN(m).saliency(x.long()), InputError, "floating"),
    "3-d input": (lambda m, x: LICNN(m).saliency(x[0]), InputError, "N x 3 x H x W"),
    "target 1000": (lambda m, x: LICNN(m).attribute(x, target=1000), InputError, "0..999"),
    "target -1": (lambda m, x: LICNN(m).attribute(x, target=-1), InputError, "0..999"),
    "top_k 0": (lambda m, x: LICNN(m).saliency(x, top_k=0), InputError, "top_k"),
    "top_k 1001": (lambda m, x: LICNN(m).saliency(x, top_k=1001), InputError, "top_k"),
    "a = nan": (lambda m, x: LICNNConfig(a=math.nan), ConfigError, "finite"),
    "b = inf": (lambda m, x: LICNNConfig(b=math.inf), ConfigError, "finite"),
    "a = -0.1": (lambda m, x: LICNNConfig(a=-0.1), ConfigError, "non-negative"),
    "a = '0.1'": (lambda m, x: LICNNConfig(a="0.1"), ConfigError, "number"),
    "k = 0": (lambda m, x: LICNNConfig(k=0), ConfigError, "odd positive"),
    "k = -3": (lambda m, x: LICNNConfig(k=-3), ConfigError, "odd positive"),
    "k = 4": (lambda m, x: LICNNConfig(k=4), ConfigError, "odd positive"),
    "k = 3.0": (lambda m, x: LICNNConfig(k=3.0), ConfigError, "odd positive"),
    "k = True": (lambda m, x: LICNNConfig(k=True), ConfigError, "odd positive"),
    "seed_code(a=nan)": (lambda m, x: LICNNConfig.seed_code(a=math.nan), ConfigError, "finite"),
    "network overflows": (
        lambda m, x: LICNN(_overflowing(m)).saliency(x, top_k=1),
        ModelError,
        "NaN or infinite",
    ),
}


def _overflowing(model):
    import copy

    broken = copy.deepcopy(model)
    with torch.no_grad():
        broken.module._fc.weight.fill_(1e38)
    return broken


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_inputs_and_parameters_raise(lite0, case):
    call, error, words = BAD_INPUTS[case]
    x = torch.zeros(2, 3, 64, 64)
    with pytest.raises(error, match=words) as info:
        call(lite0, x)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError) or error is ModelError  # old callers still catch


class ChannelsLastReLU(nn.Module):
    """A CNN whose activation sees N x H x W x C tensors (as ConvNeXt's blocks do)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.act = nn.ReLU()
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.conv(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.fc(y.mean(dim=(2, 3)))


#: (case, network builder, activation types or None, words the ModelError must contain)
UNGATEABLE = {
    "mobilenet_v3_small (ReLU + Hardswish)": (
        lambda: tvm.mobilenet_v3_small(weights=None),
        None,
        "Hardswish",
    ),
    "convnext_tiny (GELU, channels-last)": (lambda: tvm.convnext_tiny(weights=None), None, "GELU"),
    "convnext_tiny gated at its GELUs": (
        lambda: tvm.convnext_tiny(weights=None),
        (nn.GELU,),
        "channels-last",
    ),
    "efficientnet_b0 (SiLU)": (lambda: tvm.efficientnet_b0(weights=None), None, "SiLU"),
    "swin_t (GELU)": (lambda: tvm.swin_t(weights=None), None, "GELU"),
    "googlenet (functional ReLU only)": (
        lambda: tvm.googlenet(weights=None, aux_logits=False, init_weights=False),
        None,
        "no ReLU-type activation",
    ),
    "custom channels-last ReLU": (ChannelsLastReLU, None, "channels-last"),
}


@pytest.mark.parametrize("case", sorted(UNGATEABLE))
def test_wrap_model_refuses_networks_it_cannot_gate(case):
    build, types, words = UNGATEABLE[case]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = build()
    kwargs = {} if types is None else {"activation_types": types}
    with pytest.raises(ModelError, match=words) as info:
        wrap_model(module, case.split()[0], input_size=64, **kwargs)
    assert "\n" not in str(info.value)
    if types is None:  # LICNN on the bare module refuses it too
        with pytest.raises(ModelError):
            LICNN(module, input_size=64)


def test_licnn_refuses_what_is_neither_a_loaded_model_nor_a_module():
    with pytest.raises(ModelError, match="LoadedModel or a torch.nn.Module, got str") as info:
        LICNN("efficientnet-lite0")  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
