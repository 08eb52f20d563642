"""The blur experiment's runner: maps, masks and variants of every image, classified in
batches and cached per image (:class:`licnn.cache.ResultCache`).
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
from PIL import Image

from licnn.cache import ResultCache
from licnn.core.config import LICNNConfig
from licnn.data.datasets import Dataset, Record
from licnn.errors import ImageError
from licnn.experiments.blur.maps import image_maps, maps_key
from licnn.experiments.blur.results import BlurResults
from licnn.experiments.blur.statistics import variant_names
from licnn.experiments.blur.variants import image_variants
from licnn.imaging.blur import RADII, salient_mask
from licnn.imaging.images import load_image
from licnn.models import LoadedModel

#: Cache experiment name; bump :data:`CACHE_VERSION` when what an entry holds changes.
CACHE_EXPERIMENT = "blur-experiment"
CACHE_VERSION = 2


def load_adversarial(
    limit: int | None = None, root: str | Path | None = None
) -> tuple[Dataset, bool]:
    """ImageNet-A when it is present, else the ImageNet-A proxy; and whether it is the proxy."""
    from licnn.data import load_dataset
    from licnn.errors import DataError

    try:
        return load_dataset("imagenet-a", root, limit=limit), False
    except DataError:
        return load_dataset("imagenet-a-proxy", root, limit=limit), True


# --- the runner ---------------------------------------------------------------------------


def item_name(record: Record) -> str:
    """Cache item of an image: its path below the data root (the same for every dataset)."""
    from licnn.data.paths import data_root

    try:
        return record.path.resolve().relative_to(data_root().resolve()).as_posix()
    except ValueError:
        return "/".join(record.path.parts[-3:])


def cache_key(
    model: LoadedModel, config: LICNNConfig, radii: Sequence[int], erase_fill: tuple[int, ...]
) -> dict[str, Any]:
    """Everything a cache entry depends on (the dataset is not: entries are per image file).

    The model, its weights and sizes, the LICNN settings and top-k are in the maps' key
    (:func:`licnn.experiments.blur.maps.maps_key`), which the saliency maps come from.
    """
    return {
        "version": CACHE_VERSION,
        "maps": maps_key(model, config),
        "mask_rule": "map > (max - min) / 5",
        "radii": list(radii),
        "variants": list(variant_names(radii)),
        "erase_fill": list(erase_fill),
        "blur": "PIL.ImageFilter.GaussianBlur",
    }


def _classify(model: LoadedModel, batch: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Logits (float32, on the CPU) of a batch of normalised images, in chunks."""
    module = model.module.eval()
    parts = []
    with torch.inference_mode():
        for start in range(0, batch.shape[0], batch_size):
            chunk = batch[start : start + batch_size].to(model.device)
            parts.append(module(chunk).float().cpu())
    return torch.cat(parts)


@dataclass
class _Computer:
    """Computes the cache entries of a chunk of images (the ``compute`` of ResultCache.map).

    The saliency maps come from :func:`licnn.experiments.blur.maps.image_maps` (``maps``),
    which every blur experiment shares, so LICNN runs once per image.
    """

    model: LoadedModel
    maps: Mapping[str, Mapping[str, np.ndarray]]
    records: Mapping[str, Record]
    radii: Sequence[int]
    erase_fill: tuple[int, int, int]
    classify_batch: int
    computed: list[str] = field(default_factory=list)

    def __call__(self, items: list[str]) -> list[Mapping[str, Any]]:
        self.computed.extend(items)
        entries: dict[str, dict[str, Any]] = {}
        crops: dict[str, Image.Image] = {}
        for item in items:
            if "error" in self.maps[item]:
                entries[item] = {"error": np.asarray(self.maps[item]["error"])}
                continue
            try:
                crops[item] = self.model.crop(load_image(self.records[item].path))
            except ImageError as exc:
                entries[item] = {"error": np.array(str(exc))}
        if crops:
            entries.update(self._compute(crops))
        return [entries[item] for item in items]

    def _compute(self, crops: Mapping[str, Image.Image]) -> dict[str, dict[str, Any]]:
        names = list(crops)
        model = self.model
        saliency = [np.asarray(self.maps[n]["saliency"], dtype=np.float32) for n in names]
        masks = [salient_mask(s) for s in saliency]
        tensors = []
        for name, mask in zip(names, masks, strict=True):
            variants = image_variants(crops[name], mask, self.radii, self.erase_fill)
            tensors += [model.normalise(v) for v in variants.values()]
        n_variants = len(tensors) // len(names)
        scores = _classify(model, torch.stack(tensors), self.classify_batch)
        logits = scores.reshape(len(names), n_variants, -1).numpy()
        entries = {}
        for i, name in enumerate(names):
            label = self.records[name].label
            label = -1 if label is None else int(label)
            entry: dict[str, Any] = {
                "label": np.int64(label),
                "logits": logits[i].astype(np.float32),
                "mask_bits": np.packbits(masks[i]),
                "mask_shape": np.array(masks[i].shape, dtype=np.int64),
                "mask_share": np.float64(masks[i].mean()),
                "saliency_classes": np.asarray(self.maps[name]["saliency_classes"], np.int64),
                "saliency_probabilities": np.asarray(self.maps[name]["saliency_probabilities"]),
            }
            # The map itself (float16) only where the original is wrong at top-1 over the 1000
            # classes: the only images the background-influence analysis can pick.
            if int(logits[i, 0].argmax()) != label:
                entry["saliency"] = saliency[i].astype(np.float16)
            entries[name] = entry
        return entries


