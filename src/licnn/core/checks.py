"""Checks of what goes into and comes out of LICNN: the input batch, the target classes and
the network's outputs, each refused with an error that says what to fix rather than giving a
map of NaNs. :mod:`licnn.core.attention` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from licnn.errors import InputError, ModelError

if TYPE_CHECKING:
    from licnn.core.gates import GatePoint

#: What a method's ``target`` may be: one class for all images, one per image, N x K, or
#: None for the predicted classes.
Target = int | Sequence[int] | torch.Tensor | None


def check_inputs(inputs: torch.Tensor) -> None:
    """Raise :class:`InputError` unless ``inputs`` is a finite floating N x C x H x W batch.

    A NaN or infinite pixel would spread through every layer and give an all-NaN (or, after
    the gates, all-zero) map with no error; it is refused before any work is done.
    """
    if inputs.dim() != 4:
        raise InputError(f"inputs must be N x 3 x H x W, got shape {tuple(inputs.shape)}")
    if not inputs.is_floating_point():
        raise InputError(f"inputs must be a floating-point tensor, got {inputs.dtype}")
    finite = torch.isfinite(inputs)
    if not finite.all():
        bad = (~finite).flatten(1).any(dim=1).nonzero().flatten().tolist()
        raise InputError(
            f"inputs contain NaN or infinite values (images {bad[:5]}"
            f"{' ...' if len(bad) > 5 else ''} of {inputs.shape[0]}); fix the images or "
            "their preprocessing"
        )


def check_logits(logits: torch.Tensor) -> None:
    """Raise :class:`ModelError` when the network's outputs are not finite."""
    if not torch.isfinite(logits).all():
        raise ModelError(
            "the network's outputs are NaN or infinite for these inputs; check its weights "
            "(a randomised or untrained network can overflow) and the preprocessing"
        )


def check_targets(targets: torch.Tensor, n_classes: int) -> None:
    """Raise :class:`InputError` when a target class is outside ``0 .. n_classes - 1``."""
    if targets.numel() and (targets.min() < 0 or targets.max() >= n_classes):
        bad = targets[(targets < 0) | (targets >= n_classes)].unique().tolist()
        raise InputError(f"target classes {bad[:5]} are outside 0..{n_classes - 1}")


def check_reached(
    gate_points: Sequence[GatePoint], maps: Sequence[Sequence[torch.Tensor]], passes: int
) -> None:
    """Every gate point got a gradient in each backward pass so far, or a ModelError."""
    for gate, got in zip(gate_points, maps, strict=True):
        if len(got) != passes:
            raise ModelError(
                f"gate point {gate.index} ({gate.label}) got no gradient from the class score "
                "through the input; gate only activations that the model's output depends on"
            )


def as_targets(target: Target, n: int, device: torch.device) -> torch.Tensor | None:
    """Targets as an N x K long tensor, or None for 'the top-k predicted classes'."""
    if target is None:
        return None
    t = torch.as_tensor(target, dtype=torch.long, device=device)
    if t.dim() == 0:
        t = t.expand(n)
    if t.dim() == 1:
        t = t.unsqueeze(1)
    if t.shape[0] != n:
        raise InputError(f"target has {t.shape[0]} rows for {n} images")
    return t
