"""Model-parameter randomisation tests (Adebayo et al. 2018) for LICNN and the baselines.

A saliency method that explains what a model learned should give a different map once the
model's learned weights are destroyed. Two tests re-initialise the weights of a trained
model in steps, from the output towards the input:

- **cascading**: step k re-initialises the top k layer groups (each step keeps the earlier
  ones), so the last step leaves no trained weight;
- **independent**: step k re-initialises group k alone, every other group keeps its weights.

Each step's map is compared with the original model's map of the same image by
:func:`licnn.similarity.compare_maps`; :func:`summarise` gives the mean and a 95% bootstrap
interval over the images per method, measure and step.

How a group is re-initialised (our choice; the test only asks that the learned values go):
every ``Conv2d`` and ``Linear`` weight is drawn from a Kaiming (He) normal distribution
(fan-in, ReLU gain, ``std = sqrt(2 / fan_in)``), the usual initialiser of ReLU networks, and
its bias is set to zero; every batch-norm layer of the group is reset to its freshly
constructed state (scale 1, shift 0, running mean 0, running variance 1), the identity at
evaluation time. Keeping trained batch-norm statistics behind random convolutions would
rescale the random responses by numbers that belong to the trained ones. Each group draws
from its own generator, seeded from ``(seed, group index)``, so a group gets the same
random weights in both tests and in any subset of steps.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from tqdm import tqdm

from licnn.cache import ResultCache
from licnn.config import LICNNConfig
from licnn.data import Record
from licnn.errors import LicnnError
from licnn.images import load_image
from licnn.methods import METHODS, get_method_class, make_method
from licnn.methods import label as method_label
from licnn.models import LoadedModel
from licnn.similarity import SIMILARITY_KEYS, compare_maps
from licnn.stats import mean_ci

#: The two tests of Adebayo et al.
MODES = ("cascading", "independent")
#: The methods the report checks, in its order: those whose map depends on the model (the
#: centre prior has no weights to randomise).
SANITY_METHODS = tuple(m for m in METHODS if get_method_class(m).uses_model)
#: Readable names of the similarity measures, for figures and tables.
METRIC_LABELS = {
    "spearman_abs": "Spearman rank correlation (absolute maps)",
    "spearman_signed": "Spearman rank correlation (signed maps)",
    "hog_pearson": "HOG similarity (Pearson)",
    "hog_spearman": "HOG similarity (Spearman)",
    "ssim": "SSIM",
}
#: Bumped whenever the computation changes, so old cache entries are not reused.
CACHE_VERSION = 2

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


@torch.no_grad()
def reinitialise_(module: nn.Module, generator: torch.Generator) -> None:
    """Re-initialise ``module`` and its children in place (Kaiming normal; batch norm to identity)."""
    for sub in module.modules():
        if isinstance(sub, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(
                sub.weight, mode="fan_in", nonlinearity="relu", generator=generator
            )
            if sub.bias is not None:
                sub.bias.zero_()
        elif isinstance(sub, nn.modules.batchnorm._BatchNorm):
            sub.reset_running_stats()
            if sub.affine:
                sub.weight.fill_(1.0)
                sub.bias.zero_()


def randomise_group_(module: nn.Module, names: Sequence[str], seed: int, index: int) -> None:
    """Re-initialise the modules ``names`` of ``module`` with group ``index``'s generator."""
    generator = torch.Generator(device="cpu").manual_seed(group_seed(seed, index))
    found = dict(module.named_modules())
    for name in names:
        if name not in found:
            raise KeyError(f"module {name!r} not in the model")
        target = found[name]
        device = next(target.parameters()).device
        if device.type == "cpu":
            reinitialise_(target, generator)
        else:  # draw on the CPU, so a seed gives the same weights on every device
            cpu_copy = copy.deepcopy(target).cpu()
            reinitialise_(cpu_copy, generator)
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
) -> Iterator[tuple[str, LoadedModel]]:
    """Cascading randomisation: ``(step name, model with groups 0..k re-initialised)``, top down.

    One copy of the model is changed in place step by step, so a yielded model is only valid
    until the next one is asked for. With ``steps``, every group is still re-initialised in
    order, but only the named steps are yielded.
    """
    groups = list(groups) if groups is not None else layer_groups(model)
    wanted = _check_steps(groups, steps)
    current = copy_model(model)
    for index, (name, modules) in enumerate(groups):
        randomise_group_(current.module, modules, seed, index)
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
) -> Iterator[tuple[str, LoadedModel]]:
    """Independent randomisation: ``(step name, model with group k alone re-initialised)``.

    One copy of the model is used: each group is re-initialised, yielded, and given its
    trained weights back, so a yielded model is only valid until the next one is asked for.
    """
    groups = list(groups) if groups is not None else layer_groups(model)
    wanted = _check_steps(groups, steps)
    current = copy_model(model)
    for index, (name, modules) in enumerate(groups):
        if name not in wanted:
            continue
        randomise_group_(current.module, modules, seed, index)
        current.weights = f"{model.weights}; {name} alone randomised"
        yield name, current
        _restore_group_(current.module, model.module, modules)


