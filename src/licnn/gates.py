"""Gate points: one per activation *call*, where LICNN reads and masks responses.

LICNN works on the outputs of a classifier's ReLU-type activation layers. A module may be
called more than once per forward pass (EfficientNet-Lite re-uses one ``nn.ReLU6`` in each
block), so a gate point is a (module, n-th call) pair, found by a probe forward pass.
Only calls whose output is a spatial map (``N x C x H x W``) become gate points; the
fully connected layers' activations (VGG-16's fc6 and fc7) are not gated.

:class:`GateHooks` installs the forward hooks that read and mask the gate points and
removes them on exit, so no hook is ever left on a user's model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

#: Activation module types LICNN gates by default: the ReLU family.
RELU_FAMILY: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.CELU,
    nn.SELU,
)


@dataclass(frozen=True)
class GatePoint:
    """One activation call: ``module_name`` (as in ``named_modules``) and its ``call`` number."""

    index: int
    module_name: str
    call: int
    channels: int
    height: int
    width: int

    @property
    def label(self) -> str:
        """A short readable name, e.g. ``features.3`` or ``_blocks.0._swish#1``."""
        return self.module_name if self.call == 0 else f"{self.module_name}#{self.call}"


def _activation_modules(
    model: nn.Module, activation_types: Sequence[type[nn.Module]]
) -> dict[nn.Module, str]:
    found: dict[nn.Module, str] = {}
    for name, module in model.named_modules():
        if isinstance(module, tuple(activation_types)) and module not in found:
            found[module] = name
    return found


class _CallCounter:
    """Counts the calls of each hooked module within one forward pass of the root model."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def reset(self, *_: object) -> None:
        self.counts.clear()

    def next(self, name: str) -> int:
        n = self.counts.get(name, 0)
        self.counts[name] = n + 1
        return n


@torch.no_grad()
def find_gate_points(
    model: nn.Module,
    input_size: int | tuple[int, int] = 224,
    activation_types: Sequence[type[nn.Module]] = RELU_FAMILY,
) -> list[GatePoint]:
    """Run one probe forward pass and list every spatial activation call in call order."""
    height, width = (input_size, input_size) if isinstance(input_size, int) else input_size
    modules = _activation_modules(model, activation_types)
    counter = _CallCounter()
    calls: list[tuple[str, int, torch.Size]] = []

    def hook(module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        name = modules[module]
        n = counter.next(name)
        if isinstance(output, torch.Tensor) and output.dim() == 4:
            calls.append((name, n, output.shape))

    handles = [m.register_forward_hook(hook) for m in modules]
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
        model(torch.zeros(1, 3, height, width, device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
    return [
        GatePoint(i, name, n, int(shape[1]), int(shape[2]), int(shape[3]))
        for i, (name, n, shape) in enumerate(calls)
    ]


OutputCallback = Callable[[int, torch.Tensor], torch.Tensor | None]


class GateHooks:
    """Forward hooks on the gate points of ``model``; use as a context manager.

    While installed, every forward pass of ``model`` does, at gate point ``i``:

    1. if ``masks`` is set and ``masks[i]`` is not None, multiply the activation output by it
       (a ``N x 1 x H x W`` suppression mask zeroes every channel at masked locations);
    2. if ``on_output`` is set, call ``on_output(i, output)``; a tensor it returns replaces
       the output (used to keep a tensor in the autograd graph, e.g. for the gradient kind).

    The hooks are removed on exit, also when an exception is raised.
    """

    def __init__(self, model: nn.Module, gate_points: Sequence[GatePoint]) -> None:
        self.model = model
        self.gate_points = list(gate_points)
        self.masks: Sequence[torch.Tensor | None] | None = None
        self.on_output: OutputCallback | None = None
        #: Mask outputs in place (only where no autograd graph needs them: inference mode).
        self.inplace = False
        self._index = {(g.module_name, g.call): g.index for g in self.gate_points}
        self._counter = _CallCounter()
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def __enter__(self) -> GateHooks:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    @property
    def installed(self) -> bool:
        return bool(self._handles)

    def install(self) -> None:
        if self._handles:
            return
        named = dict(self.model.named_modules())
        names = {g.module_name for g in self.gate_points}
        missing = names - named.keys()
        if missing:
            raise KeyError(f"gate point modules not in the model: {sorted(missing)}")
        self._handles.append(self.model.register_forward_pre_hook(self._counter.reset))
        for name in sorted(names):
            self._handles.append(named[name].register_forward_hook(self._make_hook(name)))

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.masks = None
        self.on_output = None
        self.inplace = False

    def _make_hook(self, name: str) -> Callable[..., torch.Tensor | None]:
        def hook(_module: nn.Module, _inputs: object, output: torch.Tensor) -> torch.Tensor | None:
            idx = self._index.get((name, self._counter.next(name)))
            if idx is None:
                return None
            changed = False
            if self.masks is not None and self.masks[idx] is not None:
                if self.inplace:
                    output.mul_(self.masks[idx])
                else:
                    output = output * self.masks[idx]
                    changed = True
            if self.on_output is not None:
                replaced = self.on_output(idx, output)
                if replaced is not None:
                    output, changed = replaced, True
            return output if changed else None

        return hook


def hooks_on(model: nn.Module) -> int:
    """Number of forward hooks and pre-hooks left on ``model`` and its submodules."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def gate_labels(gate_points: Iterable[GatePoint]) -> list[str]:
    return [g.label for g in gate_points]
