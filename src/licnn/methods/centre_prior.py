"""The centre prior: a fixed Gaussian that ignores the image and the model.

The baseline a map has to beat: objects in photographs tend to be near the centre.
"""

from __future__ import annotations

import numpy as np
import torch

from licnn.methods.base import AttributionMethod
from licnn.methods.registry import register
from licnn.metrics.localisation import centre_prior


@register
class CentrePrior(AttributionMethod):
    """:func:`licnn.metrics.localisation.centre_prior` at the input size, the same for every image."""

    name = "centre_prior"
    label = "Centre prior"
    class_free = True
    uses_model = False

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        height, width = inputs.shape[-2:]
        base = torch.from_numpy(centre_prior((height, width)).astype(np.float32))
        return base.expand(inputs.shape[0], -1, -1).clone()
