"""Re-initialising a model's weights group by group, for the randomisation tests.

The layer groups of a model, from the output towards the input, and the cascading and
independent copies of a model with some groups re-initialised (see :mod:`licnn.experiments.sanity`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn

from licnn.models import LoadedModel

#: The two tests of Adebayo et al.
MODES = ("cascading", "independent")

#: What happens to a randomised group's batch-norm layers: ``"reset"`` to a freshly built
#: layer (the identity at evaluation time; this report's protocol) or ``"keep"`` their trained
#: scale, shift and running statistics (as Adebayo et al.'s released code does).
BATCH_NORM_MODES = ("reset", "keep")


LayerGroup = tuple[str, list[str]]

_VGG_CONVS = (
    ("conv5_3", 28),
    ("conv5_2", 26),
    ("conv5_1", 24),
    ("conv4_3", 21),
    ("conv4_2", 19),
    ("conv4_1", 17),
    ("conv3_3", 14),
    ("conv3_2", 12),
    ("conv3_1", 10),
    ("conv2_2", 7),
    ("conv2_1", 5),
    ("conv1_2", 2),
    ("conv1_1", 0),
)


# -- layer groups ----------------------------------------------------------------------


def layer_groups(model: LoadedModel, granularity: str = "block") -> list[LayerGroup]:
    """The groups randomised in turn, from the output to the input: ``[(step name, [module names])]``.

    VGG-16 (``granularity="block"``): fc8, fc7, fc6, conv5_3, ..., conv1_1, one layer each;
    ``"stage"`` joins the convolutions of each of the five conv stages (conv5 ... conv1).
    EfficientNet-Lite: ``head`` (classifier, 1x1 head convolution and its batch norm), then
    every MBConv block from the last to the first (``block15`` ... ``block0`` for Lite0), then
    ``stem`` (first convolution and its batch norm); ``"stage"`` joins consecutive blocks of
    equal output width (Lite0's seven stages, ``stage7`` ... ``stage1``).
    """
    if granularity not in ("block", "stage"):
        raise ValueError(f"granularity must be 'block' or 'stage', got {granularity!r}")
    names = dict(model.module.named_modules())
    if "_blocks" in names and "_fc" in names:
        return _lite_groups(model.module, granularity)
    if "classifier.6" in names and "features.28" in names:
        return _vgg_groups(granularity)
    raise ValueError(
        f"no layer groups known for {model.name}; pass groups=[(name, [module names]), ...]"
    )


def _vgg_groups(granularity: str) -> list[LayerGroup]:
    groups: list[LayerGroup] = [
        ("fc8", ["classifier.6"]),
        ("fc7", ["classifier.3"]),
        ("fc6", ["classifier.0"]),
    ]
    if granularity == "block":
        return groups + [(name, [f"features.{i}"]) for name, i in _VGG_CONVS]
    for stage in range(5, 0, -1):
        members = [f"features.{i}" for name, i in _VGG_CONVS if name.startswith(f"conv{stage}_")]
        groups.append((f"conv{stage}", members))
    return groups


def _lite_groups(module: nn.Module, granularity: str) -> list[LayerGroup]:
    blocks = list(module._blocks)  # type: ignore[arg-type]
    groups: list[LayerGroup] = [("head", ["_fc", "_conv_head", "_bn1"])]
    if granularity == "block":
        groups += [(f"block{i}", [f"_blocks.{i}"]) for i in reversed(range(len(blocks)))]
    else:
        stages: list[list[int]] = []
        width = None
        for i, block in enumerate(blocks):
            out = block._project_conv.out_channels
            if out != width:
                stages.append([])
                width = out
            stages[-1].append(i)
        for number in reversed(range(len(stages))):
            members = [f"_blocks.{i}" for i in reversed(stages[number])]
            groups.append((f"stage{number + 1}", members))
    groups.append(("stem", ["_conv_stem", "_bn0"]))
    return groups


# -- re-initialisation -------------------------------------------------------------------


def group_seed(seed: int, index: int) -> int:
    """The seed of group ``index``'s generator: independent streams for each (seed, group)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _check_batch_norm(batch_norm: str) -> None:
    if batch_norm not in BATCH_NORM_MODES:
        raise ValueError(f"batch_norm must be one of {BATCH_NORM_MODES}, got {batch_norm!r}")


@torch.no_grad()
def reinitialise_(module: nn.Module, generator: torch.Generator, batch_norm: str = "reset") -> None:
    """Re-initialise ``module`` and its children in place (Kaiming normal; batch norm to identity).

    With ``batch_norm="keep"`` the batch-norm layers keep their trained values; the
    convolution and linear weights are drawn exactly as with ``"reset"``.
    """
    _check_batch_norm(batch_norm)
    for sub in module.modules():
        if isinstance(sub, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(
                sub.weight, mode="fan_in", nonlinearity="relu", generator=generator
            )
            if sub.bias is not None:
                sub.bias.zero_()
        elif isinstance(sub, nn.modules.batchnorm._BatchNorm) and batch_norm == "reset":
            sub.reset_running_stats()
            if sub.affine:
                sub.weight.fill_(1.0)
                sub.bias.zero_()


def randomise_group_(
    module: nn.Module, names: Sequence[str], seed: int, index: int, batch_norm: str = "reset"
) -> None:
    """Re-initialise the modules ``names`` of ``module`` with group ``index``'s generator."""
    generator = torch.Generator(device="cpu").manual_seed(group_seed(seed, index))
    found = dict(module.named_modules())
    for name in names:
        if name not in found:
            raise KeyError(f"module {name!r} not in the model")
        target = found[name]
        device = next(target.parameters()).device
        if device.type == "cpu":
            reinitialise_(target, generator, batch_norm)
        else:  # draw on the CPU, so a seed gives the same weights on every device
            cpu_copy = copy.deepcopy(target).cpu()
            reinitialise_(cpu_copy, generator, batch_norm)
            target.load_state_dict(cpu_copy.state_dict())


@torch.no_grad()
def _restore_group_(module: nn.Module, original: nn.Module, names: Sequence[str]) -> None:
    """Put the trained weights of the modules ``names`` back from ``original``."""
    found = dict(module.named_modules())
    trained = dict(original.named_modules())
    for name in names:
        found[name].load_state_dict(trained[name].state_dict())


def copy_model(model: LoadedModel, note: str = "") -> LoadedModel:
    """An independent copy of ``model`` (deep-copied module, same gate points and preprocessing)."""
    weights = f"{model.weights}; {note}" if note else model.weights
    return dataclasses.replace(model, module=copy.deepcopy(model.module), weights=weights)


def _check_steps(groups: Sequence[LayerGroup], steps: Sequence[str] | None) -> set[str]:
    names = [name for name, _ in groups]
    if steps is None:
        return set(names)
    unknown = [s for s in steps if s not in names]
    if unknown:
        raise ValueError(f"unknown steps {unknown}; the groups are {names}")
    return set(steps)


def cascading_models(
    model: LoadedModel,
    seed: int = 0,
    groups: Sequence[LayerGroup] | None = None,
    steps: Sequence[str] | None = None,
    batch_norm: str = "reset",
) -> Iterator[tuple[str, LoadedModel]]:
    """Cascading randomisation: ``(step name, model with groups 0..k re-initialised)``, top down.

    One copy of the model is changed in place step by step, so a yielded model is only valid
    until the next one is asked for. With ``steps``, every group is still re-initialised in
    order, but only the named steps are yielded.
    """
    _check_batch_norm(batch_norm)
    groups = list(groups) if groups is not None else layer_groups(model)
    wanted = _check_steps(groups, steps)
    current = copy_model(model)
    for index, (name, modules) in enumerate(groups):
        randomise_group_(current.module, modules, seed, index, batch_norm)
        current.weights = f"{model.weights}; cascading randomisation down to {name}"
        if name in wanted:
            yield name, current
        if wanted <= {n for n, _ in groups[: index + 1]}:
            return


def independent_models(
    model: LoadedModel,
    seed: int = 0,
    groups: Sequence[LayerGroup] | None = None,
    steps: Sequence[str] | None = None,
    batch_norm: str = "reset",
) -> Iterator[tuple[str, LoadedModel]]:
    """Independent randomisation: ``(step name, model with group k alone re-initialised)``.

    One copy of the model is used: each group is re-initialised, yielded, and given its
    trained weights back, so a yielded model is only valid until the next one is asked for.
    """
    _check_batch_norm(batch_norm)
    groups = list(groups) if groups is not None else layer_groups(model)
    wanted = _check_steps(groups, steps)
    current = copy_model(model)
    for index, (name, modules) in enumerate(groups):
        if name not in wanted:
            continue
        randomise_group_(current.module, modules, seed, index, batch_norm)
        current.weights = f"{model.weights}; {name} alone randomised"
        yield name, current
        _restore_group_(current.module, model.module, modules)


def randomised_models(
    model: LoadedModel,
    mode: str,
    seed: int = 0,
    groups: Sequence[LayerGroup] | None = None,
    steps: Sequence[str] | None = None,
    batch_norm: str = "reset",
) -> Iterator[tuple[str, LoadedModel]]:
    """:func:`cascading_models` or :func:`independent_models`, by ``mode``."""
    if mode == "cascading":
        return cascading_models(model, seed, groups, steps, batch_norm)
    if mode == "independent":
        return independent_models(model, seed, groups, steps, batch_norm)
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
