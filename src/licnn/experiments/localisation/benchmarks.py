"""The two localisation benchmarks: object boxes (:class:`BoxBenchmark`) and salient-object
masks (:class:`MaskBenchmark`), scored per image and cached.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from licnn.cache import map_caches
from licnn.core.config import LICNNConfig
from licnn.data import Record
from licnn.experiments.localisation._base import _Benchmark
from licnn.experiments.localisation.inputs import (
    BOX_METHODS,
    IOU_THRESHOLD,
    MASK_METHODS,
    TOLERANCE,
    _class_free,
    _record_boxes,
    binary_mask,
    resize_to,
    scale_boxes,
)
from licnn.imaging.images import load_image
from licnn.metrics import localisation as metrics
from licnn.metrics.sod import sod_scores


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
        """Per-image scores: the curves (N x 256) and measures of :meth:`score_map`."""
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
        """Scores of one map, resized (bilinear) to its mask's size (``mask``: already read).

        Every measure of :func:`licnn.metrics.sod.sod_scores`; the curves (``precision``,
        ``recall``, ``e_curve``, 256 thresholds each) are stored as float32 and the per-image F
        curve is left out (:func:`licnn.metrics.sod.aggregate_sod` recomputes it).
        """
        mask = binary_mask(record.mask) if mask is None else mask
        resized = resize_to(saliency, mask.shape)
        scores = sod_scores(resized, mask)
        del scores["f_curve"]
        for curve in ("precision", "recall", "e_curve"):
            scores[curve] = np.asarray(scores[curve], dtype=np.float32)
        return scores
