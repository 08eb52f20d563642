"""The classical OpenCV saliency baselines (licnn.methods.classical): registered, kept out of
METHODS, and giving sensible maps of a real image."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from licnn.methods import CLASSICAL_METHODS, METHODS, get_method_class, make_method, registered
from licnn.methods.classical import to_bgr_image
from licnn.models import wrap_model

SIZE = 96


@pytest.fixture(scope="module")
def model():
    # The maps never touch the network; the model only carries the normalisation.
    net = nn.Sequential(
        nn.Conv2d(3, 2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()
    )
    return wrap_model(net, "tiny-net", input_size=SIZE, class_names=["a", "b"])


@pytest.fixture(scope="module")
def images(model, samples_dir):
    files = ("n02110341_dalmatian.JPEG", "n01534433_junco.JPEG")
    pictures = [Image.open(samples_dir / f).convert("RGB").resize((SIZE, SIZE)) for f in files]
    return pictures, torch.stack([model.normalise(p) for p in pictures])


def test_methods_tuple_is_unchanged_and_classical_ones_are_registered():
    assert METHODS == (
        "licnn_attention",
        "licnn_saliency",
        "gradient",
        "gradient_x_input",
        "integrated_gradients",
        "grad_cam",
        "centre_prior",
    )
    assert CLASSICAL_METHODS == ("spectral_residual", "fine_grained")
    for name in CLASSICAL_METHODS:
        assert name not in METHODS and name in registered()
        cls = get_method_class(name)
        assert cls.class_free and not cls.uses_model and not cls.signed and not cls.magnitude


def test_normalisation_is_undone(model, images):
    pictures, x = images
    bgr = to_bgr_image(x, model.mean, model.std)
    rgb = np.asarray(pictures[0])
    np.testing.assert_allclose(bgr[0][..., ::-1].astype(int), rgb.astype(int), atol=1)


@pytest.mark.parametrize("name", CLASSICAL_METHODS)
def test_maps_of_a_real_image(model, images, name):
    _, x = images
    method = make_method(name, model)
    maps = method.attribute(x)
    assert maps.shape == (2, SIZE, SIZE) and maps.dtype == torch.float32
    assert torch.isfinite(maps).all()
    assert float(maps.std()) > 0 and float(maps[0].max()) > float(maps[0].min())
    # Deterministic, class-free, and each image's map is that image's alone.
    assert torch.equal(maps, method.attribute(x, target=[0, 1]))
    assert torch.equal(maps[1], method.attribute(x[1:])[0])
    assert not torch.equal(maps[0], maps[1])
    assert method.attribute(x, keepdim=True).shape == (2, 1, SIZE, SIZE)
