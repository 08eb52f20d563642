"""licnn.methods: the registry and its metadata, the target convention, keepdim, new methods."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from licnn.errors import InputError, ModelError
from licnn.methods import (
    METHODS,
    AttributionMethod,
    baselines,
    get_method_class,
    make_method,
    register,
    registered,
    unregister,
)
from licnn.models import wrap_model

SIZE = 32
N_CLASSES = 10

#: What the report says of each method: label, class-free, signed, |map|, Captum, LICNN config.
EXPECTED = {
    "licnn_attention": ("LICNN attention", False, False, False, False, True),
    "licnn_saliency": ("LICNN saliency (top-5)", True, False, False, False, True),
    "gradient": ("Gradient", False, True, True, True, False),
    "gradient_x_input": ("Gradient x Input", False, True, True, True, False),
    "integrated_gradients": ("Integrated Gradients", False, True, True, True, False),
    "grad_cam": ("Grad-CAM", False, False, False, True, False),
    "centre_prior": ("Centre prior", True, False, False, False, False),
}
CLASS_SPECIFIC = [m for m in METHODS if not EXPECTED[m][1]]


class SmallNet(nn.Module):
    """Two seeded convolutions with ReLUs and a 10-class linear head on the flattened maps.

    Flattening (not pooling) keeps the position in the head, so noise images get different
    predicted classes and ``target=None`` is tested against more than one class.
    """

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Linear(16 * (SIZE // 2) ** 2, N_CLASSES)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=generator) * 0.3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).flatten(1))


@pytest.fixture(scope="module")
def small():
    names = [f"class {i}" for i in range(N_CLASSES)]
    return wrap_model(SmallNet(), "small-net", input_size=SIZE, class_names=names)


@pytest.fixture(scope="module")
def x():
    return torch.randn(3, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))


def test_registry_lists_the_seven_methods_in_report_order_with_their_metadata():
    assert METHODS == tuple(EXPECTED)
    assert registered()[: len(METHODS)] == METHODS
    for name, (label, class_free, signed, magnitude, captum, config) in EXPECTED.items():
        cls = get_method_class(name)
        assert cls.name == name
        assert cls.__module__ == f"licnn.methods.{name}"  # one file per method
        got = (cls.label, cls.class_free, cls.signed, cls.magnitude, cls.uses_captum)
        assert got == (label, class_free, signed, magnitude, captum), name
        assert cls.takes_config is config, name
    assert [m for m in METHODS if get_method_class(m).uses_ig_steps] == ["integrated_gradients"]
    assert [m for m in METHODS if not get_method_class(m).uses_model] == ["centre_prior"]


def test_baselines_names_are_derived_from_the_metadata():
    assert baselines.METHODS == METHODS
    assert baselines.CLASS_FREE == ("licnn_saliency", "centre_prior")
    assert baselines.MAGNITUDE_METHODS == ("gradient", "gradient_x_input", "integrated_gradients")
    assert baselines.CAPTUM_METHODS == (*baselines.MAGNITUDE_METHODS, "grad_cam")
    assert baselines.LABELS == {name: value[0] for name, value in EXPECTED.items()}
    assert baselines.make_method is make_method


@pytest.mark.parametrize("name", METHODS)
def test_keepdim_gives_n_x_1_x_h_x_w_equal_to_the_squeezed_maps(small, x, name):
    method = make_method(name, small, ig_steps=4)
    assert method.name == name and method.label == EXPECTED[name][0]
    flat = method.attribute(x, target=2)
    kept = method.attribute(x, target=2, keepdim=True)
    assert flat.shape == (3, SIZE, SIZE) and flat.is_floating_point()
    assert kept.shape == (3, 1, SIZE, SIZE)
    assert torch.equal(kept[:, 0], flat)


@pytest.mark.parametrize("name", CLASS_SPECIFIC)
def test_target_none_is_the_predicted_class(small, x, name):
    method = make_method(name, small, ig_steps=4)
    with torch.no_grad():
        predicted = small.module(x).argmax(dim=1)
    assert predicted.unique().numel() > 1
    default = method.attribute(x)
    assert torch.equal(default, method.attribute(x, target=predicted))
    # The class matters for these methods, so the check above can fail.
    other = method.attribute(x, target=(predicted + 1) % N_CLASSES)
    assert not torch.equal(default, other)


@pytest.mark.parametrize("name", [m for m in METHODS if EXPECTED[m][1]])
def test_class_free_methods_accept_a_target_and_do_not_use_it(small, x, name):
    method = make_method(name, small)
    default = method.attribute(x)
    assert torch.equal(default, method.attribute(x, target=4))
    assert torch.equal(default, method.attribute(x, target=[1, 7, 9]))


@pytest.mark.parametrize("name", ["gradient", "licnn_saliency"])
def test_a_target_of_the_wrong_length_is_refused(small, x, name):
    with pytest.raises(InputError, match="target has 2 classes for 3 images"):
        make_method(name, small).attribute(x, target=[1, 2])


def test_an_unknown_name_lists_the_names(small):
    with pytest.raises(ValueError, match="unknown method 'smoothgrad'") as error:
        make_method("smoothgrad", small)
    assert all(name in str(error.value) for name in METHODS)


class _Brightness(AttributionMethod):
    """A test method: the pixels' channel sum, the same for every class."""

    name = "test_brightness"
    label = "Brightness (test)"
    class_free = True
    uses_model = False

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        assert target is None  # class-free methods are told no class
        return inputs.sum(dim=1)


