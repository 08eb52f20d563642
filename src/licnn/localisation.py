"""Quantitative benchmarks of attribution maps: object boxes and salient-object masks.

Two benchmarks share one set-up: every image is resized **whole** to the model's input size
(no centre crop, so the map covers every box and every mask pixel), a method's map is
computed for a class, and the map is scored with :mod:`licnn.metrics`.

- :class:`BoxBenchmark` (``imagenet-val-1300``): pointing game, share of the map's energy in
  the boxes and IoU of the half-maximum region with the boxes, for the ground-truth class
  (``role="gt"``) or the predicted top-1 class (``role="pred"``). Boxes are scaled from the
  image's pixels to the map's with :func:`scale_boxes`.
- :class:`MaskBenchmark` (``pascal-s``): the map of the predicted top-1 class is resized back
  to the image size and compared with the mask binarised at 0.5: precision and recall
  curves (for the dataset-level maximum F-measure), adaptive F-measure and MAE.

Scores are cached per image (:class:`licnn.cache.ResultCache`, one folder per method, role,
configuration and data set), so a run resumes where it stopped and a larger run re-uses a
smaller one. ``precompute`` fills the caches of all methods in one pass over the images
(each batch read once, LICNN's attention maps taken from its saliency call where the class
is among the top 5), and ``scores_configs`` computes several LICNN configurations together
(:meth:`licnn.attention.LICNN.explain_configs`). The Captum baselines run on a
channels-last copy of the network, which is faster on a CPU.

:func:`summarise_boxes` and :func:`summarise_masks` turn per-image scores into the report's
numbers with 95% intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn import metrics
from licnn.attention import LICNN
from licnn.baselines import MAGNITUDE_METHODS  # noqa: F401  (read as localisation.MAGNITUDE_METHODS)
from licnn.cache import ResultCache, map_caches
from licnn.config import LICNNConfig
from licnn.data import Dataset, Record
from licnn.errors import DataError
from licnn.images import load_image
from licnn.methods import (
    METHODS,
    AttributionMethod,
    channels_last_copy,
    get_method_class,
    make_method,
    registered,
)
from licnn.methods import label as method_label
from licnn.methods.licnn_attention import LICNNAttention
from licnn.methods.licnn_saliency import LICNNSaliency
from licnn.models import LoadedModel
from licnn.stats import mean_ci, proportion_ci

#: Methods of the box benchmark, in the order of the report's tables.
BOX_METHODS = METHODS
#: Methods of the salient-object benchmark (the saliency map stands for LICNN there).
MASK_METHODS = tuple(m for m in METHODS if m != LICNNAttention.name)
#: Integrated Gradients steps used here: 16 (Captum's default is 50) to keep the CPU cost down.
IG_STEPS = 16
#: Pointing-game tolerance in pixels of the 224 px map (Zhang et al. 2016).
TOLERANCE = 15
#: Fraction of the map's maximum above which a pixel counts as "on" for the box IoU.
IOU_THRESHOLD = 0.5
#: Graded PASCAL-S masks (share of annotators) are binarised at this value.
MASK_THRESHOLD = 0.5
#: How images reach the model in both benchmarks.
PREPROCESSING = "whole image resized (bilinear) to the input size, no crop"
#: Bumped whenever the scoring changes, so old cached scores are not re-used.
SCORING_VERSION = 1


# --- inputs -------------------------------------------------------------------------------


def resize_input(model: LoadedModel, image: Image.Image) -> torch.Tensor:
    """The whole image resized to ``input_size`` x ``input_size`` and normalised (3 x H x W)."""
    size = model.input_size
    return model.normalise(image.resize((size, size), Image.Resampling.BILINEAR))


def _record_boxes(record: Record) -> NDArray[Any]:
    """The ground-truth boxes of ``record``; a record without boxes cannot be scored."""
    if record.boxes is None:
        raise DataError(
            f"{record.key} has no boxes; localisation needs a labelled dataset with boxes"
        )
    return record.boxes


def scale_boxes(
    boxes: ArrayLike, from_size: tuple[int, int], to_size: tuple[int, int]
) -> NDArray[np.float64]:
    """Boxes ``(x0, y0, x1, y1)`` from an image of ``from_size`` (W, H) to one of ``to_size``.

    Coordinates are pixel centres (as in :mod:`licnn.metrics`); the image's outer edge, at
    -0.5 and W - 0.5, maps to the resized image's edge, as in a bilinear resize:
    ``x' = (x + 0.5) * W' / W - 0.5``. For 227 -> 224 px this is a scaling by 224/227.
    """
    values = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    scale = np.array([sx, sy, sx, sy])
    return (values + 0.5) * scale - 0.5


def binary_mask(path: str | Any, threshold: float = MASK_THRESHOLD) -> NDArray[np.bool_]:
    """A graded 8-bit mask (0-255: share of annotators) as a boolean mask, value >= threshold."""
    with Image.open(path) as mask:
        values = np.asarray(mask.convert("L"), dtype=np.float64) / 255.0
    return values >= threshold


def sample_records(dataset: Sequence[Record], n: int | None = None, seed: int = 0) -> list[Record]:
    """``n`` records in a seeded random order (``None``: all); smaller ``n`` give prefixes.

    Because the subsets are nested, a larger run re-uses every cached score of a smaller one.
    """
    order = np.random.default_rng(seed).permutation(len(dataset))
    if n is not None:
        order = order[: max(0, n)]
    return [dataset[int(i)] for i in order]


def describe_subset(n: int, total: int) -> str:
    """``all 1300 images`` or ``a seeded random subset of 300 of 1300 images``."""
    if n >= total:
        return f"all {total} images"
    return f"a seeded random subset of {n} of {total} images"


# --- the benchmarks -----------------------------------------------------------------------


class _Benchmark:
    """Model, images, predictions and caches shared by the two benchmarks."""

    kind = ""

    def __init__(
        self,
        model: LoadedModel,
        dataset: Dataset,
        records: Sequence[Record] | None = None,
        batch_size: int = 8,
        ig_steps: int = IG_STEPS,
        progress: bool = True,
    ) -> None:
        self.model = model
        self.dataset = dataset
        self.records = list(dataset if records is None else records)
        self.batch_size = batch_size
        self.ig_steps = ig_steps
        self.progress = progress
        self._by_key = {r.key: r for r in self.records}
        self._methods: dict[tuple[str, LICNNConfig | None], AttributionMethod] = {}
        self._explainer = LICNN(model, batch_size=batch_size)
        self._captum_network: torch.nn.Module | None = None
        self._predictions: dict[str, dict[str, np.ndarray]] | None = None

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.records]

    def _base_key(self) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "weights": self.model.weights_sha256 or self.model.weights,
            "dataset": self.dataset.name,
            "manifest": self.dataset.manifest_hash,
            "preprocessing": PREPROCESSING,
        }

    def _inputs(self, records: Sequence[Record]) -> tuple[torch.Tensor, list[Image.Image]]:
        images = [load_image(r.path, draft=False, orientation=False) for r in records]
        x = torch.stack([resize_input(self.model, im) for im in images])
        return x.to(self.model.device), images

    def predictions(self) -> dict[str, dict[str, np.ndarray]]:
        """Top-5 classes and probabilities of every image (cached): ``key -> {classes, probabilities}``."""
        if self._predictions is None:
            cache = ResultCache("predictions", self._base_key())

            def compute(keys: list[str]) -> list[dict[str, np.ndarray]]:
                x, _ = self._inputs([self._by_key[k] for k in keys])
                with torch.inference_mode():
                    probs = torch.softmax(self.model.module(x).float(), dim=1)
                top = probs.topk(5, dim=1)
                return [
                    {"classes": c.cpu().numpy(), "probabilities": p.cpu().numpy()}
                    for c, p in zip(top.indices, top.values, strict=True)
                ]

            self._predictions = cache.map(
                self.keys, compute, self.batch_size * 4, "predictions", self.progress
            )
        return self._predictions

    def predicted(self, key: str) -> int:
        """The predicted top-1 class of image ``key``."""
        return int(self.predictions()[key]["classes"][0])

    def method(self, name: str, config: LICNNConfig | None = None) -> AttributionMethod:
        """The attribution method ``name`` (one object per name and configuration).

        The Captum baselines share one channels-last copy of the network (faster on a CPU;
        :func:`licnn.methods.channels_last_copy`); the weights here never change.
        """
        cls = get_method_class(name)
        config = config if cls.takes_config else None
        if (name, config) not in self._methods:
            if cls.uses_captum and self._captum_network is None:
                self._captum_network = channels_last_copy(self.model.module)
            self._methods[(name, config)] = make_method(
                name,
                self.model,
                config,
                ig_steps=self.ig_steps,
                batch_size=self.batch_size,
                network=self._captum_network if cls.uses_captum else None,
            )
        return self._methods[(name, config)]

    @staticmethod
    def _jobs(methods: Sequence[str]) -> list[tuple[str, str]]:
        """The (method, role) pairs whose scores the benchmark stores for ``methods``."""
        raise NotImplementedError

    def uncached(
        self,
        methods: Sequence[str],
        configs: Sequence[LICNNConfig | None] = (None,),
        roles: Sequence[str] | None = None,
    ) -> int:
        """How many images lack a cached score of one of ``methods`` (under one of ``configs``).

        What a run still has to compute; 0 means it only reads the cache. ``roles`` limits
        the count to those roles (class-free methods count under any role).
        """
        jobs = [(m, r) for m, r in self._jobs(methods) if roles is None or r in (*roles, "any")]
        caches = [self._cache(m, r, c) for m, r in jobs for c in configs]
        return sum(any(k not in cache for cache in caches) for k in self.keys)

    def _cache(self, method: str, role: str, config: LICNNConfig | None) -> ResultCache:
        cls = get_method_class(method)
        key = self._base_key() | {
            "benchmark": self.kind,
            "method": method,
            "role": role,
            "config": (config or LICNNConfig()).as_dict() if cls.takes_config else None,
            "ig_steps": self.ig_steps if cls.uses_ig_steps else None,
            "scoring_version": SCORING_VERSION,
        }
        if cls.uses_captum:
            key["memory_format"] = "channels_last"
        return ResultCache(f"{self.kind}-{method}-{role}", key)

    def _maps(
        self,
        method: str,
        records: Sequence[Record],
        targets: Sequence[int],
        configs: Sequence[LICNNConfig | None],
    ) -> tuple[list[NDArray[np.float64]], list[Image.Image]]:
        """Maps (N x H x W, numpy) of ``method`` for ``records``, one array per configuration.

        LICNN's maps for several configurations come from one :meth:`LICNN.explain_configs`
        call, which shares the passes the configurations agree on.
        """
        x, images = self._inputs(records)
        target = torch.as_tensor(list(targets), dtype=torch.long, device=x.device)
        maps = self._maps_of(method, x, target, configs)
        return [_as_scored(method, m) for m in maps], images

    def _maps_of(
        self,
        method: str,
        x: torch.Tensor,
        target: torch.Tensor,
        configs: Sequence[LICNNConfig | None],
    ) -> list[torch.Tensor]:
        explainer = self.method(method)
        if isinstance(explainer, LICNNAttention):  # LICNN's maps, one call for all configs
            chosen = [c or LICNNConfig() for c in configs]
            return explainer.attribute_configs(x, chosen, target)
        return [self.method(method, c).attribute(x, target) for c in configs]

    def _shared_maps(
        self, x: torch.Tensor, methods: Sequence[str], targets: Sequence[int]
    ) -> dict[str, NDArray[np.float64]]:
        """Maps (N x H x W) of several methods, default settings, for the same images and classes.

        LICNN's attention map of a class among the top 5 is a slot of the saliency map's call,
        so only the images whose class is not among them get a call of their own. Each map is
        the one :meth:`_maps` gives, up to float rounding.
        """
        target = torch.as_tensor(list(targets), dtype=torch.long, device=x.device)
        maps: dict[str, torch.Tensor] = {}
        attention, saliency = LICNNAttention.name, LICNNSaliency.name
        if saliency in methods and attention in methods:
            top5 = self._explainer.explain(x, top_k=LICNNSaliency.top_k)
            maps[saliency] = top5.saliency
            found = top5.classes == target[:, None]
            rows = torch.arange(x.shape[0], device=x.device)
            found_maps = top5.attention[rows, found.int().argmax(dim=1)]
            missing = (~found.any(dim=1)).nonzero()[:, 0]
            if missing.numel():
                found_maps[missing] = self._explainer.attribute(x[missing], target[missing])
            maps[attention] = found_maps
        for method in methods:
            if method not in maps:
                maps[method] = self._maps_of(method, x, target, [None])[0]
        return {m: _as_scored(m, maps[m]) for m in methods}

    def _collect(
        self,
        method: str,
        role: str,
        configs: Sequence[LICNNConfig | None],
        compute: Callable[[list[str]], list[list[dict[str, Any]]]],
    ) -> list[dict[str, np.ndarray]]:
        """Per-image scores of every record under each configuration, stacked in record order."""
        caches = [self._cache(method, role, c) for c in configs]
        label = f"{method} ({role})" if role != "any" else method
        if len(configs) > 1:
            label += f", {len(configs)} settings"
        found = map_caches(caches, self.keys, compute, self.batch_size, label, self.progress)
        return [self._stack([per_config[k] for k in self.keys]) for per_config in found]

    def _stack(self, rows: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        stacked = {name: np.stack([row[name] for row in rows]) for name in rows[0]} if rows else {}
        stacked["keys"] = np.asarray(self.keys)
        return stacked


class BoxBenchmark(_Benchmark):
    """Pointing game, energy in boxes and box IoU on a data set with boxes (imagenet-val-1300)."""

    kind = "boxes"

    def target(self, record: Record, role: str) -> int:
        """The class a map is asked for: the label (``gt``) or the predicted top-1 (``pred``)."""
        if role == "gt":
            if record.label is None:
                raise ValueError(f"{record.key} has no label")
            return int(record.label)
        if role in ("pred", "any"):
            return self.predicted(record.key)
        raise ValueError(f"role must be 'gt' or 'pred', got {role!r}")

    def correct(self) -> NDArray[np.bool_]:
        """Whether the predicted top-1 class is the label, per image (record order)."""
        return np.array([self.predicted(r.key) == r.label for r in self.records])

    def scores(
        self, method: str, role: str = "gt", config: LICNNConfig | None = None
    ) -> dict[str, np.ndarray]:
        """Per-image ``hit`` (bool), ``energy``, ``iou`` and ``target`` of ``method`` (arrays).

        A class-free method (``class_free`` metadata) is computed once whatever the role. For
        ``role="pred"`` the images predicted right re-use the ``gt`` scores (same map).
        """
        return self.scores_configs(method, role, [config])[0]

    def scores_configs(
        self, method: str, role: str, configs: Sequence[LICNNConfig | None]
    ) -> list[dict[str, np.ndarray]]:
        """:meth:`scores` under several LICNN configurations, computed together."""
        if _class_free(method):
            role = "any"
        elif role == "pred":
            for config in configs:
                self._reuse_gt(method, config)

        def compute(keys: list[str]) -> list[list[dict[str, Any]]]:
            records = [self._by_key[k] for k in keys]
            targets = [self.target(r, role) for r in records]
            per_config, images = self._maps(method, records, targets, configs)
            return [
                [
                    self.score_map(m, r, im.size) | {"target": t}
                    for m, r, im, t in zip(maps, records, images, targets, strict=True)
                ]
                for maps in per_config
            ]

        return self._collect(method, role, configs, compute)

    def precompute(self, methods: Sequence[str] = BOX_METHODS) -> None:
        """Fill the score caches of ``methods`` for both roles in one pass over the images.

        Each batch of images is read once and the methods share work (:meth:`_shared_maps`);
        the predicted class re-uses the ground truth's map where the two agree. Afterwards
        :meth:`scores` reads the caches. Optional: :meth:`scores` alone gives the same scores.
        """
        jobs = self._jobs(methods)
        caches = [self._cache(m, r, None) for m, r in jobs]
        class_methods = [m for m in methods if not _class_free(m)]

        def compute(keys: list[str]) -> list[list[dict[str, Any]]]:
            records = [self._by_key[k] for k in keys]
            x, images = self._inputs(records)
            gt = [self.target(r, "gt") for r in records]
            pred = [self.target(r, "pred") for r in records]
            maps = {"gt": self._shared_maps(x, methods, gt)}
            maps["any"] = maps["gt"]
            maps["pred"] = {m: maps["gt"][m].copy() for m in class_methods}
            differ = [i for i, (g, p) in enumerate(zip(gt, pred, strict=True)) if g != p]
            if differ and class_methods:
                other = self._shared_maps(x[differ], class_methods, [pred[i] for i in differ])
                for m in class_methods:
                    maps["pred"][m][differ] = other[m]
            targets = {"gt": gt, "pred": pred, "any": pred}
            return [
                [
                    self.score_map(maps[role][method][i], r, images[i].size)
                    | {"target": targets[role][i]}
                    for i, r in enumerate(records)
                ]
                for method, role in jobs
            ]

        map_caches(caches, self.keys, compute, self.batch_size, "all methods", self.progress)

    @staticmethod
    def _jobs(methods: Sequence[str]) -> list[tuple[str, str]]:
        jobs = [(m, "any") if _class_free(m) else (m, r) for m in methods for r in ("gt", "pred")]
        return list(dict.fromkeys(jobs))

    def _reuse_gt(self, method: str, config: LICNNConfig | None) -> None:
        """Copy cached ground-truth scores to the predicted-class cache where the two agree."""
        gt = self._cache(method, "gt", config)
        pred = self._cache(method, "pred", config)
        for record in self.records:
            if record.key in pred or record.label != self.predicted(record.key):
                continue
            values = gt.get(record.key)
            if values is not None:
                pred.put(record.key, values)

    @staticmethod
    def score_map(
        saliency: NDArray[np.float64], record: Record, image_size: tuple[int, int]
    ) -> dict[str, Any]:
        """Pointing-game hit, energy in boxes and box IoU of one map (boxes scaled to the map)."""
        height, width = saliency.shape
        boxes = scale_boxes(_record_boxes(record), image_size, (width, height))
        return {
            "hit": metrics.pointing_game(saliency, boxes, TOLERANCE),
            "energy": metrics.energy_in_boxes(saliency, boxes),
            "iou": metrics.box_iou(saliency, boxes, IOU_THRESHOLD),
        }

    def example_maps(
        self,
        records: Sequence[Record],
        methods: Sequence[str],
        role: str = "gt",
        config: LICNNConfig | None = None,
    ) -> tuple[list[Image.Image], list[NDArray[np.float64]], list[NDArray[np.float64]]]:
        """For a map grid: resized images, maps (image by image, method by method) and boxes."""
        size = self.model.input_size
        images, maps, boxes = [], [], []
        for record in records:
            image = load_image(record.path, draft=False, orientation=False)
            resized = image.resize((size, size), Image.Resampling.BILINEAR)
            scaled = scale_boxes(_record_boxes(record), image.size, (size, size))
            for name in methods:
                target = self.target(record, "any" if _class_free(name) else role)
                ((saliency,),), _ = self._maps(name, [record], [target], [config])
                images.append(resized)
                maps.append(saliency)
                boxes.append(scaled)
        return images, maps, boxes


class MaskBenchmark(_Benchmark):
    """Salient object detection on a data set with masks (PASCAL-S), predicted top-1 class."""

    kind = "masks"

    def scores(self, method: str, config: LICNNConfig | None = None) -> dict[str, np.ndarray]:
        """Per-image ``precision`` and ``recall`` curves (N x 256), ``adaptive_f`` and ``mae``."""
        return self.scores_configs(method, [config])[0]

    def scores_configs(
        self, method: str, configs: Sequence[LICNNConfig | None]
    ) -> list[dict[str, np.ndarray]]:
        """:meth:`scores` under several LICNN configurations, computed together."""
        role = "any" if _class_free(method) else "pred"

        def compute(keys: list[str]) -> list[list[dict[str, Any]]]:
            records = [self._by_key[k] for k in keys]
            targets = [self.predicted(k) for k in keys]
            per_config, _ = self._maps(method, records, targets, configs)
            # The mask is read once per image, whatever the number of configurations.
            masks = [binary_mask(r.mask) for r in records]
            return [
                [
                    self.score_map(m, r, mask)
                    for m, r, mask in zip(maps, records, masks, strict=True)
                ]
                for maps in per_config
            ]

        return self._collect(method, role, configs, compute)

    def precompute(self, methods: Sequence[str] = MASK_METHODS) -> None:
        """Fill the score caches of ``methods`` in one pass over the images (as for boxes)."""
        jobs = self._jobs(methods)
        caches = [self._cache(m, r, None) for m, r in jobs]

        def compute(keys: list[str]) -> list[list[dict[str, Any]]]:
            records = [self._by_key[k] for k in keys]
            x, _ = self._inputs(records)
            maps = self._shared_maps(x, methods, [self.predicted(k) for k in keys])
            masks = [binary_mask(r.mask) for r in records]
            return [
                [self.score_map(maps[m][i], r, masks[i]) for i, r in enumerate(records)]
                for m, _ in jobs
            ]

        map_caches(caches, self.keys, compute, self.batch_size, "all methods", self.progress)

    @staticmethod
    def _jobs(methods: Sequence[str]) -> list[tuple[str, str]]:
        return [(m, "any" if _class_free(m) else "pred") for m in methods]

    @staticmethod
    def score_map(
        saliency: NDArray[np.float64], record: Record, mask: NDArray[np.bool_] | None = None
    ) -> dict[str, Any]:
        """Scores of one map, resized (bilinear) to its mask's size (``mask``: already read)."""
        mask = binary_mask(record.mask) if mask is None else mask
        resized = resize_to(saliency, mask.shape)
        precision, recall, _ = metrics.f_measure_curve(resized, mask)
        return {
            "precision": precision.astype(np.float32),
            "recall": recall.astype(np.float32),
            "adaptive_f": metrics.adaptive_f_measure(resized, mask),
            "mae": metrics.mae(resized, mask),
        }


