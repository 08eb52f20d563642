"""Changes made to a randomised model to test an explanation of what its maps keep.

Chapter 4 reads the centred pattern that LICNN's maps keep after every weight is randomised
as an effect of zero padding: with random weights, a convolution near the border sees
zeros where the image stops, so responses fade towards the edges, and the sum of 33
layers' responses becomes a centred blob. If that is the cause, padding that repeats the
border pixel instead of adding zeros should weaken the pattern. ``replicate_padding``
makes that change; a test runs the randomised models with it and looks at how much of the
maps' similarity to the original (and to a centre prior) is left.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn


def replicate_padding_(module: nn.Module) -> int:
    """Replace every ``nn.ZeroPad2d`` of ``module`` by ``nn.ReplicationPad2d`` of the same
    widths, in place; returns how many were replaced.

    Convolutions that pad by themselves (``padding > 0`` with ``padding_mode="zeros"``) are
    switched to ``padding_mode="replicate"``. Idempotent: a second call changes nothing.
    """
    replaced = 0
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.ZeroPad2d):
                setattr(parent, name, nn.ReplicationPad2d(child.padding))
                replaced += 1
            elif isinstance(child, nn.Conv2d) and child.padding_mode == "zeros":
                if child.padding == "same" or any(
                    isinstance(p, int) and p > 0 for p in child.padding
                ):
                    # Conv2d keeps the widths for F.pad from its construction, for any mode.
                    child.padding_mode = "replicate"
                    replaced += 1
    return replaced


#: The interventions a randomisation test can apply to every randomised model, by name.
INTERVENTIONS: dict[str, Callable[[nn.Module], object]] = {
    "none": lambda module: 0,
    "replicate_padding": replicate_padding_,
}


def intervene_(module: nn.Module | None, name: str) -> None:
    """Apply the intervention ``name`` to ``module`` in place (``None``: only check the name)."""
    if name not in INTERVENTIONS:
        raise ValueError(f"unknown intervention {name!r}; known: {sorted(INTERVENTIONS)}")
    if module is not None:
        INTERVENTIONS[name](module)
