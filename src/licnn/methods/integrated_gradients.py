"""Integrated Gradients (Sundararajan et al. 2017) from a black image, ``ig_steps`` steps."""

from __future__ import annotations

import torch

from licnn.methods._captum import IntegratedGradients as CaptumIntegratedGradients
from licnn.methods._captum import leaf
from licnn.methods.base import AttributionMethod
from licnn.methods.registry import register


@register
class IntegratedGradients(AttributionMethod):
    """Captum's ``IntegratedGradients`` (zero baseline), summed over the colour channels."""

    name = "integrated_gradients"
    label = "Integrated Gradients"
    signed = True
    magnitude = True
    uses_captum = True
    uses_ig_steps = True

    def _setup(self) -> None:
        self._captum = CaptumIntegratedGradients(self.network)

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        # Steps in batches of batch_size inputs: larger ones are slower per step on a CPU.
        # Captum takes at least one step for every image at once, and warns when asked for
        # fewer rows than images; asking for that many gives the same batches, silently.
        attributions = self._captum.attribute(
            leaf(inputs),
            target=target,
            n_steps=self.ig_steps,
            internal_batch_size=max(self.batch_size, inputs.shape[0]),
        )
        return attributions.sum(dim=1)
