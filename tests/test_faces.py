"""LICNN through the field's tools: Quantus metrics and Captum's metrics on two real images."""

import copy
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from licnn.core.attention import LICNN
from licnn.errors import ModelError
from licnn.faces import LICNNAttribution, quantus_explain

IMAGES = ("n02110341_dalmatian.JPEG", "n01534433_junco.JPEG")


@pytest.fixture(scope="module")
def batch(lite0, samples_dir):
    """Two preprocessed images and the model's predicted classes for them."""
    x = torch.stack([lite0.preprocess(Image.open(samples_dir / f).convert("RGB")) for f in IMAGES])
    with torch.no_grad():
        y = lite0.module(x).argmax(dim=1)
    return x, y


@pytest.fixture(scope="module")
def attention(lite0, batch):
    x, y = batch
    return quantus_explain(lite0.module, x.numpy(), y.numpy(), licnn_model=lite0)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_quantus_explain_gives_licnn_attention_maps(lite0, batch, attention):
    x, y = batch
    assert attention.shape == (2, 1, 224, 224) and attention.dtype == np.float32
    assert np.isfinite(attention).all()
    expected = LICNN(lite0).attribute(x, target=y).numpy()
    np.testing.assert_allclose(attention[:, 0], expected, atol=1e-6)
    # The two images get different maps.
    assert _corr(attention[0], attention[1]) < 0.9


def test_quantus_explain_depends_on_the_target_but_not_saliency(lite0, batch, attention):
    x, y = batch
    other = ((y + 1) % 1000).numpy()
    maps = quantus_explain(lite0, x.numpy(), other)
    assert all(_corr(maps[n], attention[n]) < 0.99 for n in range(2))
    # The saliency map is told no class: the targets Quantus passes have no effect.
    sal_a = quantus_explain(lite0, x[:1].numpy(), y[:1].numpy(), method="licnn_saliency")
    sal_b = quantus_explain(lite0, x[:1].numpy(), other[:1], method="licnn_saliency")
    np.testing.assert_array_equal(sal_a, sal_b)
    assert _corr(sal_a[0], attention[0]) < 0.999


def test_quantus_explain_follows_the_module_it_is_given(lite0, batch, attention):
    x, y = batch
    twin = copy.deepcopy(lite0.module)
    # A copy with the same weights: same maps, with the original's gate points or probed afresh.
    with_gates = quantus_explain(twin, x[:1].numpy(), y[:1].numpy(), licnn_model=lite0)
    probed = quantus_explain(twin, x[:1].numpy(), y[:1].numpy())
    np.testing.assert_allclose(with_gates, attention[:1], atol=1e-6)
    np.testing.assert_allclose(probed, attention[:1], atol=1e-6)
    # Re-initialise the classifier head of the copy: the maps must change.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        twin._fc.reset_parameters()
    changed = quantus_explain(twin, x[:1].numpy(), y[:1].numpy(), licnn_model=lite0)
    assert np.abs(changed - attention[:1]).max() > 1e-3


def test_quantus_explain_rejects_bad_input(lite0, vgg_random, batch):
    x, y = batch
    with pytest.raises(TypeError, match="unknown keyword.*alpha"):
        quantus_explain(lite0, x.numpy(), y.numpy(), alpha=0.1)
    with pytest.raises(ModelError, match="not a copy of licnn_model vgg16-random"):
        quantus_explain(lite0.module, x.numpy(), y.numpy(), licnn_model=vgg_random)
    with pytest.raises(ValueError, match="N x C x H x W"):
        quantus_explain(lite0, x[0].numpy(), y[:1].numpy())
    with pytest.raises(ValueError, match="unknown method"):
        quantus_explain(lite0, x.numpy(), y.numpy(), method="lime")


def test_quantus_randomisation_metrics(lite0, batch, attention):
    quantus = pytest.importorskip("quantus")
    x, y = batch
    kwargs = {"licnn_model": lite0, "method": "licnn_attention"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # MPRT: the maps of the fully randomised model against the original's (Spearman).
        mprt = quantus.MPRT(skip_layers=True, return_last_correlation=True, disable_warnings=True)
        rho = mprt(
            model=lite0.module,
            x_batch=x.numpy(),
            y_batch=y.numpy(),
            a_batch=attention,
            explain_func=quantus_explain,
            explain_func_kwargs=kwargs,
            device="cpu",
        )
        # Random logit: the maps for a random other class against the predicted one's (SSIM).
        random_logit = quantus.RandomLogit(num_classes=1000, seed=0, disable_warnings=True)
        ssim = random_logit(
            model=lite0.module,
            x_batch=x.numpy(),
            y_batch=y.numpy(),
            a_batch=attention,
            explain_func=quantus_explain,
            explain_func_kwargs=kwargs,
            device="cpu",
        )
    for scores in (rho, ssim):
        assert len(scores) == 2
        assert all(np.isfinite(s) and -1.0 <= s <= 1.0 for s in scores)
    # A map that passes these checks is not the same after randomisation or for another class.
    assert max(rho) < 0.99 and max(ssim) < 0.99


def test_captum_attribution_shapes(lite0, batch, attention):
    x, _ = batch
    explainer = LICNNAttribution(lite0)
    # target=None is the predicted class, the class the attention fixture was made for.
    full = explainer.attribute(x)
    assert full.shape == x.shape
    for c in range(3):
        np.testing.assert_allclose(full[:, c].numpy(), attention[:, 0], atol=1e-6)
    # A one-tensor tuple (what Captum's metrics pass) gives a one-tensor tuple back.
    (one,) = explainer.attribute((x[:1],), channels="one")
    assert one.shape == (1, 1, 224, 224)
    np.testing.assert_allclose(one.numpy(), attention[:1], atol=1e-6)
    assert explainer.forward_func is lite0.module and not explainer.class_free


def test_captum_infidelity_and_sensitivity(lite0, batch):
    from captum.metrics import infidelity, sensitivity_max

    x, y = batch
    explainer = LICNNAttribution(lite0)
    attributions = explainer.attribute(x, target=y)
    generator = torch.Generator().manual_seed(0)

    def perturb(inputs):
        noise = 0.1 * torch.randn(inputs.shape, generator=generator)
        return noise, inputs - noise

    score = infidelity(
        explainer.forward_func,
        perturb,
        x,
        attributions,
        target=y,
        n_perturb_samples=4,
        normalize=True,
    )
    assert score.shape == (2,) and torch.isfinite(score).all() and (score >= 0).all()
    torch.manual_seed(0)
    sensitivity = sensitivity_max(
        explainer.attribute, x, target=y, n_perturb_samples=2, perturb_radius=0.02
    )
    # Relative change of the map under small noise: finite, above 0 (the gates move a little),
    # far below 2 (a map and its negative).
    assert sensitivity.shape == (2,) and torch.isfinite(sensitivity).all()
    assert (sensitivity > 0).all() and (sensitivity < 1).all()
