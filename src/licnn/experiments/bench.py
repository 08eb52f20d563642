"""Timing of LICNN: the reference, the fast path and the floor, measured in one run.

The *floor* is what any implementation of the algorithm must at least do per image: one
forward pass for the top-k, k activation-gradient backward passes, and k plain forward
passes (the gated ones), here timed as plain forwards and backwards without any of the
LICNN work. ``floor_ratio = fast / floor`` says how much the fast path adds to that.
"""

from __future__ import annotations

import ctypes
import platform
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import torch
from torch import nn

from licnn.core import reference
from licnn.core.attention import LICNN, LICNNResult
from licnn.core.config import LICNNConfig
from licnn.core.gates import GateHooks
from licnn.models import LoadedModel


def cpu_name() -> str:
    """The processor's model name, for the record of a timing (empty if it cannot be told).

    ``platform.processor()`` is empty on Linux, so ``/proc/cpuinfo`` is read first.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class BenchResult:
    """Seconds per image and peak memory of each method, with the largest map difference."""

    model: str
    device: str
    dtype: str
    n_images: int
    batch_size: int
    top_k: int
    inputs: str
    fast_s: float
    floor_s: float
    floor_ratio: float
    reference_s: float | None = None
    speedup: float | None = None
    max_abs_diff: float | None = None
    peak_memory_mb: dict[str, float] = field(default_factory=dict)
    threads: int = field(default_factory=torch.get_num_threads)
    torch_version: str = torch.__version__
    cpu: str = field(default_factory=cpu_name)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class _PeakMemory:
    """Peak memory of a block: CUDA's allocator peak, or the process RSS sampled every 5 ms."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.peak_mb = 0.0

    @contextmanager
    def measure(self) -> Iterator[None]:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            base = torch.cuda.memory_allocated(self.device)
            yield
            torch.cuda.synchronize(self.device)
            self.peak_mb = (torch.cuda.max_memory_allocated(self.device) - base) / 2**20
            return
        import psutil

        _release_freed_memory()
        proc = psutil.Process()
        base = proc.memory_info().rss
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.005):
                peak[0] = max(peak[0], proc.memory_info().rss)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            peak[0] = max(peak[0], proc.memory_info().rss)
            self.peak_mb = (peak[0] - base) / 2**20


def _release_freed_memory() -> None:
    """Hand memory freed by earlier phases back to the OS (glibc), so RSS growth is this phase's."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _timed(fn: Callable[[], object], device: torch.device) -> tuple[float, object]:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start, out


def floor_pass(model: LoadedModel, x: torch.Tensor, top_k: int, batch_size: int) -> None:
    """One forward, top_k activation-gradient backwards, top_k plain forwards, per chunk."""
    with GateHooks(model.module, model.gate_points) as hooks:
        for start in range(0, x.shape[0], batch_size):
            chunk = x[start : start + batch_size]
            floor_backward(model.module, hooks, chunk, top_k)
            floor_forward(model.module, chunk, top_k)


def floor_backward(module: nn.Module, hooks: GateHooks, x: torch.Tensor, top_k: int) -> None:
    """The floor's gradient part: one forward pass, then top_k backward passes.

    Each backward pass runs down to the first gate point, the least that gives every gate
    point its gradient, and keeps none of the gradients. (Until 2 December 2026 the floor
    asked autograd for all gate points' gradients, which keeps them until the pass ends;
    that costs more, and the fast path, which reduces each gradient as it is made, ran
    faster than that floor in its backward passes.)
    """
    outputs: list[torch.Tensor] = []
    hooks.on_output = lambda _i, out: outputs.append(out)
    with torch.enable_grad():
        probs = torch.softmax(module(x.detach().requires_grad_(True)), dim=1)
        hooks.on_output = None
        classes = probs.topk(top_k, dim=1).indices
        rows = torch.arange(x.shape[0], device=x.device)
        for slot in range(top_k):
            score = probs[rows, classes[:, slot]].sum()
            torch.autograd.grad(score, outputs[0], retain_graph=slot < top_k - 1)
    outputs.clear()


def floor_forward(module: nn.Module, x: torch.Tensor, top_k: int) -> None:
    """The floor's gated part: top_k plain forward passes (no gates, no maps)."""
    with torch.inference_mode():
        for _ in range(top_k):
            module(x)


