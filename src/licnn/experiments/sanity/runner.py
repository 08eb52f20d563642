"""The randomisation tests' runner: maps of the original and randomised models, cached.

Each image's similarities are computed once per (method, step) and kept in a
:class:`licnn.cache.ResultCache`, so a run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from tqdm import tqdm

from licnn.cache import ResultCache
from licnn.core.config import LICNNConfig
from licnn.data import Record
from licnn.errors import LicnnError
from licnn.experiments.sanity.randomise import (
    MODES,
    LayerGroup,
    _check_steps,
    layer_groups,
    randomised_models,
)
from licnn.imaging.images import load_image
from licnn.methods import METHODS, get_method_class, make_method
from licnn.metrics.similarity import SIMILARITY_KEYS, compare_maps
from licnn.models import LoadedModel

#: The methods the report checks, in its order: those whose map depends on the model (the
#: centre prior has no weights to randomise).
SANITY_METHODS = tuple(m for m in METHODS if get_method_class(m).uses_model)


#: Bumped whenever the computation changes, so old cache entries are not reused.
CACHE_VERSION = 2


# -- the experiment ----------------------------------------------------------------------


@dataclass
class RandomisationResult:
    """Per-image similarities of one randomisation test.

    ``values[method]`` has shape ``images x steps x measures`` (measures in the order of
    :data:`licnn.metrics.similarity.SIMILARITY_KEYS`); ``maps[key][method]`` holds the original map
    followed by one map per step (``(1 + steps) x H x W``) for images run with ``keep_maps``;
    ``other_image[method]`` (``images x steps x measures``, NaN where there was no partner)
    compares each image's original map with the randomised map of *another* image: the level
    a randomised map reaches when it keeps nothing specific to its own image.
    """

    mode: str
    steps: list[str]
    methods: list[str]
    keys: list[str]
    values: dict[str, NDArray[np.float64]]
    targets: NDArray[np.int64]
    metrics: tuple[str, ...] = SIMILARITY_KEYS
    maps: dict[str, dict[str, NDArray[np.float32]]] = field(default_factory=dict)
    other_image: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    @property
    def n_images(self) -> int:
        return len(self.keys)

    def metric(self, method: str, metric: str) -> NDArray[np.float64]:
        """``images x steps`` values of one measure for one method."""
        return self.values[method][:, :, self.metrics.index(metric)]


def item_name(record: Record) -> str:
    """The cache item of an image: its dataset and key (or file name)."""
    return f"{record.dataset or 'images'}/{record.key or record.path.name}"


def sample_records(records: Sequence[Record], n: int, seed: int = 0) -> list[Record]:
    """A seeded random choice of ``n`` records without replacement, in dataset order."""
    if n > len(records):
        raise ValueError(f"asked for {n} records out of {len(records)}")
    chosen = np.random.default_rng(seed).choice(len(records), size=n, replace=False)
    return [records[int(i)] for i in sorted(chosen)]


def _attribute_all(
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


def _load_batch(model: LoadedModel, records: Sequence[Record]) -> torch.Tensor:
    """The preprocessed images of ``records`` as one ``N x 3 x H x W`` batch on the model's device."""
    return torch.stack([model.preprocess(load_image(r.path)) for r in records]).to(model.device)


def _original_chunk(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    config: LICNNConfig | None,
    ig_steps: int,
    batch_size: int,
) -> list[dict[str, NDArray[Any]]]:
    """The trained model's top-1 class and every method's map for a few images, one dict each."""
    x = _load_batch(model, records)
    with torch.no_grad():
        targets = model.module(x).argmax(dim=1)
    maps = _attribute_all(model, methods, x, targets, config, ig_steps, batch_size)
    return [
        {"target": np.asarray(int(targets[i])), **{m: maps[m][i] for m in methods}}
        for i in range(len(records))
    ]


