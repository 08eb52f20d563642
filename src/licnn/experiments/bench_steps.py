"""Where the fast path's time goes: each of its steps timed beside the floor's passes.

:func:`licnn.experiments.bench.run_bench` says how far the fast path is from the floor;
this module says why. On one chunk of images it times, interleaved and the best of
``repeats`` runs each:

- ``first_pass``: the fast path's forward pass and its ``top_k`` backward passes (to the
  input), with the Max-C reduction of every gradient, beside ``floor_backward``, the
  floor's forward and backward passes (to the first gate point, no gradient kept);
  ``max_c = first_pass - floor_backward`` is what the reductions (and the few layers
  before the first gate point) add;
- ``inhibition``: the suppression masks of every gate point (lateral inhibition in float64);
- ``gated_pass``: the ``top_k`` gated forward passes with their masking and Sum-C maps,
  beside ``floor_forward``, the same number of plain forward passes;
- ``combine``: normalising, resizing and summing the Sum-C maps.

It calls the fast path's private steps on purpose: they are what is being timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import torch

from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.core.gates import GateHooks
from licnn.core.lateral_inhibition import layer_masks
from licnn.experiments.bench import floor_backward, floor_forward
from licnn.models import LoadedModel

#: The steps, in the order they run, and the floor's passes they are compared with.
STEPS = (
    "first_pass",
    "floor_backward",
    "inhibition",
    "gated_pass",
    "floor_forward",
    "combine",
)

T = TypeVar("T")


def step_times(
    model: LoadedModel,
    x: torch.Tensor,
    top_k: int = 5,
    repeats: int = 3,
    config: LICNNConfig | None = None,
) -> dict[str, float]:
    """Seconds per image of each step in :data:`STEPS` on the images ``x`` (one chunk).

    Besides the steps, ``max_c`` (the Max-C reductions: first pass minus floor backward),
    ``own`` (what the fast path does beyond the floor's passes: Max-C, inhibition, the gated
    pass's extra over plain forwards, combine) and ``own_share`` (``own`` over the floor's
    passes) are returned; ``1 + own_share`` is the floor ratio these steps predict.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    config = config or LICNNConfig()
    if config.kind != "response":
        raise ValueError("step_times times the response kind (the report's); got " + config.kind)
    explainer = LICNN(model, config, batch_size=x.shape[0])
    times: dict[str, list[float]] = {name: [] for name in STEPS}

    def timed(name: str, fn: Callable[..., T], *args: object) -> T:
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        start = time.perf_counter()
        out = fn(*args)
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        times[name].append(time.perf_counter() - start)
        return out

    with GateHooks(explainer.module, explainer.gate_points) as hooks:
        for run in range(repeats + 1):  # the first run warms up and is not kept
            first = timed("first_pass", explainer._first_pass, hooks, x, None, top_k, config.score)
            timed("floor_backward", floor_backward, explainer.module, hooks, x, top_k)
            cfg = config
            masks = timed("inhibition", layer_masks, first.max_c, cfg.a, cfg.b, cfg.k, x.dtype)
            in_pass: list[torch.Tensor | None] = [*masks[:-1], None]
            classes = first.classes
            maps = timed("gated_pass", explainer._gated_pass, hooks, x, classes, in_pass, config)
            timed("floor_forward", floor_forward, explainer.module, x, top_k)
            timed("combine", explainer._combine, maps, x.shape[-2:], config)
            if run == 0:
                for values in times.values():
                    values.clear()
    seconds = {name: min(values) / x.shape[0] for name, values in times.items()}
    seconds["max_c"] = seconds["first_pass"] - seconds["floor_backward"]
    floor = seconds["floor_backward"] + seconds["floor_forward"]
    own = (
        seconds["max_c"]
        + seconds["inhibition"]
        + (seconds["gated_pass"] - seconds["floor_forward"])
        + seconds["combine"]
    )
    seconds["own"] = own
    seconds["own_share"] = own / floor
    return seconds
