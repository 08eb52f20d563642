"""Every attribution method runs on both model families and gives N x H x W maps."""

import pytest
import torch
from PIL import Image

from licnn.core.gates import hooks_on
from licnn.methods.baselines import CAPTUM_METHODS, METHODS, channels_last_copy, make_method


@pytest.mark.parametrize("name", METHODS)
def test_methods_give_maps_lite0(lite0, samples_dir, name):
    image = Image.open(samples_dir / "n02110341_dalmatian.JPEG").convert("RGB")
    x = lite0.preprocess(image).unsqueeze(0)
    before = hooks_on(lite0.module)
    method = make_method(name, lite0, ig_steps=4)
    maps = method.attribute(x, target=251)
    assert maps.shape == (1, 224, 224)
    assert torch.isfinite(maps).all()
    assert maps.abs().sum() > 0
    assert hooks_on(lite0.module) == before


@pytest.mark.parametrize("name", ["gradient", "grad_cam", "licnn_attention"])
def test_methods_run_on_vgg16(vgg_random, name):
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    maps = make_method(name, vgg_random).attribute(x, target=3)
    assert maps.shape == (1, 224, 224) and torch.isfinite(maps).all()


def test_unknown_method(lite0):
    with pytest.raises(ValueError, match="unknown method"):
        make_method("smoothgrad", lite0)


@pytest.mark.parametrize("name", CAPTUM_METHODS)
def test_channels_last_copy_gives_the_same_maps(lite0, samples_dir, name):
    image = Image.open(samples_dir / "n01534433_junco.JPEG").convert("RGB")
    x = lite0.preprocess(image).unsqueeze(0)
    plain = make_method(name, lite0, ig_steps=4).attribute(x, target=13)
    network = channels_last_copy(lite0.module)
    fast = make_method(name, lite0, ig_steps=4, network=network).attribute(x, target=13)
    # Only the summation order differs: within 1% of the map's largest magnitude.
    assert fast.shape == plain.shape
    assert (fast - plain).abs().max() <= 1e-2 * plain.abs().max()
    # The copy is separate: the model the caller holds keeps its own layout.
    assert next(lite0.module.parameters()).is_contiguous()
