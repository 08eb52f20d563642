"""The settings of LICNN, with the seed paper's text as the default.

Where the seed's text and its author's released code differ (SPEC section 1), the text is
the default and the code's choice is an option; :meth:`LICNNConfig.seed_code` gives the
code's choices in one call.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from licnn.errors import ConfigError

Score = Literal["softmax", "logit"]
Resize = Literal["bilinear", "nearest"]
Kind = Literal["response", "gradient"]


@dataclass(frozen=True)
class LICNNConfig:
    """LICNN parameters.

    a, b: weights of the average and the differential inhibition terms (paper: 0.1, 0.9).
    k: side of the square lateral inhibition zone in activation-map cells (odd; paper: 7).
    score: the back-propagated quantity, the class's softmax probability (seed) or its logit.
    layer_norm: L2-normalise each layer's Sum-C map before the sum (seed text) or not (code).
    gate_last: gate the last activation layer too (seed text) or leave it ungated (code).
    resize: how Sum-C maps are brought to the input size (the seed code: nearest).
    kind: response-based maps (gated responses, the seed) or gradient-based (gated gradients).
    """

    a: float = 0.1
    b: float = 0.9
    k: int = 7
    score: Score = "softmax"
    layer_norm: bool = True
    gate_last: bool = True
    resize: Resize = "bilinear"
    kind: Kind = "response"

    def __post_init__(self) -> None:
        # bool is an int subclass: k=True would silently mean a 1 x 1 zone.
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1 or self.k % 2 == 0:
            raise ConfigError(f"k must be an odd positive integer, got {self.k!r}")
        for name in ("a", "b"):
            value = getattr(self, name)
            # NaN passes every comparison, so finiteness is checked first, and explicitly.
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite non-negative number, got {value!r}")
        if self.score not in ("softmax", "logit"):
            raise ConfigError(f"score must be 'softmax' or 'logit', got {self.score!r}")
        if self.resize not in ("bilinear", "nearest"):
            raise ConfigError(f"resize must be 'bilinear' or 'nearest', got {self.resize!r}")
        if self.kind not in ("response", "gradient"):
            raise ConfigError(f"kind must be 'response' or 'gradient', got {self.kind!r}")

    @classmethod
    def seed_code(cls, **changes: Any) -> LICNNConfig:
        """The choices of the seed author's released code: no per-layer norm, last layer ungated, nearest resize."""
        return replace(cls(layer_norm=False, gate_last=False, resize="nearest"), **changes)

    def replace(self, **changes: Any) -> LICNNConfig:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
