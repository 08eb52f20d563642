"""The mask-area runner: logits of every variant of every image, cached per image, and the
results (:class:`MaskAreaResults`), pooled over data sets.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn.cache import ResultCache
from licnn.core.config import LICNNConfig
from licnn.data.datasets import Dataset, Record
from licnn.errors import ImageError
from licnn.experiments.blur.maps import image_maps, maps_key
from licnn.experiments.blur.mask_area.grid import Grid, variant_name
from licnn.experiments.blur.mask_area.masks import blurred_variants, image_masks
from licnn.experiments.blur.runner import _classify, item_name
from licnn.experiments.evaluate import topk_hits
from licnn.imaging import masks as mk
from licnn.imaging.images import load_image
from licnn.models import LoadedModel

CACHE_EXPERIMENT = "blur-mask-area"
CACHE_VERSION = 1


# --- the runner ----------------------------------------------------------------------------


def subset(records: Sequence[Record], n: int | None, seed: int = 0) -> list[Record]:
    """The first ``n`` records of a seeded random order (all of them, in that order, for None).

    A larger ``n`` extends a smaller one, so cached images are reused when a run grows.
    """
    if n is not None and n < 2:
        raise ValueError(f"need at least two images (for the shuffled masks), got n={n}")
    order = np.random.default_rng(seed).permutation(len(records))
    return [records[i] for i in order[:n]]


@dataclass
class MaskAreaResults:
    """Per-image logits of the original and of every variant, the masks' areas and labels."""

    model: str
    dataset: str
    grid: Grid
    items: tuple[str, ...]
    records: tuple[Record, ...]
    labels: NDArray[np.int64]
    original: NDArray[np.float32]  # N x C
    logits: dict[str, NDArray[np.float32]]  # variant -> N x C (NaN rows where absent)
    areas: dict[tuple[str, str], NDArray[np.float64]]  # mask -> N (NaN where absent)
    class_indices: tuple[int, ...] | None
    n_computed: int = 0
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.items)

    def _hits(self, logits: NDArray[np.float32]) -> NDArray[np.bool_]:
        t = torch.from_numpy(np.nan_to_num(logits, nan=0.0))
        return topk_hits(t, torch.from_numpy(self.labels), (1, 5), self.class_indices).numpy()

    def hits(self) -> tuple[NDArray[np.bool_], dict[str, NDArray[np.bool_]]]:
        """``N x 2`` hits (top-1, top-5) of the original, and per variant."""
        return self._hits(self.original), {v: self._hits(x) for v, x in self.logits.items()}

    def present(self, variant: str) -> NDArray[np.bool_]:
        """Images that have this variant (all but the boxes' on images without boxes)."""
        return ~np.isnan(self.logits[variant][:, 0])

    def select(self, rows: ArrayLike, dataset: str | None = None) -> MaskAreaResults:
        index = np.asarray(rows, dtype=np.int64)
        return MaskAreaResults(
            self.model,
            dataset or self.dataset,
            self.grid,
            tuple(self.items[i] for i in index),
            tuple(self.records[i] for i in index),
            self.labels[index],
            self.original[index],
            {k: v[index] for k, v in self.logits.items()},
            {k: v[index] for k, v in self.areas.items()},
            self.class_indices,
        )


def pool_mask_area(results: Sequence[MaskAreaResults], dataset: str) -> MaskAreaResults:
    """Several data sets' results as one (same model, grid and scoring)."""
    first = results[0]
    if any(r.grid != first.grid or r.class_indices != first.class_indices for r in results):
        raise ValueError("can only pool mask-area results with the same grid and classes")
    return MaskAreaResults(
        first.model,
        dataset,
        first.grid,
        tuple(i for r in results for i in r.items),
        tuple(x for r in results for x in r.records),
        np.concatenate([r.labels for r in results]),
        np.concatenate([r.original for r in results]),
        {k: np.concatenate([r.logits[k] for r in results]) for k in first.logits},
        {k: np.concatenate([r.areas[k] for r in results]) for k in first.areas},
        first.class_indices,
        sum(r.n_computed for r in results),
        sum(r.seconds for r in results),
    )


@dataclass
class _Computer:
    model: LoadedModel
    grid: Grid
    records: Mapping[str, Record]
    maps: Mapping[str, Mapping[str, np.ndarray]]
    partner: Mapping[str, str]
    classify_batch: int
    computed: list[str] = field(default_factory=list)

    def __call__(self, items: list[str]) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for item in items:
            self.computed.append(item)
            out.append(self._one(item))
        return out

    def masks_of(self, item: str) -> tuple[Image.Image, dict[tuple[str, str], NDArray[np.bool_]]]:
        """The crop of one image and its masks (raises ImageError for an unreadable file)."""
        record = self.records[item]
        image = load_image(record.path)
        crop = self.model.crop(image)
        boxes = None
        if record.boxes is not None and np.asarray(record.boxes).size:
            boxes = mk.crop_boxes(
                record.boxes, image.size, self.model.resize_size, self.model.input_size
            )
        entry = self.maps[item]
        masks = image_masks(
            self.grid,
            entry["saliency"],
            entry["grad_cam"],
            self.maps[self.partner[item]]["saliency"],
            mk.item_seed(item),
            boxes,
        )
        return crop, masks

    def _one(self, item: str) -> dict[str, Any]:
        try:
            crop, masks = self.masks_of(item)
        except ImageError as exc:
            return {"error": np.array(str(exc))}
        variants = blurred_variants(crop, masks, self.grid)
        x = torch.stack([self.model.normalise(v) for v in variants.values()])
        logits = _classify(self.model, x, self.classify_batch).numpy().astype(np.float32)
        names = [variant_name(*v) for v in self.grid.variants()]
        full = np.full((len(names), logits.shape[1]), np.nan, dtype=np.float32)
        for row, name in enumerate(variants):
            full[names.index(name)] = logits[row]
        mask_names = self.grid.masks()
        areas = np.array([masks[m].mean() if m in masks else np.nan for m in mask_names])
        return {
            "logits": full.astype(np.float16),
            "areas": areas,
            "partner": np.array(self.partner[item]),
        }


