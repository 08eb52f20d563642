"""Grad-CAM (Selvaraju et al. 2017) at the last convolution, upsampled bilinearly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from licnn.methods._captum import LayerAttribution, LayerGradCam
from licnn.methods.base import AttributionMethod
from licnn.methods.registry import register

if TYPE_CHECKING:
    from licnn.models import LoadedModel

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


@register
class GradCAM(AttributionMethod):
    """Captum's ``LayerGradCam`` with the ReLU, upsampled to the input size (bilinear)."""

    name = "grad_cam"
    label = "Grad-CAM"
    uses_captum = True

    def _setup(self) -> None:
        self._captum = LayerGradCam(self.network, grad_cam_layer(self.model, self.network))

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        maps = self._captum.attribute(inputs, target=target, relu_attributions=True)
        size = tuple(inputs.shape[-2:])
        return LayerAttribution.interpolate(maps, size, interpolate_mode="bilinear")[:, 0]
