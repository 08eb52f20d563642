"""Gradient x Input: the pixel gradient times the pixel, summed over the colour channels."""

from __future__ import annotations

import torch

from licnn.methods._captum import InputXGradient, leaf
from licnn.methods.base import AttributionMethod
from licnn.methods.registry import register


@register
class GradientXInput(AttributionMethod):
    """Captum's ``InputXGradient``, summed over the colour channels (signed)."""

    name = "gradient_x_input"
    label = "Gradient x Input"
    signed = True
    magnitude = True
    uses_captum = True

    def _setup(self) -> None:
        self._captum = InputXGradient(self.network)

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        return self._captum.attribute(leaf(inputs), target=target).sum(dim=1)