def randomised_models(
    model: LoadedModel,
    mode: str,
    seed: int = 0,
    groups: Sequence[LayerGroup] | None = None,
    steps: Sequence[str] | None = None,
) -> Iterator[tuple[str, LoadedModel]]:
    """:func:`cascading_models` or :func:`independent_models`, by ``mode``."""
    if mode == "cascading":
        return cascading_models(model, seed, groups, steps)
    if mode == "independent":
        return independent_models(model, seed, groups, steps)
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


# -- the experiment ----------------------------------------------------------------------


@dataclass
class RandomisationResult:
    """Per-image similarities of one randomisation test.

    ``values[method]`` has shape ``images x steps x measures`` (measures in the order of
    :data:`licnn.similarity.SIMILARITY_KEYS`); ``maps[key][method]`` holds the original map
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


# -- summaries ---------------------------------------------------------------------------


def _interval(values: NDArray[np.float64], confidence: float) -> dict[str, float] | None:
    """Mean and bootstrap interval of the finite values; None when there are none."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    ci = mean_ci(finite, confidence=confidence)
    return {"mean": ci["mean"], "low": ci["low"], "high": ci["high"]}


def _per_step(
    table: Mapping[str, NDArray[np.float64]],
    result: RandomisationResult,
    confidence: float,
) -> dict[str, Any]:
    """``{method: {measure: {step: interval}}}`` of ``images x steps x measures`` arrays."""
    return {
        name: {
            metric: {
                step: _interval(table[name][:, s, j], confidence)
                for s, step in enumerate(result.steps)
            }
            for j, metric in enumerate(result.metrics)
        }
        for name in result.methods
    }


def summarise(result: RandomisationResult, confidence: float = 0.95) -> dict[str, Any]:
    """Mean and bootstrap interval over the images, per method, measure and step.

    Returns ``{"mode", "n_images", "steps", "methods": {method: {measure: {step: {"mean",
    "low", "high"}}}}}``, ready for :func:`licnn.report.save_results`. When the result has
    the other-image control, two more parts of the same shape: ``"other_image"`` (original
    map against another image's randomised map) and ``"image_specific"`` (the paired
    difference, own minus other, per image).
    """
    summary: dict[str, Any] = {
        "mode": result.mode,
        "n_images": result.n_images,
        "steps": list(result.steps),
        "methods": _per_step(result.values, result, confidence),
    }
    if result.other_image and any(np.isfinite(v).any() for v in result.other_image.values()):
        own_minus_other = {m: result.values[m] - result.other_image[m] for m in result.methods}
        summary["other_image"] = _per_step(result.other_image, result, confidence)
        summary["image_specific"] = _per_step(own_minus_other, result, confidence)
    return summary


def curve(
    summary: Mapping[str, Any], method: str, metric: str, part: str = "methods"
) -> tuple[list[float], list[float], list[float]]:
    """``(means, lows, highs)`` of one method and measure across the steps of a summary part."""
    table = summary[part][method][metric]
    steps = summary["steps"]
    return (
        [table[s]["mean"] for s in steps],
        [table[s]["low"] for s in steps],
        [table[s]["high"] for s in steps],
    )


#: The parts of a summary: own randomised map, another image's, and their difference.
PARTS = {
    "methods": "original map against its own randomised map",
    "other_image": "original map against another image's randomised map",
    "image_specific": "own minus other (image-specific similarity)",
}


def _entry(
    summary: Mapping[str, Any], method: str, metric: str, step: str, part: str = "methods"
) -> dict[str, float]:
    """One (mean, low, high) entry of a summary part (see :data:`PARTS`)."""
    return summary[part][method][metric][step]