def _class_free(method: str) -> bool:
    """Whether method ``method``'s map does not depend on the class (its metadata)."""
    return get_method_class(method).class_free


def _as_scored(method: str, maps: torch.Tensor) -> NDArray[np.float64]:
    """Maps as float64 numpy, as magnitudes for the methods scored by ``|map|`` (metadata)."""
    if get_method_class(method).magnitude:
        maps = maps.abs()
    return maps.float().cpu().numpy().astype(np.float64)


def resize_to(saliency: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    """A 2-D map resized bilinearly (half-pixel centres) to ``shape`` (H, W)."""
    values = torch.as_tensor(np.asarray(saliency, dtype=np.float32))
    if tuple(values.shape) == tuple(shape):
        return values.double().numpy()
    out = F.interpolate(values[None, None], size=tuple(shape), mode="bilinear", align_corners=False)
    return out[0, 0].double().numpy()


# --- summaries ----------------------------------------------------------------------------


def summarise_boxes(scores: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Pointing-game accuracy (Wilson 95% interval), mean energy and IoU (bootstrap 95%)."""
    hits = np.asarray(scores["hit"], dtype=bool)
    n = int(hits.size)
    low, high = proportion_ci(int(hits.sum()), n)
    return {
        "n": n,
        "pointing_game": {
            "accuracy": float(hits.mean()) if n else 0.0,
            "hits": int(hits.sum()),
            "low": low,
            "high": high,
            "n": n,
        },
        "energy_in_boxes": mean_ci(scores["energy"]),
        "box_iou": mean_ci(scores["iou"]),
    }


def _f_from_curves(
    precision: NDArray[np.float64], recall: NDArray[np.float64], beta2: float
) -> NDArray[np.float64]:
    """F-beta of mean precision and recall curves (0 where both are 0), along the last axis."""
    num = (1 + beta2) * precision * recall
    den = beta2 * precision + recall
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def dataset_f_measure(
    precision: ArrayLike,
    recall: ArrayLike,
    beta2: float = metrics.BETA2,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Dataset-level max F-beta from per-image curves (N x T), with a bootstrap 95% interval.

    As :func:`licnn.metrics.dataset_max_f_measure`: precision and recall are averaged over
    the images at each threshold, F is taken of the means, and its maximum is reported
    (with the threshold, in [0, 1], where it is reached). The interval is the percentile
    bootstrap over images (seeded).
    """
    p = np.asarray(precision, dtype=np.float64)
    r = np.asarray(recall, dtype=np.float64)
    if p.ndim != 2 or p.shape != r.shape or p.shape[0] == 0:
        raise ValueError(f"need N x T precision and recall curves, got {p.shape} and {r.shape}")
    f = _f_from_curves(p.mean(axis=0), r.mean(axis=0), beta2)
    best = int(np.argmax(f))
    rng = np.random.default_rng(seed)
    samples = np.empty(n_resamples)
    for i in range(n_resamples):
        idx = rng.integers(0, p.shape[0], p.shape[0])
        samples[i] = _f_from_curves(p[idx].mean(axis=0), r[idx].mean(axis=0), beta2).max()
    low, high = np.percentile(samples, [2.5, 97.5]) if p.shape[0] > 1 else (f[best], f[best])
    return {
        "max": float(f[best]),
        "low": float(low),
        "high": float(high),
        "threshold": best / (p.shape[1] - 1) if p.shape[1] > 1 else 0.0,
        "n": int(p.shape[0]),
    }


def summarise_masks(scores: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Dataset max F-measure (beta^2 = 0.3), mean adaptive F-measure and MAE, with 95% intervals."""
    return {
        "n": int(len(scores["mae"])),
        "f_measure": dataset_f_measure(scores["precision"], scores["recall"]),
        "adaptive_f_measure": mean_ci(scores["adaptive_f"]),
        "mae": mean_ci(scores["mae"]),
    }


def paired_f_difference(
    a: Mapping[str, np.ndarray],
    b: Mapping[str, np.ndarray],
    beta2: float = metrics.BETA2,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Max F-measure of ``a`` minus that of ``b`` on the same images, paired bootstrap 95% interval."""
    pa, ra = (np.asarray(a[k], dtype=np.float64) for k in ("precision", "recall"))
    pb, rb = (np.asarray(b[k], dtype=np.float64) for k in ("precision", "recall"))
    if pa.shape != pb.shape:
        raise ValueError(f"paired scores must cover the same images, got {pa.shape} and {pb.shape}")

    def diff(idx: NDArray[np.int64] | slice) -> float:
        fa = _f_from_curves(pa[idx].mean(axis=0), ra[idx].mean(axis=0), beta2).max()
        fb = _f_from_curves(pb[idx].mean(axis=0), rb[idx].mean(axis=0), beta2).max()
        return float(fa - fb)

    rng = np.random.default_rng(seed)
    n = int(pa.shape[0])
    samples = [diff(rng.integers(0, n, n)) for _ in range(n_resamples)]
    low, high = np.percentile(samples, [2.5, 97.5])
    return {"difference": diff(slice(None)), "low": float(low), "high": float(high), "n": int(n)}


# --- tables and figures -------------------------------------------------------------------


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 3) -> str:
    """A Markdown table (floats rounded to ``digits``); show it with ``IPython.display.Markdown``."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.{digits}f}"
        return str(value).replace("|", "/")

    # A bare "|" in a header would end its cell and break the table: escape it.
    lines = ["| " + " | ".join(str(h).replace("|", "\\|") for h in header) + " |"]
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|")
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {row!r} has {len(row)} cells for {len(header)} columns")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def interval(summary: Mapping[str, float], value: str = "mean") -> str:
    """``0.512 [0.470, 0.553]`` from a summary with ``value``, ``low`` and ``high``."""
    return f"{summary[value]:.3f} [{summary['low']:.3f}, {summary['high']:.3f}]"


ROLE_LABELS = {"gt": "ground truth", "pred": "predicted top-1"}


def box_table(summaries: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """Markdown table of :func:`summarise_boxes` results, ``summaries[method][role]``."""
    rows = []
    for method, roles in summaries.items():
        # A name the registry does not know is labelled as itself, one row per class.
        class_free = method in registered() and _class_free(method)
        for role, summary in roles.items():
            pg = summary["pointing_game"]
            rows.append(
                [
                    method_label(method),
                    "any (class-free)" if class_free else ROLE_LABELS[role],
                    interval(pg, "accuracy"),
                    interval(summary["energy_in_boxes"]),
                    interval(summary["box_iou"]),
                ]
            )
            if class_free:
                break
    header = ["method", "class explained", "pointing game", "energy in boxes", "box IoU"]
    return format_table(header, rows)


def mask_table(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown table of :func:`summarise_masks` results, ``summaries[method]``."""
    rows = [
        [
            method_label(method),
            interval(summary["f_measure"], "max"),
            f"{summary['f_measure']['threshold']:.2f}",
            interval(summary["adaptive_f_measure"]),
            interval(summary["mae"]),
        ]
        for method, summary in summaries.items()
    ]
    header = ["method", "max F-measure", "at threshold", "adaptive F-measure", "MAE"]
    return format_table(header, rows)


def box_bars(summaries: Mapping[str, Mapping[str, Mapping[str, Any]]], title: str) -> Figure:
    """Pointing game, energy in boxes and box IoU per method and class, with 95% intervals."""
    methods = list(summaries)
    fig = Figure(figsize=(13.0, 4.4))
    axes = fig.subplots(1, 3)
    panels = (
        ("pointing_game", "accuracy", "pointing-game accuracy"),
        ("energy_in_boxes", "mean", "energy in boxes (mean)"),
        ("box_iou", "mean", "IoU, map >= half max (mean)"),
    )
    width = 0.38
    x = np.arange(len(methods))
    for ax, (metric, value, ylabel) in zip(axes, panels, strict=True):
        for offset, role in ((-width / 2, "gt"), (width / 2, "pred")):
            stats = [summaries[m][role][metric] for m in methods]
            values = np.array([s[value] for s in stats])
            errors = np.array(
                [[s[value] - s["low"] for s in stats], [s["high"] - s[value] for s in stats]]
            )
            ax.bar(
                x + offset,
                values,
                width,
                yerr=np.maximum(errors, 0),
                capsize=2,
                label=f"{ROLE_LABELS[role]} class",
            )
        ax.set_xticks(x, [method_label(m) for m in methods], rotation=35, ha="right")
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[2].legend(fontsize="small", loc="upper right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def draw_boxes(fig: Figure, boxes: Sequence[ArrayLike | None], colour: str = "white") -> Figure:
    """Outline boxes (map pixels, ``x0, y0, x1, y1``) on the figure's image panels, in order."""
    for ax, panel in zip(fig.axes, boxes, strict=False):
        if panel is None:
            continue
        for x0, y0, x1, y1 in np.asarray(panel, dtype=np.float64).reshape(-1, 4):
            ax.add_patch(
                Rectangle(
                    (x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False, lw=1.2, ec=colour
                )
            )
    return fig


def precision_recall_figure(
    curves: Mapping[str, Mapping[str, np.ndarray]], title: str, beta2: float = metrics.BETA2
) -> Figure:
    """Mean precision-recall curves (left) and F-measure against threshold (right), per method."""
    fig = Figure(figsize=(10.0, 4.2))
    left, right = fig.subplots(1, 2)
    for name, scores in curves.items():
        p = np.asarray(scores["precision"], dtype=np.float64).mean(axis=0)
        r = np.asarray(scores["recall"], dtype=np.float64).mean(axis=0)
        text = method_label(name)
        (line,) = left.plot(r, p, label=text)
        f = _f_from_curves(p, r, beta2)
        thresholds = np.linspace(0.0, 1.0, f.size)
        right.plot(thresholds, f, color=line.get_color(), label=text)
        best = int(np.argmax(f))
        right.plot(thresholds[best], f[best], "o", color=line.get_color())
    left.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1))
    right.set(xlabel="threshold (normalised map)", ylabel=f"F-measure (beta^2 = {beta2})")
    right.set_ylim(0, 1)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    left.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