@dataclass
class MaskExample:
    """One image's crop, its masks (source, area point) and blurred variants, for figures."""

    record: Record
    crop: Image.Image
    masks: dict[tuple[str, str], NDArray[np.bool_]]
    variants: dict[str, Image.Image]


def example_masks(
    model: LoadedModel,
    record: Record,
    partner: Record,
    grid: Grid | None = None,
    config: LICNNConfig | None = None,
    batch_size: int = 8,
    cache_root: str | Path | None = None,
) -> MaskExample:
    """The masks and variants the runner makes for ``record``, with ``partner``'s map as the
    shuffled source (maps from the shared cache, computed if absent)."""
    grid = grid or Grid()
    items = [item_name(record), item_name(partner)]
    maps = image_maps(
        model, [record, partner], items, config, batch_size, cache_root, progress=False
    )
    computer = _Computer(
        model, grid, {items[0]: record}, maps.entries, {items[0]: items[1]}, batch_size
    )
    crop, masks = computer.masks_of(items[0])
    return MaskExample(record, crop, masks, blurred_variants(crop, masks, grid))


def run_mask_area(
    model: LoadedModel,
    dataset: Dataset,
    grid: Grid | None = None,
    n_images: int | None = None,
    seed: int = 0,
    config: LICNNConfig | None = None,
    batch_size: int = 8,
    classify_batch: int = 32,
    cache_root: str | Path | None = None,
    progress: bool | None = None,
) -> MaskAreaResults:
    """The mask-area experiment on ``n_images`` of ``dataset`` (:func:`subset`; all by default).

    The shuffled masks pair each image with the next of the chosen images in the seeded
    order; the pairing is stored with each entry and an entry made with another partner is
    recomputed.
    """
    if progress is None:
        progress = not os.environ.get("TQDM_DISABLE")
    grid = grid or Grid()
    config = config or LICNNConfig()
    records = subset(list(dataset.records), n_images, seed)
    items = [item_name(r) for r in records]
    if len(set(items)) != len(items):
        raise ValueError(f"{dataset.name}: two records share an image file")
    start = time.perf_counter()
    maps = image_maps(model, records, items, config, batch_size, cache_root, progress, dataset.name)
    good = [i for i in items if "error" not in maps.entries[i]]
    if len(good) < 2:
        raise ValueError(f"{dataset.name}: need at least two readable images, got {len(good)}")
    # Each image's shuffled mask is the next image's map in the seeded order (the last takes
    # the first's), so a grown run changes only one pairing.
    partner = dict(zip(good, [*good[1:], good[0]], strict=True))
    # The shuffled pairing depends on the data set, so each data set has its own entries
    # (the ImageNet-A proxy's images are also natural images, with other partners there).
    key = {
        "version": CACHE_VERSION,
        "dataset": dataset.name,
        "maps": maps_key(model, config),
        "grid": grid.as_dict(),
        "blob": "gaussian-smoothed noise, smoothness 0.12, seed crc32(item)",
        "blur": "PIL.ImageFilter.GaussianBlur",
    }
    cache = ResultCache(CACHE_EXPERIMENT, key, root=cache_root)
    by_item = {i: r for i, r in zip(items, records, strict=True) if i in good}
    for item in good:  # an entry made with another partner is stale
        got = cache.get(item) if item in cache else None
        if got is not None and str(got["partner"]) != partner[item]:
            cache.path(item).unlink()
    computer = _Computer(model, grid, by_item, maps.entries, partner, classify_batch)
    entries = cache.map(
        good, computer, batch_size=1, desc=f"{dataset.name} masks", progress=progress
    )
    names = [variant_name(*v) for v in grid.variants()]
    stacked = np.stack([entries[i]["logits"].astype(np.float32) for i in good])
    areas = np.stack([entries[i]["areas"] for i in good])
    return MaskAreaResults(
        model=model.name,
        dataset=dataset.name,
        grid=grid,
        items=tuple(good),
        records=tuple(by_item[i] for i in good),
        labels=np.array([int(maps.entries[i]["label"]) for i in good], dtype=np.int64),
        original=np.stack([maps.entries[i]["logits"] for i in good]),
        logits={n: stacked[:, k] for k, n in enumerate(names)},
        areas={m: areas[:, k] for k, m in enumerate(grid.masks())},
        class_indices=dataset.class_indices,
        n_computed=len(computer.computed),
        seconds=time.perf_counter() - start,
    )
