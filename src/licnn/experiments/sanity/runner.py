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
from numpy.typing import NDArray
from tqdm import tqdm

from licnn.cache import ResultCache
from licnn.core.config import LICNNConfig
from licnn.data import Record
from licnn.experiments.sanity.compute import (
    DEFAULT_PROTOCOL,
    ORIGINAL_STEP,
    Protocol,
    compute_chunk,
    original_chunk,
)
from licnn.experiments.sanity.randomise import MODES, LayerGroup, _check_steps, layer_groups
from licnn.methods import METHODS, get_method_class
from licnn.metrics.similarity import SIMILARITY_KEYS
from licnn.models import LoadedModel

#: The methods the report checks, in its order: those whose map depends on the model (the
#: centre prior has no weights to randomise).
SANITY_METHODS = tuple(m for m in METHODS if get_method_class(m).uses_model)


#: Bumped whenever the computation changes, so old cache entries are not reused.
CACHE_VERSION = 3


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

    Two more ``images x steps`` arrays per method hold the centre-prior view of each
    randomised map (:func:`licnn.metrics.localisation.centre_prior` of the map's size):
    ``centre[method]``, the Spearman correlation of the randomised map (absolute values) with
    the centre prior, and ``partial[method]``, the partial Spearman correlation of the original
    and the randomised map with the centre prior held fixed
    (:func:`licnn.metrics.similarity.partial_spearman`). ``original_centre[method]`` (one
    value per image) is the original map's Spearman correlation with the centre prior.
    ``explained`` (``images x steps``) is the class the class-specific methods explained.
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
    centre: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    partial: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    original_centre: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    explained: NDArray[np.int64] | None = None

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
    protocol: Protocol = DEFAULT_PROTOCOL,
) -> dict[str, Any]:
    """Everything a cached per-image result of a randomisation test depends on.

    The chunk size is part of it: it decides which image each image's control is paired with.
    """
    return {
        **dataclasses.asdict(protocol),
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
    """``compute`` over fixed chunks of ``items`` (:func:`licnn.cache.map_caches` with
    ``aligned``), through a :class:`ResultCache` unless ``cache`` is False, so every item is
    always computed with the same chunk companions, resumed run or not."""
    if cache is False:
        results: dict[str, dict[str, NDArray[Any]]] = {}
        chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
        for chunk in tqdm(chunks, desc=experiment, disable=not progress):
            results.update(zip(chunk, compute(chunk), strict=True))
        return results
    store = ResultCache(experiment, key, root=None if cache is True else cache)
    return store.map(items, compute, chunk_size, experiment, progress, aligned=True)


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
        return original_chunk(model, chunk, methods, config, ig_steps, batch_size)

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
    protocol: Protocol = DEFAULT_PROTOCOL,
    include_original: bool = False,
) -> RandomisationResult:
    """Run one randomisation test (``mode``: cascading or independent) on ``records``.

    For each image, every method explains the original model's top-1 class (the LICNN
    saliency map is told no class) on the original model and on each randomised model;
    each randomised map is compared with the original one. ``steps`` picks a subset of the
    group names (default: all, from :func:`layer_groups`). Images are processed
    ``chunk_size`` at a time; with ``cache`` (True: the default cache folder; a path: that
    folder) each image's original maps and results are stored, so an interrupted run
    resumes where it stopped.

    ``protocol`` chooses the batch-norm treatment, the class explained and an intervention
    (:class:`Protocol`; the default is the report's protocol). ``include_original`` adds a
    first step, :data:`ORIGINAL_STEP`, with nothing randomised: the trained model's maps
    computed again (similarity 1 for a deterministic method) and, in its other-image
    control, the similarity of two images' trained maps.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    groups = list(groups) if groups is not None else layer_groups(model)
    names = [name for name, _ in groups]
    wanted = _check_steps(groups, steps)
    steps = [ORIGINAL_STEP] * include_original + [name for name in names if name in wanted]
    methods = list(methods)
    by_item = _records_by_item(records)
    keys = list(by_item)
    originals = original_maps(
        model, records, methods, config, ig_steps, batch_size, chunk_size, cache, progress
    )

    def compute(items: list[str]) -> list[dict[str, NDArray[Any]]]:
        chunk = [by_item[i] for i in items]
        return compute_chunk(
            model, chunk, [originals[i] for i in items], mode, methods, groups, steps, seed,
            config, ig_steps, batch_size, keep_maps, protocol,
        )  # fmt: skip

    key = cache_key(
        model, mode, methods, groups, steps, seed, config, ig_steps, keep_maps, chunk_size,
        protocol,
    )  # fmt: skip
    results = _cached(f"sanity-{mode}", key, keys, compute, cache, chunk_size, progress)
    values = {m: np.stack([results[k][m] for k in keys]).astype(np.float64) for m in methods}
    maps = {}
    if keep_maps:
        maps = {k: {m: results[k][f"maps_{m}"] for m in methods} for k in keys}

    def stacked(prefix: str) -> dict[str, NDArray[np.float64]]:
        return {
            m: np.stack([results[k][f"{prefix}{m}"] for k in keys]).astype(np.float64)
            for m in methods
        }

    targets = np.asarray([int(results[k]["target"]) for k in keys], dtype=np.int64)
    return RandomisationResult(
        mode, steps, methods, keys, values, targets, maps=maps, other_image=stacked("other_"),
        centre=stacked("centre_"), partial=stacked("partial_"),
        original_centre=stacked("original_centre_"),
        explained=np.stack([results[k]["explained"] for k in keys]).astype(np.int64),
    )  # fmt: skip
