"""The two localisation benchmarks: object boxes (:class:`BoxBenchmark`) and salient-object
masks (:class:`MaskBenchmark`), scored per image and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image

from licnn.cache import ResultCache, map_caches
from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.data import Dataset, Record
from licnn.experiments.localisation.inputs import (
    BOX_METHODS,
    IG_STEPS,
    IOU_THRESHOLD,
    MASK_METHODS,
    PREPROCESSING,
    SCORING_VERSION,
    TOLERANCE,
    _as_scored,
    _class_free,
    _record_boxes,
    binary_mask,
    resize_input,
    resize_to,
    scale_boxes,
)
from licnn.imaging.images import load_image
from licnn.methods import (
    AttributionMethod,
    channels_last_copy,
    get_method_class,
    make_method,
)
from licnn.methods.licnn_attention import LICNNAttention
from licnn.methods.licnn_saliency import LICNNSaliency
from licnn.metrics import localisation as metrics
from licnn.models import LoadedModel

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