def test_a_registered_method_is_built_by_make_method_until_unregistered(small, x):
    assert "test_brightness" not in registered()
    register(_Brightness)
    try:
        assert registered()[-1] == "test_brightness"
        method = make_method("test_brightness", small)
        assert isinstance(method, _Brightness)
        assert torch.equal(method.attribute(x, keepdim=True), x.sum(dim=1, keepdim=True))
        with pytest.raises(InputError, match="NaN"):
            method.attribute(torch.full_like(x, float("nan")))
    finally:
        unregister("test_brightness")
    assert "test_brightness" not in registered()
    with pytest.raises(ValueError, match="unknown method 'test_brightness'"):
        make_method("test_brightness", small)


def test_registry_refuses_clashes_and_keeps_the_built_in_methods():
    class Clash(_Brightness):
        name = "gradient"

    with pytest.raises(ValueError, match="'gradient' is taken"):
        register(Clash)
    with pytest.raises(ValueError, match="built-in"):
        unregister("grad_cam")
    with pytest.raises(TypeError):
        register(dict)  # type: ignore[arg-type]
    assert get_method_class("gradient").__name__ == "Gradient"


def test_a_non_finite_map_is_a_model_error(small, x):
    class Overflow(_Brightness):
        name = "test_overflow"
        label = "Overflow (test)"

        def _attribute(self, inputs, target):
            return torch.full(inputs.shape[:1] + inputs.shape[2:], float("inf"))

    register(Overflow)
    try:
        with pytest.raises(ModelError, match="Overflow \\(test\\) gave NaN or infinite"):
            make_method("test_overflow", small).attribute(x)
    finally:
        unregister("test_overflow")


def test_integrated_gradients_batches_fewer_rows_than_images_silently(small, x):
    # Captum needs at least one step of every image per pass and warns when the internal
    # batch is smaller than the batch of images; the method asks for that many rows itself.
    import warnings

    from captum.attr import IntegratedGradients

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        maps = make_method("integrated_gradients", small, ig_steps=4, batch_size=2).attribute(
            x, target=1
        )
    expected = IntegratedGradients(small.module).attribute(
        x.clone().requires_grad_(True), target=1, n_steps=4, internal_batch_size=x.shape[0]
    )
    torch.testing.assert_close(maps, expected.sum(dim=1), rtol=1e-5, atol=1e-7)
