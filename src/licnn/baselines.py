"""Attribution methods with one face: ``method.attribute(inputs, target) -> N x H x W``.

LICNN's attention and saliency maps sit beside the baselines the seed compares them with,
all computed by Captum: Gradient (Simonyan et al. 2014), Gradient x Input, Integrated
Gradients (Sundararajan et al. 2017) and Grad-CAM (Selvaraju et al. 2017). The sanity
checks, the blur experiments and the benchmarks use :func:`make_method` and treat them alike.

Pixel methods give a ``3 x H x W`` attribution; it is reduced to a map by summing the
channels (signed). Grad-CAM is upsampled bilinearly to the input size. The centre prior is a
fixed Gaussian that ignores the image and the model, the baseline a map has to beat.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import TqdmWarning

# Captum imports tqdm.auto, which warns in a notebook without ipywidgets; its progress bars
# are never used here, so that warning is noise in every executed notebook.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", TqdmWarning)
    from captum.attr import (
        InputXGradient,
        IntegratedGradients,
        LayerAttribution,
        LayerGradCam,
        Saliency,
    )

from licnn.attention import LICNN, check_inputs
from licnn.config import LICNNConfig
from licnn.errors import ModelError
from licnn.metrics import centre_prior
from licnn.models import LoadedModel

#: Method names in the order the report lists them.
METHODS = (
    "licnn_attention",
    "licnn_saliency",
    "gradient",
    "gradient_x_input",
    "integrated_gradients",
    "grad_cam",
    "centre_prior",
)
#: Methods whose map does not depend on the class asked for.
CLASS_FREE = ("licnn_saliency", "centre_prior")
#: Pixel methods whose map is scored by the magnitude of its signed channel sum.
MAGNITUDE_METHODS = ("gradient", "gradient_x_input", "integrated_gradients")
#: Methods computed by Captum (gradients through the network).
CAPTUM_METHODS = ("gradient", "gradient_x_input", "integrated_gradients", "grad_cam")
#: Labels for tables and figures.
LABELS = {
    "licnn_attention": "LICNN attention",
    "licnn_saliency": "LICNN saliency (top-5)",
    "gradient": "Gradient",
    "gradient_x_input": "Gradient x Input",
    "integrated_gradients": "Integrated Gradients",
    "grad_cam": "Grad-CAM",
    "centre_prior": "Centre prior",
}

#: The layer Grad-CAM explains for the built-in models: the last convolution (with its BN).
GRAD_CAM_LAYERS = {
    "vgg16": "features.28",
    "vgg16-random": "features.28",
    "efficientnet-lite0": "_bn1",
    "efficientnet-lite1": "_bn1",
    "efficientnet-lite2": "_bn1",
}


def grad_cam_layer(model: LoadedModel, module: nn.Module | None = None) -> nn.Module:
    """The layer Grad-CAM uses: a known one for the built-in models, else the last Conv2d.

    ``module`` is the network to look in (default ``model.module``; e.g. a copy of it).
    """
    module = model.module if module is None else module
    modules = dict(module.named_modules())
    name = GRAD_CAM_LAYERS.get(model.name)
    if name is not None:
        return modules[name]
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{model.name} has no Conv2d layer for Grad-CAM")
    return convs[-1]


@dataclass
class AttributionMethod:
    """A named method; ``attribute(inputs, target)`` returns float maps of shape N x H x W."""

    name: str
    _attribute: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    def attribute(self, inputs: torch.Tensor, target: torch.Tensor | int) -> torch.Tensor:
        """Maps (N x H x W); inputs with NaN or infinite values are refused (InputError)."""
        check_inputs(inputs)
        target_t = torch.as_tensor(target, dtype=torch.long, device=inputs.device)
        if target_t.dim() == 0:
            target_t = target_t.expand(inputs.shape[0])
        maps = self._attribute(inputs, target_t).detach()
        if not torch.isfinite(maps).all():
            raise ModelError(
                f"{self.label} gave NaN or infinite values: the network overflows on these "
                "inputs; check its weights and the preprocessing"
            )
        return maps


def _channel_sum(
    fn: Callable[..., torch.Tensor],
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    def run(inputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return fn(inputs.detach().clone().requires_grad_(True), target=target).sum(dim=1)

    return run


def channels_last_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with channels-last weights, for :func:`make_method`'s ``network``.

    About a quarter faster for the Captum methods on a CPU with EfficientNet-Lite0; the maps
    differ from the default layout's by summation order only (~0.3% of their maximum for
    Integrated Gradients). The copy is a snapshot: never use it for weights that change
    later (the randomisation checks).
    """
    return copy.deepcopy(module).to(memory_format=torch.channels_last)


def make_method(
    name: str,
    model: LoadedModel,
    config: LICNNConfig | None = None,
    ig_steps: int = 32,
    batch_size: int = 8,
    network: nn.Module | None = None,
) -> AttributionMethod:
    """Build method ``name`` (one of :data:`METHODS`) for ``model``.

    ``network``: the network the Captum methods differentiate, by default ``model.module``;
    e.g. a :func:`channels_last_copy` of it, made once and shared by the methods. LICNN's
    maps always use ``model.module``.
    """
    module = model.module if network is None else network
    if name == "licnn_attention":
        explainer = LICNN(model, config, batch_size=batch_size)
        return AttributionMethod(name, lambda x, t: explainer.attribute(x, target=t))
    if name == "licnn_saliency":
        explainer = LICNN(model, config, batch_size=batch_size)
        # The saliency map is told no class: the target is ignored.
        return AttributionMethod(name, lambda x, _t: explainer.saliency(x, top_k=5))
    if name == "gradient":
        sal = Saliency(module)
        return AttributionMethod(
            name, _channel_sum(lambda x, target: sal.attribute(x, target=target, abs=False))
        )
    if name == "gradient_x_input":
        return AttributionMethod(name, _channel_sum(InputXGradient(module).attribute))
    if name == "integrated_gradients":
        ig = IntegratedGradients(module)

        def integrated(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            # Steps in batches of batch_size inputs: larger ones are slower per step on a CPU.
            return ig.attribute(x, target=target, n_steps=ig_steps, internal_batch_size=batch_size)

        return AttributionMethod(name, _channel_sum(integrated))
    if name == "grad_cam":
        cam = LayerGradCam(module, grad_cam_layer(model, module))

        def grad_cam(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            maps = cam.attribute(x, target=target, relu_attributions=True)
            up = LayerAttribution.interpolate(
                maps, tuple(x.shape[-2:]), interpolate_mode="bilinear"
            )
            return up[:, 0]

        return AttributionMethod(name, grad_cam)
    if name == "centre_prior":

        def prior(x: torch.Tensor, _t: torch.Tensor) -> torch.Tensor:
            base = torch.from_numpy(centre_prior((x.shape[-2], x.shape[-1])).astype(np.float32))
            return base.expand(x.shape[0], -1, -1).clone()

        return AttributionMethod(name, prior)
    raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}")
