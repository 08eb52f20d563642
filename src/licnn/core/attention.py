"""LICNN attention and saliency maps: the fast, batched implementation.

For a chunk of images it makes one forward pass (kept for autograd) that also gives the
top-k classes, one activation-gradient backward pass per class slot (no parameter
gradients), the lateral inhibition of all Max-C maps of a layer at once, and one gated
forward pass for all (image, class) pairs together, which stops after the last gate point.
:mod:`licnn.core.reference` is the plain, step-by-step version it is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import torch
import torch.nn.functional as F
from torch import nn

from licnn.core.checks import Target, as_targets, check_reached
from licnn.core.checks import check_inputs as check_inputs
from licnn.core.checks import check_logits as check_logits
from licnn.core.checks import check_targets as check_targets
from licnn.core.config import LICNNConfig
from licnn.core.gates import GateHooks, GatePoint, check_gateable, find_gate_points
from licnn.core.lateral_inhibition import l2_normalise, layer_masks
from licnn.core.lateral_inhibition import suppression_mask as suppression_mask  # old name
from licnn.errors import InputError, ModelError

if TYPE_CHECKING:  # the core needs no torchvision: models is imported for typing only
    from licnn.models import LoadedModel


@dataclass
class LICNNResult:
    """Maps and predictions for a batch of ``N`` images and ``K`` classes per image."""

    attention: torch.Tensor  # N x K x H x W, each map L2-normalised
    classes: torch.Tensor  # N x K class indices the maps are for
    probabilities: torch.Tensor  # N x K softmax probabilities of those classes
    logits: torch.Tensor  # N x C logits of the ungated forward pass

    @property
    def saliency(self) -> torch.Tensor:
        """Sum of the K attention maps, L2-normalised (N x H x W)."""
        return l2_normalise(self.attention.sum(dim=1))

    def cpu(self) -> LICNNResult:
        """The same result with every tensor on the CPU (for numpy, plots and metrics)."""
        return LICNNResult(
            self.attention.cpu(), self.classes.cpu(), self.probabilities.cpu(), self.logits.cpu()
        )


class _StopForward(Exception):
    """Raised by a hook after the last gate point: the rest of the network is not needed."""


class LICNN:
    """Category-specific attention maps and top-k saliency maps by lateral inhibition.

    Built from a :class:`licnn.models.LoadedModel` (or any ``nn.Module`` classifier with
    ReLU-family activations) and called like a Captum method::

        explainer = LICNN(load_model("efficientnet-lite0"))
        maps = explainer.attribute(images, target=None)   # predicted class, N x H x W
        sal = explainer.saliency(images, top_k=5)          # N x H x W

    Hooks are installed only during a call and removed afterwards.
    """

    def __init__(
        self,
        model: LoadedModel | nn.Module,
        config: LICNNConfig | None = None,
        gate_points: Sequence[GatePoint] | None = None,
        batch_size: int = 8,
        input_size: int = 224,
    ) -> None:
        wrapped = getattr(model, "module", None)
        if isinstance(wrapped, nn.Module) and hasattr(model, "gate_points"):
            # a licnn.models.LoadedModel (checked by shape, so the core needs no torchvision)
            self.module = wrapped
            gate_points = gate_points or cast("LoadedModel", model).gate_points
        else:
            if not isinstance(model, nn.Module):
                raise ModelError(
                    "LICNN needs a licnn LoadedModel or a torch.nn.Module, "
                    f"got {type(model).__name__}"
                )
            self.module = model.eval()
            if gate_points is None:
                check_gateable(self.module, type(model).__name__, input_size)
                gate_points = find_gate_points(self.module, input_size)
            if not gate_points:
                raise ModelError(
                    f"{type(model).__name__} has no ReLU-type activation with a spatial output "
                    "to gate; LICNN needs a CNN with ReLU-family activations"
                )
        self.gate_points = list(gate_points)
        self.config = config or LICNNConfig()
        self.batch_size = batch_size

    # -- public API ------------------------------------------------------------------

    def attribute(self, inputs: torch.Tensor, target: Target = None) -> torch.Tensor:
        """Attention maps (N x H x W) for ``target`` (one class per image; None: predicted)."""
        return self.explain(inputs, target=target, top_k=1).attention[:, 0]

    def saliency(self, inputs: torch.Tensor, top_k: int = 5) -> torch.Tensor:
        """Saliency maps (N x H x W): sum of the attention maps of the top-k predicted classes."""
        return self.explain(inputs, top_k=top_k).saliency

    def explain(self, inputs: torch.Tensor, target: Target = None, top_k: int = 5) -> LICNNResult:
        """Attention maps for given classes (``target``, N x K) or the top-k predicted ones."""
        return self.explain_configs(inputs, [self.config], target=target, top_k=top_k)[0]

    def explain_configs(
        self,
        inputs: torch.Tensor,
        configs: Sequence[LICNNConfig],
        target: Target = None,
        top_k: int = 5,
    ) -> list[LICNNResult]:
        """:meth:`explain` under several configurations at once, one result per configuration.

        Each step is computed once for all configurations that agree on what it depends on:
        the forward and backward passes on ``score``; the inhibition of a layer also on ``a``,
        ``b`` and ``k``; the gated pass also on ``kind`` (and, for gradient maps, on
        ``gate_last``); only the final sum (``layer_norm``, ``resize``) is per configuration.
        The results equal separate calls.
        """
        check_inputs(inputs)
        configs = list(configs)
        if not configs:
            raise ValueError("explain_configs needs at least one configuration")
        targets = as_targets(target, inputs.shape[0], inputs.device)
        parts = []
        for start in range(0, inputs.shape[0], self.batch_size):
            chunk = slice(start, start + self.batch_size)
            parts.append(
                self._explain_chunk(
                    inputs[chunk], None if targets is None else targets[chunk], top_k, configs
                )
            )
        return [
            LICNNResult(
                *(
                    torch.cat([getattr(chunk_results[c], f) for chunk_results in parts])
                    for f in ("attention", "classes", "probabilities", "logits")
                )
            )
            for c in range(len(configs))
        ]

    # -- the algorithm ---------------------------------------------------------------

    def _explain_chunk(
        self,
        x: torch.Tensor,
        targets: torch.Tensor | None,
        top_k: int,
        configs: Sequence[LICNNConfig],
    ) -> list[LICNNResult]:
        first: dict[str, _FirstPass] = {}
        masks: dict[tuple, list[torch.Tensor]] = {}
        gated: dict[tuple, list[torch.Tensor]] = {}
        results = []
        with GateHooks(self.module, self.gate_points) as hooks:
            for cfg in configs:
                if cfg.score not in first:
                    first[cfg.score] = self._first_pass(hooks, x, targets, top_k, cfg.score)
                fp = first[cfg.score]
                layer_masks = self._masks(fp, cfg, masks, x.dtype)
                # A response pass stops after the last gate point, so the last mask only scales
                # the last Sum-C map (exactly: it is 0 or 1 per location). It is applied
                # afterwards, and gate_last on and off share one pass.
                last_after = cfg.kind == "response"
                gate_key = (cfg.score, cfg.a, cfg.b, cfg.k, cfg.kind, last_after or cfg.gate_last)
                if gate_key not in gated:
                    in_pass = [*layer_masks[:-1], None] if last_after else layer_masks
                    gated[gate_key] = self._gated_pass(hooks, x, fp.classes, in_pass, cfg)
                layer_maps = gated[gate_key]
                if last_after and layer_masks[-1] is not None:
                    layer_maps = [*layer_maps[:-1], layer_maps[-1] * layer_masks[-1][:, 0]]
                attention = self._combine(layer_maps, x.shape[-2:], cfg)
                attention = attention.reshape(x.shape[0], fp.classes.shape[1], *x.shape[-2:])
                results.append(LICNNResult(attention, fp.classes, fp.picked, fp.logits))
        return results

    def _first_pass(
        self,
        hooks: GateHooks,
        x: torch.Tensor,
        targets: torch.Tensor | None,
        top_k: int,
        score: str,
    ) -> _FirstPass:
        """Steps 1-2: one forward pass, kept for autograd; then one backward per class slot.

        Each backward pass runs to the input, and a tensor hook on every gate point's output
        takes the Max-C map of its gradient the moment that gradient is made. Asking autograd
        for the gate points' gradients themselves would keep all of them until the pass ends
        (about 190 MB per slot for 8 Lite0 images) and read them again afterwards; this way
        each is reduced while it is fresh in the cache and freed at once. The maps are the
        same: a tensor hook sees the full gradient of its tensor.
        """
        outputs: list[torch.Tensor] = []
        hooks.on_output = lambda _i, out: outputs.append(out)
        with torch.enable_grad():
            source = x.detach().requires_grad_(True)
            logits = self.module(source)
            hooks.on_output = None
            check_logits(logits)
            probs = torch.softmax(logits, dim=1)
            scores = probs if score == "softmax" else logits
            if targets is not None:
                check_targets(targets, logits.shape[1])
            elif not 1 <= top_k <= logits.shape[1]:
                raise InputError(f"top_k must be in 1..{logits.shape[1]}, got {top_k}")
            classes = targets if targets is not None else probs.topk(top_k, dim=1).indices
            rows = torch.arange(x.shape[0], device=x.device)
            max_c: list[list[torch.Tensor]] = [[] for _ in self.gate_points]
            handles = [
                out.register_hook(lambda g, maps=maps: maps.append(g.amax(dim=1)))
                for out, maps in zip(outputs, max_c, strict=True)
            ]
            n_slots = classes.shape[1]
            try:
                for slot in range(n_slots):
                    total = scores[rows, classes[:, slot]].sum()
                    torch.autograd.grad(
                        total, source, retain_graph=slot < n_slots - 1, allow_unused=True
                    )
                    check_reached(self.gate_points, max_c, slot + 1)
            finally:
                for handle in handles:
                    handle.remove()
                outputs.clear()
        # Rows are image-major: row n * K + slot.
        stacked = [torch.stack(maps, dim=1).flatten(0, 1) for maps in max_c]
        for gate, maps in zip(self.gate_points, stacked, strict=True):
            if not torch.isfinite(maps).all():
                raise ModelError(
                    f"the gradient at gate point {gate.label} is not finite (NaN or Inf): the "
                    "network overflows on these inputs; check its weights and the preprocessing"
                )
        return _FirstPass(stacked, classes, probs.detach().gather(1, classes), logits.detach())

    def _masks(
        self,
        fp: _FirstPass,
        cfg: LICNNConfig,
        done: dict[tuple, list[torch.Tensor]],
        dtype: torch.dtype,
    ) -> list[torch.Tensor | None]:
        """Steps 3-5: the suppression mask of every gate point (None: left ungated)."""
        key = (cfg.score, cfg.a, cfg.b, cfg.k)
        if key not in done:
            done[key] = layer_masks(fp.max_c, cfg.a, cfg.b, cfg.k, dtype)
        masks: list[torch.Tensor | None] = list(done[key])
        if not cfg.gate_last:
            masks[-1] = None
        return masks

    def _gated_pass(
        self,
        hooks: GateHooks,
        x: torch.Tensor,
        classes: torch.Tensor,
        masks: Sequence[torch.Tensor | None],
        cfg: LICNNConfig,
    ) -> list[torch.Tensor]:
        """Step 6: one gated pass for every (image, class) pair; per-layer Sum-C maps."""
        # Chunks of at most batch_size rows: larger batches are slower per image on a CPU.
        n_slots = classes.shape[1]
        repeated = x.detach().repeat_interleave(n_slots, dim=0)
        flat_classes = classes.reshape(-1)
        pieces: list[list[torch.Tensor]] = []
        for start in range(0, repeated.shape[0], self.batch_size):
            rows = slice(start, start + self.batch_size)
            hooks.masks = [None if m is None else m[rows] for m in masks]
            if cfg.kind == "response":
                pieces.append(self._gated_responses(hooks, repeated[rows]))
            else:
                pieces.append(
                    self._gated_gradients(
                        hooks, repeated[rows], flat_classes[rows], hooks.masks, cfg.score
                    )
                )
        hooks.masks = None
        return [torch.cat(parts) for parts in zip(*pieces, strict=True)]

    def _gated_responses(self, hooks: GateHooks, x: torch.Tensor) -> list[torch.Tensor]:
        sum_c: list[torch.Tensor] = []
        last = len(self.gate_points) - 1

        def keep(i: int, out: torch.Tensor) -> None:
            sum_c.append(out.sum(dim=1))
            if i == last:
                raise _StopForward

        hooks.on_output = keep
        hooks.inplace = True
        try:
            with torch.inference_mode():
                self.module(x)
        except _StopForward:
            pass
        finally:
            hooks.inplace = False
            hooks.on_output = None
        return sum_c

    def _gated_gradients(
        self,
        hooks: GateHooks,
        x: torch.Tensor,
        classes: torch.Tensor,
        masks: Sequence[torch.Tensor | None],
        score: str,
    ) -> list[torch.Tensor]:
        # As in the first pass: each gradient is reduced by a tensor hook when it is made.
        outputs: list[torch.Tensor] = []
        hooks.on_output = lambda _i, out: outputs.append(out)
        with torch.enable_grad():
            source = x.requires_grad_(True)
            logits = self.module(source)
            hooks.on_output = None
            scores = torch.softmax(logits, dim=1) if score == "softmax" else logits
            rows = torch.arange(x.shape[0], device=x.device)
            sums: list[list[torch.Tensor]] = [[] for _ in outputs]

            def sum_c(g: torch.Tensor, m: torch.Tensor | None, into: list[torch.Tensor]) -> None:
                into.append((g if m is None else g * m).sum(dim=1))

            handles = [
                out.register_hook(lambda g, m=m, into=into: sum_c(g, m, into))
                for out, m, into in zip(outputs, masks, sums, strict=True)
            ]
            try:
                torch.autograd.grad(scores[rows, classes].sum(), source, allow_unused=True)
                check_reached(self.gate_points, sums, 1)
            finally:
                for handle in handles:
                    handle.remove()
                outputs.clear()
        return [maps[0] for maps in sums]

    def _combine(
        self, layer_maps: Sequence[torch.Tensor], size: torch.Size, cfg: LICNNConfig
    ) -> torch.Tensor:
        """Step 7: (normalise,) resize to the input size, sum over layers, normalise."""
        # Resizing is linear: maps of one resolution are summed first and resized once.
        by_size: dict[tuple[int, ...], torch.Tensor] = {}
        for m in layer_maps:
            m = m.float()
            if cfg.layer_norm:
                m = l2_normalise(m)
            key = tuple(m.shape[-2:])
            by_size[key] = by_size[key] + m if key in by_size else m
        total = sum(resize_map(m, size, cfg.resize) for m in by_size.values())
        assert isinstance(total, torch.Tensor), "a model has at least one gate point"
        return l2_normalise(total)


@dataclass
class _FirstPass:
    """What the ungated forward and backward passes give: Max-C maps and the classes."""

    max_c: list[torch.Tensor]  # per gate point: (N * K) x H x W, image-major rows
    classes: torch.Tensor  # N x K
    picked: torch.Tensor  # N x K softmax probabilities of the classes
    logits: torch.Tensor  # N x C


def resize_map(maps: torch.Tensor, size: Sequence[int], mode: str) -> torch.Tensor:
    """Resize ``(B, h, w)`` maps to ``size`` with nearest or bilinear interpolation."""
    if tuple(maps.shape[-2:]) == tuple(size):
        return maps
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    return F.interpolate(maps.unsqueeze(1), size=tuple(size), mode=mode, **kwargs).squeeze(1)
