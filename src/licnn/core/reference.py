"""LICNN step by step: one image, one class at a time, as SPEC section 1 lists the steps.

This is the readable version and the test oracle of :mod:`licnn.core.attention`. Like the
seed author's code it runs, for every class, a forward pass, a full ``backward()`` from the
class score (parameter gradients included) and a gated forward pass. The lateral
inhibition is written from the formula with explicit LIZ patches (``unfold``), not with the
pooling and shifting the fast path uses. :func:`trace` also returns every intermediate
step, which the implementation notebook shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from licnn.core.config import LICNNConfig
from licnn.core.gates import GateHooks
from licnn.core.lateral_inhibition import distance_weights
from licnn.errors import InputError, ModelError

if TYPE_CHECKING:  # the core needs no torchvision, which licnn.models imports
    from licnn.models import LoadedModel


@dataclass
class Trace:
    """Every intermediate result of one attention map (lists have one entry per gate point)."""

    target: int
    probability: float
    max_c: list[torch.Tensor] = field(default_factory=list)  # raw Max-C maps of the gradient
    normalised: list[torch.Tensor] = field(default_factory=list)  # x = Max-C / ||Max-C||
    average_term: list[torch.Tensor] = field(default_factory=list)  # a * exp(-mean_LIZ(x))
    differential_term: list[torch.Tensor] = field(default_factory=list)  # b * sum d e^-d [.]+
    inhibition: list[torch.Tensor] = field(default_factory=list)  # x_LI / ||x_LI||
    masks: list[torch.Tensor | None] = field(default_factory=list)  # True = kept
    sum_c: list[torch.Tensor] = field(default_factory=list)  # gated Sum-C maps, layer size
    attention: torch.Tensor | None = None  # the attention map, input size, L2-normalised


def _norm(x: torch.Tensor) -> torch.Tensor:
    """L2 normalisation as :func:`licnn.core.lateral_inhibition.l2_normalise` defines it, one map.

    Divide by the largest absolute value first (no underflow of tiny maps, no overflow of
    huge ones), then by the norm; a map that is zero everywhere stays zero.
    """
    largest = x.abs().max()
    if largest == 0:
        return x
    y = x / largest
    return y / torch.sqrt((y * y).sum())


def liz_patches(x: torch.Tensor, k: int) -> torch.Tensor:
    """The ``k*k`` values of the LIZ around every location of an ``H x W`` map: ``(k*k, H, W)``."""
    h, w = x.shape
    padded = F.pad(x[None, None], (k // 2,) * 4)  # zero padding k // 2
    return F.unfold(padded, k).reshape(k * k, h, w)


def lateral_inhibition_terms(
    x: torch.Tensor, a: float, b: float, k: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The average and differential terms of x_LI for one normalised ``H x W`` map."""
    patches = liz_patches(x, k)
    average = a * torch.exp(-patches.mean(dim=0))
    weight = distance_weights(k).to(x.dtype).reshape(k * k, 1, 1)
    differential = b * (weight * torch.clamp(patches - x[None], min=0)).sum(dim=0)
    return average, differential


