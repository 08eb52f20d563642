"""The randomisation tests' computation: one chunk of images through the trained and randomised models.

:func:`original_chunk` gives the trained model's maps; :func:`compute_chunk` the
similarities (and the centre-prior measures) of every randomised model's maps to them.
:mod:`~licnn.experiments.sanity.runner` caches both per image.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from licnn.core.config import LICNNConfig
from licnn.data import Record
from licnn.experiments.sanity.interventions import intervene_
from licnn.experiments.sanity.randomise import (
    LayerGroup,
    _check_batch_norm,
    copy_model,
    randomised_models,
)
from licnn.imaging.images import load_image
from licnn.methods import make_method
from licnn.metrics.localisation import centre_prior
from licnn.metrics.similarity import SIMILARITY_KEYS, compare_maps, partial_spearman, spearman_abs
from licnn.models import LoadedModel

#: Which class a class-specific method explains on a randomised model: the trained model's
#: top-1 class (this report, and Quantus) or the randomised model's own top-1 (Adebayo et al.).
TARGETS = ("original", "randomised")

#: The name of the step that randomises nothing (the trained model's maps computed again).
ORIGINAL_STEP = "original"


def attribute_all(
    model: LoadedModel,
    methods: Sequence[str],
    x: torch.Tensor,
    targets: torch.Tensor,
    config: LICNNConfig | None,
    ig_steps: int,
    batch_size: int,
) -> dict[str, NDArray[np.float32]]:
    """Every method's maps (``N x H x W``) of ``x`` on ``model``, for the given target classes."""
    maps = {}
    for name in methods:
        method = make_method(name, model, config=config, ig_steps=ig_steps, batch_size=batch_size)
        maps[name] = method.attribute(x, targets).float().cpu().numpy()
    return maps


def load_batch(model: LoadedModel, records: Sequence[Record]) -> torch.Tensor:
    """The preprocessed images of ``records`` as one ``N x 3 x H x W`` batch on the model's device."""
    return torch.stack([model.preprocess(load_image(r.path)) for r in records]).to(model.device)


def original_chunk(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    config: LICNNConfig | None,
    ig_steps: int,
    batch_size: int,
) -> list[dict[str, NDArray[Any]]]:
    """The trained model's top-1 class and every method's map for a few images, one dict each."""
    x = load_batch(model, records)
    with torch.no_grad():
        targets = model.module(x).argmax(dim=1)
    maps = attribute_all(model, methods, x, targets, config, ig_steps, batch_size)
    return [
        {"target": np.asarray(int(targets[i])), **{m: maps[m][i] for m in methods}}
        for i in range(len(records))
    ]


@dataclass(frozen=True)
class Protocol:
    """How a randomisation test randomises and what it explains (see :func:`run_randomisation`).

    ``batch_norm``: ``"reset"`` or ``"keep"`` (:data:`~licnn.experiments.sanity.randomise.BATCH_NORM_MODES`);
    ``target``: one of :data:`TARGETS`; ``intervention``: a change made to every randomised
    model (:data:`~licnn.experiments.sanity.interventions.INTERVENTIONS`; ``"none"``: none).
    """

    batch_norm: str = "reset"
    target: str = "original"
    intervention: str = "none"

    def __post_init__(self) -> None:
        _check_batch_norm(self.batch_norm)
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")
        intervene_(None, self.intervention)  # checks the name


#: The report's protocol: batch norm reset, the trained model's class explained, no intervention.
DEFAULT_PROTOCOL = Protocol()


def _steps_of(
    model: LoadedModel,
    mode: str,
    seed: int,
    groups: Sequence[LayerGroup],
    steps: Sequence[str],
    protocol: Protocol,
) -> Iterator[tuple[str, LoadedModel]]:
    """The models of a test: the trained one first when ``steps`` starts with :data:`ORIGINAL_STEP`."""
    randomised_steps = [s for s in steps if s != ORIGINAL_STEP]
    if steps and steps[0] == ORIGINAL_STEP:
        yield ORIGINAL_STEP, copy_model(model)
    if randomised_steps:
        for step, randomised in randomised_models(
            model, mode, seed, groups, randomised_steps, protocol.batch_norm
        ):
            intervene_(randomised.module, protocol.intervention)
            yield step, randomised