def summary_table(
    summary: Mapping[str, Any],
    step: str,
    metrics: Sequence[str] = SIMILARITY_KEYS,
    part: str = "methods",
) -> str:
    """A Markdown table: one row per method, the mean [95% interval] of each measure at ``step``."""
    header = "| method | " + " | ".join(METRIC_LABELS.get(m, m) for m in metrics) + " |"
    lines = [header, "|---" * (len(metrics) + 1) + "|"]
    for name in summary[part]:
        cells = []
        for metric in metrics:
            entry = _entry(summary, name, metric, step, part)
            cells.append(f"{entry['mean']:.2f} [{entry['low']:.2f}, {entry['high']:.2f}]")
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def step_table(
    summary: Mapping[str, Any], metric: str = "spearman_abs", part: str = "methods"
) -> str:
    """A Markdown table of one measure's means: one row per method, one column per step."""
    steps = list(summary["steps"])
    lines = ["| method | " + " | ".join(steps) + " |", "|---" * (len(steps) + 1) + "|"]
    for name in summary[part]:
        cells = [f"{_entry(summary, name, metric, step, part)['mean']:.2f}" for step in steps]
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def display_map(saliency: NDArray[Any], percentile: float = 99.0) -> NDArray[np.float64]:
    """``|map|`` clipped at its ``percentile``, so a few extreme pixels do not hide the rest."""
    values = np.abs(np.asarray(saliency, dtype=np.float64))
    top = np.percentile(values, percentile)
    return np.minimum(values, top) if top > 0 else values


def maps_figure(
    result: RandomisationResult,
    key: str,
    image: Any,
    title: str,
    shown: Sequence[str] | None = None,
    panel_size: float = 1.7,
    cmap: str = "magma",
) -> Any:
    """One row per method: the image, its original map, then its map after each shown step.

    Needs a result run with ``keep_maps``; maps are drawn by :func:`display_map` (absolute
    values, clipped at the 99th percentile), each panel scaled on its own.
    """
    from licnn.plots import show_maps

    shown = list(shown) if shown is not None else list(result.steps)
    columns = [0] + [1 + result.steps.index(step) for step in shown]
    header = ["image", "original", *shown]
    maps: list[Any] = []
    titles: list[str] = []
    for row, name in enumerate(result.methods):
        stack = result.maps[key][name]
        maps.append(None)
        maps += [display_map(stack[c]) for c in columns]
        titles += header if row == 0 else [""] * len(header)
    return show_maps(
        image,
        maps,
        titles=titles,
        row_titles=[method_label(m) for m in result.methods],
        suptitle=title,
        overlay=False,
        ncols=len(header),
        cmap=cmap,
        panel_size=panel_size,
    )


def curves_figure(
    summary: Mapping[str, Any],
    title: str,
    metrics: Sequence[str] = SIMILARITY_KEYS,
    methods: Sequence[str] | None = None,
    ncols: int = 3,
    panel_size: tuple[float, float] = (4.6, 3.4),
) -> Any:
    """One panel per measure, one line per method (mean across images, interval shaded).

    Where the summary has the other-image control, a dashed line in the method's colour gives
    its mean: the similarity of the original map to another image's randomised map.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    methods = list(methods) if methods is not None else list(summary["methods"])
    steps = list(summary["steps"])
    x = np.arange(len(steps))
    nrows = -(-len(metrics) // ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.8))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for index, ax in enumerate(axes.ravel()):
        if index >= len(metrics):
            fig.delaxes(ax)
            continue
        metric = metrics[index]
        for name in methods:
            mean, low, high = curve(summary, name, metric)
            (line,) = ax.plot(x, mean, marker="o", markersize=3, label=method_label(name))
            ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
            if "other_image" in summary:
                control, _, _ = curve(summary, name, metric, "other_image")
                ax.plot(x, control, color=line.get_color(), linestyle="--", linewidth=0.9)
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize="medium")
        ax.set_xticks(x, steps, rotation=60, ha="right", fontsize="small")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    if "other_image" in summary:
        handles.append(Line2D([], [], color="grey", linestyle="--", linewidth=0.9))
        labels.append("dashed: against another image's\nrandomised map (same colour)")
    fig.legend(handles, labels, loc="lower right", fontsize="small", frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
