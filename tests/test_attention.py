"""The fast LICNN path against the step-by-step reference, and its hook discipline."""

from pathlib import Path

import pytest
import torch
from PIL import Image

from licnn.core import reference
from licnn.core.attention import LICNN, LICNNResult
from licnn.core.config import LICNNConfig
from licnn.core.gates import GateHooks, hooks_on
from licnn.models import load_model

IMAGES = ("n02110341_dalmatian.JPEG", "n01534433_junco.JPEG", "n01443537_goldfish.JPEG")

CONFIGS = {
    "default": LICNNConfig(),
    "seed-code": LICNNConfig.seed_code(),
    "logit": LICNNConfig(score="logit"),
    "gradient": LICNNConfig(kind="gradient"),
    "k3-b0.5": LICNNConfig(k=3, b=0.5),
}


def _batch(model, samples_dir: Path, n: int) -> torch.Tensor:
    return torch.stack(
        [model.preprocess(Image.open(samples_dir / f).convert("RGB")) for f in IMAGES[:n]]
    )


def _max_diff_to_reference(model, x, config, top_k):
    result = LICNN(model, config, batch_size=2).explain(x, top_k=top_k)
    worst = 0.0
    for n in range(x.shape[0]):
        for slot, cls in enumerate(result.classes[n].tolist()):
            ref = reference.attention_map(model, x[n], cls, config)
            worst = max(worst, (ref - result.attention[n, slot]).abs().max().item())
    return worst, result


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fast_equals_reference_lite0(lite0, samples_dir, name):
    x = _batch(lite0, samples_dir, 2)
    worst, result = _max_diff_to_reference(lite0, x, CONFIGS[name], top_k=2)
    assert worst <= 1e-5
    assert result.attention.shape == (2, 2, 224, 224)


def test_fast_equals_reference_without_average_term_float64(samples_dir):
    # With a = 0 a location with no higher neighbour has x_LI = 0 exactly, so float32 rounding
    # of the gradients can flip its gate; in float64 both paths agree.
    model = load_model("efficientnet-lite0").to(torch.float64)
    model.module.double()
    x = _batch(model, samples_dir, 1).double()
    worst, _ = _max_diff_to_reference(model, x, LICNNConfig(k=3, a=0.0), top_k=2)
    assert worst <= 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", ["default", "seed-code", "gradient"])
def test_fast_equals_reference_vgg16(vgg_random, samples_dir, name):
    x = _batch(vgg_random, samples_dir, 1)
    worst, _ = _max_diff_to_reference(vgg_random, x, CONFIGS[name], top_k=2)
    assert worst <= 1e-5


def test_maps_are_l2_normalised_and_finite(lite0, samples_dir):
    x = _batch(lite0, samples_dir, 2)
    result = LICNN(lite0).explain(x, top_k=3)
    norms = torch.linalg.vector_norm(result.attention, dim=(-2, -1))
    torch.testing.assert_close(norms, torch.ones_like(norms))
    assert torch.isfinite(result.saliency).all()
    # The classes are the top-3 of the model's own prediction, in order.
    with torch.no_grad():
        top = torch.softmax(lite0.module(x), 1).topk(3)
    assert torch.equal(result.classes, top.indices)
    torch.testing.assert_close(result.probabilities, top.values)


def test_image_result_does_not_depend_on_batch(lite0, samples_dir):
    x = _batch(lite0, samples_dir, 2)
    together = LICNN(lite0, batch_size=2).saliency(x, top_k=2)
    alone = LICNN(lite0, batch_size=1).saliency(x[1:2], top_k=2)
    assert (together[1] - alone[0]).abs().max() <= 1e-5


def test_attribute_with_targets(lite0, samples_dir):
    x = _batch(lite0, samples_dir, 2)
    explainer = LICNN(lite0)
    dalmatian = explainer.attribute(x[:1], target=251)
    assert dalmatian.shape == (1, 224, 224)
    both = explainer.attribute(x, target=[251, 13])
    torch.testing.assert_close(both[0], dalmatian[0], atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="rows"):
        explainer.attribute(x, target=[1, 2, 3])


