"""LICNN's saliency map: the sum of the attention maps of the top-5 predicted classes."""

from __future__ import annotations

import torch

from licnn.core.attention import LICNNResult
from licnn.methods.licnn_attention import LICNNAttention
from licnn.methods.registry import register


@register
class LICNNSaliency(LICNNAttention):
    """The top-5 saliency map (:meth:`licnn.core.attention.LICNN.saliency`); told no class."""

    name = "licnn_saliency"
    label = "LICNN saliency (top-5)"
    class_free = True
    top_k = 5

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        return self.explainer.saliency(inputs, top_k=self.top_k)

    @staticmethod
    def pick(result: LICNNResult) -> torch.Tensor:
        return result.saliency
