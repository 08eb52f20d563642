"""Captum's attribution classes, imported once with tqdm's notebook warning silenced.

Captum imports ``tqdm.auto``, which warns in a notebook without ipywidgets; its progress bars
are never used here, so that warning is noise in every executed notebook.
"""

from __future__ import annotations

import warnings

import torch
from tqdm import TqdmWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", TqdmWarning)
    from captum.attr import (
        InputXGradient,
        IntegratedGradients,
        LayerAttribution,
        LayerGradCam,
        Saliency,
    )

__all__ = [
    "InputXGradient",
    "IntegratedGradients",
    "LayerAttribution",
    "LayerGradCam",
    "Saliency",
    "leaf",
]


def leaf(inputs: torch.Tensor) -> torch.Tensor:
    """A detached copy of ``inputs`` that requires gradients: what Captum differentiates."""
    return inputs.detach().clone().requires_grad_(True)