def test_black_image_gives_finite_maps(lite0):
    x = torch.zeros(1, 3, 224, 224)
    sal = LICNN(lite0).saliency(x)
    assert torch.isfinite(sal).all()


def test_no_hook_left_after_use_or_error(lite0, samples_dir):
    before = hooks_on(lite0.module)
    explainer = LICNN(lite0)
    explainer.saliency(_batch(lite0, samples_dir, 1), top_k=1)
    assert hooks_on(lite0.module) == before
    with pytest.raises(ValueError):
        explainer.saliency(torch.zeros(3, 224, 224))
    with pytest.raises(RuntimeError):
        explainer.saliency(torch.zeros(1, 5, 224, 224))  # wrong channel count fails inside
    assert hooks_on(lite0.module) == before
    with GateHooks(lite0.module, lite0.gate_points) as hooks:
        assert hooks.installed and hooks_on(lite0.module) > before
    assert hooks_on(lite0.module) == before


def test_gate_points_are_activation_calls(lite0, vgg_random):
    # VGG-16: the 13 ReLUs of `features`, none of the classifier's.
    assert len(vgg_random.gate_points) == 13
    assert all(g.module_name.startswith("features.") for g in vgg_random.gate_points)
    # EfficientNet-Lite0 re-uses one ReLU6 per block: two gate points for one module.
    names = [g.module_name for g in lite0.gate_points]
    assert names.count("_blocks.1._swish") == 2
    assert names[0] == "_swish" and names[-1] == "_swish"  # stem and head share a module
    assert lite0.gate_points[-1].channels == 1280


def test_explain_configs_equals_separate_calls(lite0, samples_dir):
    # Shared passes must not change any configuration's maps: one call for all settings of
    # the ablation gives what a call per setting gives.
    x = _batch(lite0, samples_dir, 2)
    configs = [
        LICNNConfig(),
        LICNNConfig(a=0.5),
        LICNNConfig(k=3),
        LICNNConfig(layer_norm=False),
        LICNNConfig(resize="nearest"),
        LICNNConfig(gate_last=False),
        LICNNConfig(score="logit"),
        LICNNConfig(kind="gradient"),
        LICNNConfig.seed_code(),
    ]
    together = LICNN(lite0, batch_size=2).explain_configs(x, configs, top_k=2)
    assert len(together) == len(configs)
    for config, result in zip(configs, together, strict=True):
        alone = LICNN(lite0, config, batch_size=2).explain(x, top_k=2)
        torch.testing.assert_close(result.attention, alone.attention, rtol=0, atol=1e-6)
        assert torch.equal(result.classes, alone.classes)
    # The settings differ where they should: a different k gives a different map.
    assert (together[0].attention - together[2].attention).abs().max() > 1e-3


def test_explain_configs_needs_a_configuration(lite0, samples_dir):
    with pytest.raises(ValueError, match="at least one"):
        LICNN(lite0).explain_configs(_batch(lite0, samples_dir, 1), [])


def test_result_cpu_keeps_every_field_in_its_place():
    """``LICNNResult.cpu()`` hands back each tensor as it was (on the CPU), none swapped."""
    attention = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    classes = torch.tensor([[5, 1, 7], [2, 9, 0]])
    probabilities = torch.tensor([[0.5, 0.3, 0.1], [0.6, 0.2, 0.1]])
    logits = torch.randn(2, 10)
    moved = LICNNResult(attention, classes, probabilities, logits).cpu()
    for name, expected in [
        ("attention", attention),
        ("classes", classes),
        ("probabilities", probabilities),
        ("logits", logits),
    ]:
        value = getattr(moved, name)
        assert value.device.type == "cpu"
        assert torch.equal(value, expected), name
    # the saliency map is still the normalised sum of the three attention maps
    total = attention.sum(dim=1)
    expected = total / total.flatten(1).norm(dim=1)[:, None, None]
    torch.testing.assert_close(moved.saliency, expected)