def run_blur_experiment(
    model: LoadedModel,
    dataset: Dataset,
    config: LICNNConfig | None = None,
    radii: Sequence[int] = RADII,
    limit: int | None = None,
    batch_size: int = 8,
    classify_batch: int = 16,
    erase_fill: tuple[int, int, int] = (0, 0, 0),
    cache_root: str | Path | None = None,
    progress: bool | None = None,
) -> BlurResults:
    """The blur experiment on the first ``limit`` images of ``dataset`` (all by default).

    Images already in the cache are read back; the others are computed ``batch_size`` at a
    time (mask from the shared LICNN saliency maps of
    :func:`licnn.experiments.blur.maps.image_maps`, variants, classification in chunks of
    ``classify_batch``) and stored as they finish, so a run stopped half-way resumes where it stopped. Files
    that cannot be read are skipped and listed in :attr:`BlurResults.skipped`. The progress
    bar shows unless ``progress`` is False, or None with ``TQDM_DISABLE`` set (as in the
    book's kernels).
    """
    if progress is None:
        progress = not os.environ.get("TQDM_DISABLE")
    config = config or LICNNConfig()
    radii = tuple(radii)
    records = list(dataset.records[:limit] if limit is not None else dataset.records)
    by_item = {item_name(r): r for r in records}
    if len(by_item) != len(records):
        raise ValueError(f"{dataset.name}: two records share an image file")
    cache = ResultCache(
        CACHE_EXPERIMENT, cache_key(model, config, radii, erase_fill), root=cache_root
    )
    start = time.perf_counter()
    todo = [item for item in by_item if item not in cache]
    maps = image_maps(
        model,
        [by_item[i] for i in todo],
        todo,
        config,
        batch_size,
        cache_root,
        progress,
        f"{dataset.name} maps",
    )
    computer = _Computer(model, maps.entries, by_item, radii, erase_fill, classify_batch)
    entries = cache.map(
        by_item, computer, batch_size=batch_size, desc=dataset.name, progress=progress
    )
    seconds = time.perf_counter() - start
    good = [item for item in by_item if "error" not in entries[item]]
    skipped = [(by_item[i].key, str(entries[i]["error"])) for i in by_item if i not in good]
    if not good:
        raise ValueError(f"{dataset.name}: no image could be read")
    return BlurResults(
        dataset=dataset.name,
        records=tuple(by_item[i] for i in good),
        items=tuple(good),
        variants=variant_names(radii),
        labels=np.array([int(entries[i]["label"]) for i in good], dtype=np.int64),
        logits=np.stack([entries[i]["logits"] for i in good]),
        mask_share=np.array([float(entries[i]["mask_share"]) for i in good]),
        saliency_classes=np.stack([entries[i]["saliency_classes"] for i in good]),
        class_indices=dataset.class_indices,
        cache=cache,
        skipped=skipped,
        n_computed=len(computer.computed),
        seconds=seconds,
    )