def _compute_chunk(
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
) -> list[dict[str, NDArray[Any]]]:
    """Similarities (and maps if ``keep_maps``) of a few images at every step, one dict each.

    ``originals`` holds each image's target class and original maps. Each randomised model
    is built once here and used for every method and image. Besides its own randomised map,
    each image's original map is compared with the randomised map of the next image of the
    chunk (the last with the first): the control of :attr:`RandomisationResult.other_image`
    (NaN for a chunk of one image).
    """
    x = _load_batch(model, records)
    targets = torch.as_tensor([int(o["target"]) for o in originals], device=x.device)
    n, n_metrics = len(records), len(SIMILARITY_KEYS)
    values = {m: np.zeros((n, len(steps), n_metrics)) for m in methods}
    other = {m: np.full((n, len(steps), n_metrics), np.nan) for m in methods}
    kept: dict[str, list[NDArray[np.float32]]] = {m: [] for m in methods}
    order = {name: i for i, name in enumerate(steps)}
    done = 0
    for step, randomised in randomised_models(model, mode, seed, groups, steps):
        maps = _attribute_all(randomised, methods, x, targets, config, ig_steps, batch_size)
        for name in methods:
            for i in range(n):
                scores = compare_maps(originals[i][name], maps[name][i])
                values[name][i, order[step]] = [scores[k] for k in SIMILARITY_KEYS]
                if n > 1:
                    scores = compare_maps(originals[i][name], maps[name][(i + 1) % n])
                    other[name][i, order[step]] = [scores[k] for k in SIMILARITY_KEYS]
            if keep_maps:
                kept[name].append(maps[name])
        done += 1
    if done != len(steps):
        raise RuntimeError(f"expected {len(steps)} randomised models, got {done}")
    out = []
    for i in range(n):
        item: dict[str, NDArray[Any]] = {"target": np.asarray(int(targets[i]))}
        for name in methods:
            item[name] = values[name][i]
            item[f"other_{name}"] = other[name][i]
            if keep_maps:
                stack = [originals[i][name], *(m[i] for m in kept[name])]
                item[f"maps_{name}"] = np.stack(stack).astype(np.float32)
        out.append(item)
    return out


def _model_key(
    model: LoadedModel, methods: Sequence[str], config: LICNNConfig | None, ig_steps: int
) -> dict[str, Any]:
    return {
        "version": CACHE_VERSION,
        "model": model.name,
        "weights": model.weights,
        "weights_sha256": model.weights_sha256,
        "methods": list(methods),
        "licnn_config": dataclasses.asdict(config or LICNNConfig()),
        "ig_steps": ig_steps,
    }


def cache_key(
    model: LoadedModel,
    mode: str,
    methods: Sequence[str],
    groups: Sequence[LayerGroup],
    steps: Sequence[str],
    seed: int,
    config: LICNNConfig | None,
    ig_steps: int,
    keep_maps: bool,
    chunk_size: int,
) -> dict[str, Any]:
    """Everything a cached per-image result of a randomisation test depends on.

    The chunk size is part of it: it decides which image each image's control is paired with.
    """
    return {
        **_model_key(model, methods, config, ig_steps),
        "mode": mode,
        "groups": [[name, list(modules)] for name, modules in groups],
        "steps": list(steps),
        "seed": seed,
        "metrics": list(SIMILARITY_KEYS),
        "keep_maps": keep_maps,
        "chunk_size": chunk_size,
    }


Compute = Callable[[list[str]], list[dict[str, NDArray[Any]]]]


def _cached(
    experiment: str,
    key: Mapping[str, Any],
    items: list[str],
    compute: Compute,
    cache: bool | str | PathLike[str],
    chunk_size: int,
    progress: bool,
) -> dict[str, dict[str, NDArray[Any]]]:
    """``compute`` over fixed chunks of ``items``, through a :class:`ResultCache` unless ``cache``
    is False. A chunk with any item missing from the cache is computed whole, so every item
    is always computed with the same chunk companions, resumed run or not."""
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    if cache is False:
        results: dict[str, dict[str, NDArray[Any]]] = {}
        for chunk in tqdm(chunks, desc=experiment, disable=not progress):
            results.update(zip(chunk, compute(chunk), strict=True))
        return results
    store = ResultCache(experiment, key, root=None if cache is True else cache)
    for chunk in tqdm(chunks, desc=experiment, disable=not progress):
        if any(item not in store for item in chunk):
            for item, values in zip(chunk, compute(chunk), strict=True):
                store.put(item, values)
    found: dict[str, dict[str, NDArray[Any]]] = {}
    for item in items:
        stored = store.get(item)
        if stored is None:  # removed as damaged since it was written (get warned)
            raise LicnnError(
                f"the cache entry of {item!r} in {store.folder} could not be read back; "
                "run again to compute it anew"
            )
        found[item] = stored
    return found


