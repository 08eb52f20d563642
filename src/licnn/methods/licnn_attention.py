"""LICNN's attention map: the map of one class, by lateral inhibition (the seed's method)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from licnn.core.attention import LICNN, LICNNResult
from licnn.core.config import LICNNConfig
from licnn.methods.base import AttributionMethod
from licnn.methods.registry import register


@register
class LICNNAttention(AttributionMethod):
    """The attention map of the target class (:meth:`licnn.core.attention.LICNN.attribute`)."""

    name = "licnn_attention"
    label = "LICNN attention"
    takes_config = True
    #: Classes per image LICNN is asked for: the target alone.
    top_k = 1

    def _setup(self) -> None:
        self.explainer = LICNN(self.model, self.config, batch_size=self.batch_size)

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        return self.explainer.attribute(inputs, target=target)

    @staticmethod
    def pick(result: LICNNResult) -> torch.Tensor:
        """This method's maps (N x H x W) in a result of :meth:`LICNN.explain_configs`."""
        return result.attention[:, 0]

    def attribute_configs(
        self, inputs: torch.Tensor, configs: Sequence[LICNNConfig], target: torch.Tensor | None
    ) -> list[torch.Tensor]:
        """Maps under several configurations from one :meth:`LICNN.explain_configs` call.

        The passes the configurations agree on are shared; the maps are those ``attribute``
        gives under each configuration, without its input and output checks.
        """
        given = None if self.class_free else target
        results = self.explainer.explain_configs(inputs, configs, target=given, top_k=self.top_k)
        return [self.pick(r) for r in results]