def compute_chunk(
    model: LoadedModel,
    records: Sequence[Record],
    originals: Sequence[Mapping[str, NDArray[Any]]],
    mode: str,
    methods: Sequence[str],
    groups: Sequence[LayerGroup],
    steps: Sequence[str],
    seed: int,
    config: LICNNConfig | None,
    ig_steps: int,
    batch_size: int,
    keep_maps: bool,
    protocol: Protocol = DEFAULT_PROTOCOL,
) -> list[dict[str, NDArray[Any]]]:
    """Similarities (and maps if ``keep_maps``) of a few images at every step, one dict each.

    ``originals`` holds each image's target class and original maps. Each randomised model
    is built once here and used for every method and image. Besides its own randomised map,
    each image's original map is compared with the randomised map of the next image of the
    chunk (the last with the first): the control of :attr:`RandomisationResult.other_image`
    (NaN for a chunk of one image).
    """
    x = load_batch(model, records)
    trained_targets = torch.as_tensor([int(o["target"]) for o in originals], device=x.device)
    n, n_metrics = len(records), len(SIMILARITY_KEYS)
    values = {m: np.zeros((n, len(steps), n_metrics)) for m in methods}
    other = {m: np.full((n, len(steps), n_metrics), np.nan) for m in methods}
    centre = {m: np.zeros((n, len(steps))) for m in methods}
    partial = {m: np.zeros((n, len(steps))) for m in methods}
    explained = np.zeros((n, len(steps)), dtype=np.int64)
    kept: dict[str, list[NDArray[np.float32]]] = {m: [] for m in methods}
    order = {name: i for i, name in enumerate(steps)}
    prior = centre_prior(tuple(x.shape[-2:]))  # type: ignore[arg-type]
    done = 0
    for step, randomised in _steps_of(model, mode, seed, groups, steps, protocol):
        targets = trained_targets
        if protocol.target == "randomised":
            with torch.no_grad():
                targets = randomised.module(x).argmax(dim=1)
        explained[:, order[step]] = targets.cpu().numpy()
        maps = attribute_all(randomised, methods, x, targets, config, ig_steps, batch_size)
        for name in methods:
            for i in range(n):
                original, own = originals[i][name], maps[name][i]
                scores = compare_maps(original, own)
                values[name][i, order[step]] = [scores[k] for k in SIMILARITY_KEYS]
                centre[name][i, order[step]] = spearman_abs(own, prior)
                partial[name][i, order[step]] = partial_spearman(original, own, prior)
                if n > 1:
                    scores = compare_maps(original, maps[name][(i + 1) % n])
                    other[name][i, order[step]] = [scores[k] for k in SIMILARITY_KEYS]
            if keep_maps:
                kept[name].append(maps[name])
        done += 1
    if done != len(steps):
        raise RuntimeError(f"expected {len(steps)} randomised models, got {done}")
    out = []
    for i in range(n):
        item: dict[str, NDArray[Any]] = {
            "target": np.asarray(int(trained_targets[i])),
            "explained": explained[i],
        }
        for name in methods:
            item[name] = values[name][i]
            item[f"other_{name}"] = other[name][i]
            item[f"centre_{name}"] = centre[name][i]
            item[f"partial_{name}"] = partial[name][i]
            item[f"original_centre_{name}"] = np.asarray(spearman_abs(originals[i][name], prior))
            if keep_maps:
                stack = [originals[i][name], *(m[i] for m in kept[name])]
                item[f"maps_{name}"] = np.stack(stack).astype(np.float32)
        out.append(item)
    return out
