"""Gate points: one per activation *call*, where LICNN reads and masks responses.

LICNN works on the outputs of a classifier's ReLU-type activation layers. A module may be
called more than once per forward pass (EfficientNet-Lite re-uses one ``nn.ReLU6`` in each
block), so a gate point is a (module, n-th call) pair, found by a probe forward pass.
Only calls whose output is a spatial map (``N x C x H x W`` with ``H * W > 1``) become
gate points; the fully connected layers' activations (VGG-16's fc6 and fc7) and the
``N x C x 1 x 1`` channel weights of squeeze-and-excitation blocks are not gated (a 1 x 1
map has no neighbours: its gate would always close, whatever the image).
:func:`check_gateable` refuses networks the gates would explain wrongly.

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


#: Activation types that are not ReLU-family: a network with one of them on a spatial map
#: cannot be gated as LICNN assumes (its responses are not "zero = inactive").
OTHER_ACTIVATIONS: tuple[type[nn.Module], ...] = (
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.SiLU,
    nn.GELU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softplus,
    nn.Softsign,
    nn.LogSigmoid,
    nn.Tanhshrink,
    nn.Hardshrink,
    nn.Softshrink,
    nn.GLU,
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
    types: tuple[type[nn.Module], ...] = tuple(activation_types)
    for name, module in model.named_modules():
        if isinstance(module, types) and module not in found:
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
        if _is_spatial(output):
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


def _is_spatial(output: object) -> bool:
    return isinstance(output, torch.Tensor) and output.dim() == 4 and output.shape[-2:].numel() > 1


def _probe_shapes(
    model: nn.Module, modules: dict[nn.Module, str], height: int, width: int
) -> dict[tuple[str, int], torch.Size]:
    """The output shape of every call of ``modules`` in one probe pass at ``height x width``."""
    counter = _CallCounter()
    shapes: dict[tuple[str, int], torch.Size] = {}

    def hook(module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        name = modules[module]
        n = counter.next(name)
        if isinstance(output, torch.Tensor):
            shapes[(name, n)] = output.shape

    handles = [m.register_forward_hook(hook) for m in modules]
    try:
        param = next(model.parameters(), None)
        device = param.device if param is not None else torch.device("cpu")
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
        with torch.no_grad():
            model(torch.zeros(1, 3, height, width, device=device, dtype=dtype))
    finally:
        for h in handles:
            h.remove()
    return shapes


def check_gateable(
    model: nn.Module,
    name: str,
    input_size: int | tuple[int, int] = 224,
    activation_types: Sequence[type[nn.Module]] = RELU_FAMILY,
) -> None:
    """Raise :class:`licnn.errors.ModelError` where LICNN's gates would give a wrong map.

    Two cases are refused, each found with probe passes:

    - activations of other types (:data:`OTHER_ACTIVATIONS`, e.g. MobileNetV3's Hardswish,
      ConvNeXt's GELU) on spatial maps next to the gated ones: only part of the network's
      responses would be gated and the map would be neither LICNN's nor an error;
    - gate points whose output is not channel-first (``N x H x W x C``, as ConvNeXt's blocks
      after a permute): the gate would mask channels as if they were locations. A second
      probe, 32 rows taller, tells the layouts apart: in ``N x C x H x W`` only dimension 2
      follows the height. A network that runs at one input size only is not checked for this.

    Activations that are plain functions (``F.relu`` in a ``forward``) are invisible to
    hooks and stay ungated; that cannot be checked here.
    """
    from licnn.errors import ModelError

    height, width = (input_size, input_size) if isinstance(input_size, int) else input_size
    gated = _activation_modules(model, activation_types)
    others = {
        m: n
        for m, n in _activation_modules(model, OTHER_ACTIVATIONS).items()
        if not isinstance(m, tuple(activation_types))
    }
    shapes = _probe_shapes(model, {**others, **gated}, height, width)
    spatial_other = sorted(
        {
            type(m).__name__
            for m, n in others.items()
            for (mn, _), sh in shapes.items()
            if mn == n and len(sh) == 4 and sh[-2] * sh[-1] > 1
        }
    )
    if spatial_other:
        raise ModelError(
            f"{name} has {', '.join(spatial_other)} activations on spatial maps, which LICNN "
            "cannot gate (it needs ReLU-family activations throughout); its map would be wrong"
        )
    if not gated:
        return  # nothing to gate: LoadedModel says so
    try:
        taller = _probe_shapes(model, gated, height + 32, width)
    except (RuntimeError, ValueError, AssertionError):
        return  # a fixed-size network: the layout cannot be probed
    for key, shape in shapes.items():
        other = taller.get(key)
        if len(shape) == 4 and other is not None and len(other) == 4 and shape[1] != other[1]:
            raise ModelError(
                f"{name}: activation {key[0]} has a channels-last output ({tuple(shape)}, its "
                "dimension 1 follows the image height); LICNN gates N x C x H x W maps only"
            )


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
            mask = self.masks[idx] if self.masks is not None else None
            if mask is not None:
                if self.inplace:
                    output.mul_(mask)
                else:
                    output = output * mask
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