def _records_by_item(records: Sequence[Record]) -> dict[str, Record]:
    by_item = {item_name(r): r for r in records}
    if len(by_item) != len(records):
        raise ValueError("records must have distinct dataset/key names")
    return by_item


def original_maps(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str] = SANITY_METHODS,
    config: LICNNConfig | None = None,
    ig_steps: int = 16,
    batch_size: int = 8,
    chunk_size: int = 10,
    cache: bool | str | PathLike[str] = True,
    progress: bool = True,
) -> dict[str, dict[str, NDArray[Any]]]:
    """Each image's top-1 class (``"target"``) and every method's map on the trained model.

    Keyed by :func:`item_name`; cached like :func:`run_randomisation`, and shared by both tests.
    """
    by_item = _records_by_item(records)
    methods = list(methods)

    def compute(items: list[str]) -> list[dict[str, NDArray[Any]]]:
        chunk = [by_item[i] for i in items]
        return _original_chunk(model, chunk, methods, config, ig_steps, batch_size)

    key = {**_model_key(model, methods, config, ig_steps), "kind": "original maps"}
    return _cached("sanity-original", key, list(by_item), compute, cache, chunk_size, progress)


def run_randomisation(
    model: LoadedModel,
    records: Sequence[Record],
    mode: str,
    methods: Sequence[str] = SANITY_METHODS,
    steps: Sequence[str] | None = None,
    groups: Sequence[LayerGroup] | None = None,
    seed: int = 0,
    config: LICNNConfig | None = None,
    ig_steps: int = 16,
    batch_size: int = 8,
    chunk_size: int = 10,
    keep_maps: bool = False,
    cache: bool | str | PathLike[str] = True,
    progress: bool = True,
) -> RandomisationResult:
    """Run one randomisation test (``mode``: cascading or independent) on ``records``.

    For each image, every method explains the original model's top-1 class (the LICNN
    saliency map is told no class) on the original model and on each randomised model;
    each randomised map is compared with the original one. ``steps`` picks a subset of the
    group names (default: all, from :func:`layer_groups`). Images are processed
    ``chunk_size`` at a time; with ``cache`` (True: the default cache folder; a path: that
    folder) each image's original maps and results are stored, so an interrupted run
    resumes where it stopped.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    groups = list(groups) if groups is not None else layer_groups(model)
    names = [name for name, _ in groups]
    wanted = _check_steps(groups, steps)
    steps = [name for name in names if name in wanted]
    methods = list(methods)
    by_item = _records_by_item(records)
    keys = list(by_item)
    originals = original_maps(
        model, records, methods, config, ig_steps, batch_size, chunk_size, cache, progress
    )

    def compute(items: list[str]) -> list[dict[str, NDArray[Any]]]:
        chunk = [by_item[i] for i in items]
        return _compute_chunk(
            model, chunk, [originals[i] for i in items], mode, methods, groups, steps, seed,
            config, ig_steps, batch_size, keep_maps,
        )  # fmt: skip

    key = cache_key(
        model, mode, methods, groups, steps, seed, config, ig_steps, keep_maps, chunk_size
    )
    results = _cached(f"sanity-{mode}", key, keys, compute, cache, chunk_size, progress)
    values = {m: np.stack([results[k][m] for k in keys]).astype(np.float64) for m in methods}
    maps = {}
    if keep_maps:
        maps = {k: {m: results[k][f"maps_{m}"] for m in methods} for k in keys}
    other = {
        m: np.stack([results[k][f"other_{m}"] for k in keys]).astype(np.float64) for m in methods
    }
    targets = np.asarray([int(results[k]["target"]) for k in keys], dtype=np.int64)
    return RandomisationResult(
        mode, steps, methods, keys, values, targets, maps=maps, other_image=other
    )