def reference_pass(
    model: LoadedModel, x: torch.Tensor, top_k: int, config: LICNNConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """Saliency and attention maps of every image by :mod:`licnn.core.reference`."""
    attention = []
    for image in x:
        classes, _ = reference.top_classes(model, image, top_k)
        attention.append(
            torch.stack([reference.attention_map(model, image, c, config) for c in classes])
        )
    att = torch.stack(attention)
    sal = att.sum(dim=1)
    return sal / torch.linalg.vector_norm(sal, dim=(-2, -1), keepdim=True), att


def run_bench(
    model: LoadedModel,
    x: torch.Tensor,
    inputs: str,
    batch_size: int = 8,
    top_k: int = 5,
    with_reference: bool = True,
    config: LICNNConfig | None = None,
    repeats: int = 1,
) -> BenchResult:
    """Time reference, fast and floor on the same images; the best of ``repeats`` runs each.

    The repeats are interleaved (fast, floor, reference, fast, ...), so that a change in the
    machine's speed during the run affects all three alike and their ratios stay fair. Peak
    memory is measured in one further run of each, not in the timed ones.
    """
    config = config or LICNNConfig()
    device = x.device
    explainer = LICNN(model, config, batch_size=batch_size)
    # Warm-up: first calls allocate and pick kernels.
    explainer.explain(x[:1], top_k=top_k)
    floor_pass(model, x[:1], top_k, batch_size)

    runs: dict[str, Callable[[], object]] = {
        "fast": lambda: explainer.explain(x, top_k=top_k),
        "floor": lambda: floor_pass(model, x, top_k, batch_size),
    }
    if with_reference:
        runs["reference"] = lambda: reference_pass(model, x, top_k, config)
    times: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, object] = {}
    for _ in range(repeats):
        for name, fn in runs.items():
            t, outputs[name] = _timed(fn, device)
            times[name].append(t)
    # Peak memory in one more, untimed run of each: on a CPU the sampling thread takes a
    # core's time slices from the timed work (5-7% slower on 2 cores, measured).
    meters = {name: _PeakMemory(device) for name in runs}
    for name, fn in runs.items():
        with meters[name].measure():
            fn()
    memory = {name: round(meter.peak_mb, 1) for name, meter in meters.items()}
    seconds = {name: min(ts) / x.shape[0] for name, ts in times.items()}
    fast_s, floor_s = seconds["fast"], seconds["floor"]
    result = cast(LICNNResult, outputs["fast"])  # what runs["fast"] returns
    bench = BenchResult(
        model=model.name,
        device=str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        dtype=str(x.dtype).replace("torch.", ""),
        n_images=x.shape[0],
        batch_size=batch_size,
        top_k=top_k,
        inputs=inputs,
        fast_s=fast_s,
        floor_s=floor_s,
        floor_ratio=fast_s / floor_s,
        peak_memory_mb=memory,
    )
    if with_reference:
        ref_s = seconds["reference"]
        ref_sal, ref_att = cast(tuple[torch.Tensor, torch.Tensor], outputs["reference"])
        diff_att = (ref_att.to(result.attention) - result.attention).abs().max().item()
        diff_sal = (ref_sal.to(result.saliency) - result.saliency).abs().max().item()
        bench.reference_s = ref_s
        bench.speedup = ref_s / fast_s
        bench.max_abs_diff = max(diff_att, diff_sal)
    return bench


# --- sweeps (for the performance notebook) ------------------------------------------------


def bench_inputs(model: LoadedModel, images: list, image_size: int | None = None) -> torch.Tensor:
    """A batch of PIL images: the model's crop (``image_size=None``) or resized whole to a square.

    A square of another side than the model's input size shows how the cost grows with the
    number of pixels; LICNN's gate masks follow each layer's actual size.
    """
    from PIL import Image

    if image_size is None:
        tensors = [model.preprocess(im) for im in images]
    else:
        size = (image_size, image_size)
        tensors = [model.normalise(im.resize(size, Image.Resampling.BILINEAR)) for im in images]
    return torch.stack(tensors).to(model.device)


def bench_sweep(
    model: LoadedModel,
    images: list,
    batch_sizes: tuple[int, ...] = (8,),
    image_sizes: tuple[int | None, ...] = (None,),
    n_images: tuple[int | None, ...] = (None,),
    top_k: int = 5,
    with_reference: bool = False,
    repeats: int = 1,
    config: LICNNConfig | None = None,
) -> list[dict[str, object]]:
    """:func:`run_bench` over every combination of batch size, image side and image count.

    ``None`` as an image side means the model's own preprocessing (crop to its input size);
    ``None`` as a count means all of ``images``. Each row is :meth:`BenchResult.as_dict` with
    ``image_size`` (pixels per side) and ``total_s`` (seconds for all the images, fast path).
    """
    rows: list[dict[str, object]] = []
    for size in image_sizes:
        for count in n_images:
            chosen = images if count is None else images[:count]
            x = bench_inputs(model, chosen, size)
            for batch_size in batch_sizes:
                result = run_bench(
                    model,
                    x,
                    f"{len(chosen)} images",
                    batch_size=batch_size,
                    top_k=top_k,
                    with_reference=with_reference,
                    config=config,
                    repeats=repeats,
                )
                row = result.as_dict()
                row["image_size"] = int(x.shape[-1])
                row["total_s"] = result.fast_s * x.shape[0]
                rows.append(row)
    return rows


def scaling_exponent(sizes: list[float], seconds: list[float]) -> float:
    """Slope of log(seconds) against log(size): 1 means cost proportional to size."""
    import numpy as np

    if len(sizes) < 2:
        raise ValueError("need at least two sizes to estimate a scaling exponent")
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def sweep_exponents(
    sweeps: Mapping[str, Sequence[Mapping[str, Any]]],
    size_key: str,
    seconds_key: str,
    power: float = 1.0,
) -> dict[str, float]:
    """:func:`scaling_exponent` of each sweep of :func:`bench_sweep` that has two rows or more.

    The size of a row is ``row[size_key] ** power`` (``"image_size"`` with ``power=2`` counts
    pixels), its time ``row[seconds_key]`` (``"fast_s"`` per image, ``"total_s"`` in all).
    A sweep of one row has no slope and is left out.
    """
    return {
        name: scaling_exponent(
            [float(row[size_key]) ** power for row in sweep],
            [float(row[seconds_key]) for row in sweep],
        )
        for name, sweep in sweeps.items()
        if len(sweep) > 1
    }
