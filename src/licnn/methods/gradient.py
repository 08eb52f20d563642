"""Gradient (Simonyan et al. 2014): the class score's gradient with respect to the pixels."""

from __future__ import annotations

import torch

from licnn.methods._captum import Saliency, leaf
from licnn.methods.base import AttributionMethod
from licnn.methods.registry import register


@register
class Gradient(AttributionMethod):
    """Captum's ``Saliency`` without the absolute value, summed over the colour channels."""

    name = "gradient"
    label = "Gradient"
    signed = True
    magnitude = True
    uses_captum = True

    def _setup(self) -> None:
        self._captum = Saliency(self.network)

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        return self._captum.attribute(leaf(inputs), target=target, abs=False).sum(dim=1)
