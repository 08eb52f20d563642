"""Class-free versions of the class-specific baselines: the sum of their top-5 class maps.

LICNN's saliency map sums the attention maps of the five most probable classes and is told no
class; the baselines, asked for the top-1 class only, are then compared with a map that has
seen five. These methods remove that difference: each runs its base method once per class
among the image's top 5 (by the model's softmax), takes each map **as it is scored** (the
magnitude for the pixel-gradient methods, as :data:`licnn.methods.baselines.MAGNITUDE_METHODS`
say; Grad-CAM as it is) and adds the five. They are registered under ``<base>_top5`` and kept
out of :data:`licnn.methods.METHODS`; their names are :data:`TOP_K_METHODS`.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from licnn.methods.base import AttributionMethod
from licnn.methods.grad_cam import GradCAM
from licnn.methods.gradient import Gradient
from licnn.methods.gradient_x_input import GradientXInput
from licnn.methods.registry import register


class _TopKSum(AttributionMethod):
    """The sum over the top-``top_k`` predicted classes of a base method's scored maps."""

    class_free = True
    uses_captum = True
    #: The class-specific method whose maps are summed.
    base: ClassVar[type[AttributionMethod]] = AttributionMethod
    #: How many of the most probable classes are summed (LICNN's saliency map uses five).
    top_k: ClassVar[int] = 5

    def _setup(self) -> None:
        self._base = self.base(
            self.model, None, self.ig_steps, self.batch_size, network=self.network
        )

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        with torch.no_grad():
            classes = self.model.module(inputs).topk(self.top_k, dim=1).indices
        total = torch.zeros((), dtype=torch.float32, device=inputs.device)
        for k in range(self.top_k):
            maps = self._base.attribute(inputs, classes[:, k]).float()
            total = total + (maps.abs() if self.base.magnitude else maps)
        return total


@register
class GradCAMTop5(_TopKSum):
    """Grad-CAM maps of the five most probable classes, added."""

    name = "grad_cam_top5"
    label = "Grad-CAM (top-5 sum)"
    base = GradCAM


@register
class GradientTop5(_TopKSum):
    """Gradient magnitudes of the five most probable classes, added."""

    name = "gradient_top5"
    label = "Gradient (top-5 sum of magnitudes)"
    base = Gradient


@register
class GradientXInputTop5(_TopKSum):
    """Gradient x Input magnitudes of the five most probable classes, added."""

    name = "gradient_x_input_top5"
    label = "Gradient x Input (top-5 sum of magnitudes)"
    base = GradientXInput


#: The top-5 sums, in the report's order; not part of :data:`licnn.methods.METHODS`.
TOP_K_METHODS = (GradCAMTop5.name, GradientTop5.name, GradientXInputTop5.name)