def trace(
    model: LoadedModel, image: torch.Tensor, target: int, config: LICNNConfig | None = None
) -> Trace:
    """The attention map of ``image`` (3 x H x W, normalised) for class ``target``, with all steps."""
    cfg = config or LICNNConfig()
    if not torch.isfinite(image).all():
        raise InputError("the image contains NaN or infinite values")
    module, gates = model.module, model.gate_points
    x = image.unsqueeze(0)
    with GateHooks(module, gates) as hooks:
        # Step 1: forward pass, keeping every activation output.
        activations: list[torch.Tensor] = []

        def keep(_i: int, out: torch.Tensor) -> None:
            out.retain_grad()
            activations.append(out)

        hooks.on_output = keep
        with torch.enable_grad():
            module.zero_grad(set_to_none=True)
            logits = module(x.requires_grad_(True))
            hooks.on_output = None
            prob = torch.softmax(logits, dim=1)[0, target]
            # Step 2: back-propagate the class score (softmax probability or logit).
            score = prob if cfg.score == "softmax" else logits[0, target]
            score.backward()
        module.zero_grad(set_to_none=True)
        result = Trace(target=target, probability=float(prob.detach()))

        # Steps 3-5, layer by layer.
        for i, act in enumerate(activations):
            if act.grad is None:
                raise ModelError(
                    f"gate point {i} ({gates[i].label}) got no gradient from the class score; "
                    "gate only activations that the model's output depends on"
                )
            grad = act.grad[0]
            max_c = grad.max(dim=0).values
            xn = _norm(max_c.double())  # inhibition in float64: gate decisions at near-ties
            average, differential = lateral_inhibition_terms(xn, cfg.a, cfg.b, cfg.k)
            inhibition = _norm(average + differential)
            last = i == len(activations) - 1
            mask = None if (last and not cfg.gate_last) else xn > inhibition
            result.max_c.append(max_c.detach())
            result.normalised.append(xn.detach())
            result.average_term.append(average.detach())
            result.differential_term.append(differential.detach())
            result.inhibition.append(inhibition.detach())
            result.masks.append(mask)
        activations.clear()

        # Step 6: gated forward pass; every channel is zeroed at masked-out locations.
        hooks.masks = [None if m is None else m[None, None].to(x.dtype) for m in result.masks]
        gated: list[torch.Tensor] = []
        if cfg.kind == "response":
            hooks.on_output = lambda _i, out: gated.append(out.detach()[0].sum(dim=0))
            with torch.no_grad():
                module(x.detach())
            result.sum_c = gated
        else:
            hooks.on_output = lambda _i, out: gated.append(out)
            with torch.enable_grad():
                out = module(x.detach().requires_grad_(True))
                s = (
                    torch.softmax(out, dim=1)[0, target]
                    if cfg.score == "softmax"
                    else out[0, target]
                )
                grads = torch.autograd.grad(s, gated)
            result.sum_c = [
                (g[0] if m is None else g[0] * m).sum(dim=0).detach()
                for g, m in zip(grads, result.masks, strict=True)
            ]

    # Step 7: Sum-C maps (normalised per layer), resized to the input size, summed, normalised.
    h, w = image.shape[-2:]
    total = torch.zeros(h, w, dtype=image.dtype, device=image.device)
    for s in result.sum_c:
        layer = _norm(s) if cfg.layer_norm else s
        if layer.shape != (h, w):
            kwargs = {"align_corners": False} if cfg.resize == "bilinear" else {}
            layer = F.interpolate(layer[None, None], size=(h, w), mode=cfg.resize, **kwargs)[0, 0]
        total = total + layer
    result.attention = _norm(total)
    return result


def attention_map(
    model: LoadedModel, image: torch.Tensor, target: int, config: LICNNConfig | None = None
) -> torch.Tensor:
    """The attention map (H x W) of one image for one class."""
    attention = trace(model, image, target, config).attention
    assert attention is not None, "trace() always sets the attention map"
    return attention


def top_classes(
    model: LoadedModel, image: torch.Tensor, k: int = 5
) -> tuple[list[int], list[float]]:
    """The k most probable classes of one image and their softmax probabilities."""
    with torch.no_grad():
        probs = torch.softmax(model.module(image.unsqueeze(0)), dim=1)[0]
    top = probs.topk(k)
    return top.indices.tolist(), top.values.tolist()


def saliency_map(
    model: LoadedModel, image: torch.Tensor, top_k: int = 5, config: LICNNConfig | None = None
) -> torch.Tensor:
    """The saliency map (H x W): sum of the top-k attention maps, L2-normalised."""
    classes, _ = top_classes(model, image, top_k)
    total = sum(attention_map(model, image, c, config) for c in classes)
    if not isinstance(total, torch.Tensor):  # sum() of no maps is the int 0
        raise InputError(f"top_k must be at least 1, got {top_k}")
    return _norm(total)
