"""Per-image maps of the blur experiments, computed once and cached.

Every blur experiment needs, per image, the model's LICNN top-5 saliency map on the crop the
network sees, its logits on that crop, and (for the controls) the Grad-CAM map of its
predicted class. :func:`image_maps` computes the three in one pass per batch and keeps them in
a :class:`licnn.cache.ResultCache` (one ``.npz`` per image file), so the seed's blur
experiment, the mask-area experiment and the background-influence analysis share one LICNN
pass per image, and an interrupted run resumes.
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

from licnn.cache import ResultCache
from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.data.datasets import Record
from licnn.errors import ImageError
from licnn.imaging.images import load_image
from licnn.methods import make_method
from licnn.models import LoadedModel

#: Cache experiment name; bump :data:`MAPS_VERSION` when what an entry holds changes.
MAPS_EXPERIMENT = "blur-maps"
MAPS_VERSION = 1

#: The saliency map is the sum of this many top classes' attention maps (the seed's top-5).
TOP_K = 5


def maps_key(model: LoadedModel, config: LICNNConfig) -> dict[str, Any]:
    """Everything a maps entry depends on (not the dataset: entries are per image file)."""
    return {
        "version": MAPS_VERSION,
        "model": model.name,
        "weights_sha256": model.weights_sha256,
        "input_size": model.input_size,
        "resize_size": model.resize_size,
        "licnn": config.as_dict(),
        "top_k": TOP_K,
        "grad_cam": "captum LayerGradCam, predicted class (1000), relu, bilinear",
    }


def maps_cache(
    model: LoadedModel, config: LICNNConfig | None = None, root: str | Path | None = None
) -> ResultCache:
    """The cache of :func:`image_maps` for one model and LICNN configuration."""
    return ResultCache(MAPS_EXPERIMENT, maps_key(model, config or LICNNConfig()), root=root)


@dataclass
class _MapComputer:
    model: LoadedModel
    explainer: LICNN
    records: Mapping[str, Record]
    computed: list[str] = field(default_factory=list)

    def __call__(self, items: list[str]) -> list[dict[str, Any]]:
        self.computed.extend(items)
        entries: dict[str, dict[str, Any]] = {}
        tensors = {}
        for item in items:
            try:
                tensors[item] = self.model.preprocess(load_image(self.records[item].path))
            except ImageError as exc:
                entries[item] = {"error": np.array(str(exc))}
        if tensors:
            names = list(tensors)
            x = torch.stack([tensors[n] for n in names]).to(self.model.device)
            result = self.explainer.explain(x, top_k=TOP_K)
            saliency = result.saliency.float().cpu().numpy()
            logits = result.logits.float().cpu()
            predicted = logits.argmax(dim=1)
            cam_maps = make_method("grad_cam", self.model).attribute(x, predicted.to(x.device))
            cam = cam_maps.detach().float().cpu().numpy()
            for i, name in enumerate(names):
                label = self.records[name].label
                entries[name] = {
                    "label": np.int64(-1 if label is None else int(label)),
                    "logits": logits[i].numpy().astype(np.float32),
                    "saliency": saliency[i].astype(np.float32),
                    "saliency_classes": result.classes[i].cpu().numpy().astype(np.int64),
                    "saliency_probabilities": result.probabilities[i].float().cpu().numpy(),
                    "grad_cam": cam[i].astype(np.float32),
                    "grad_cam_class": np.int64(predicted[i]),
                }
        return [entries[item] for item in items]


@dataclass
class MapsRun:
    """The maps of some images (by cache item), how many were computed and how long it took."""

    entries: dict[str, dict[str, np.ndarray]]
    n_computed: int
    seconds: float


def image_maps(
    model: LoadedModel,
    records: Sequence[Record],
    items: Sequence[str],
    config: LICNNConfig | None = None,
    batch_size: int = 8,
    cache_root: str | Path | None = None,
    progress: bool | None = None,
    desc: str | None = None,
) -> MapsRun:
    """LICNN saliency, logits and Grad-CAM of every image (cached per image file).

    ``items`` are the cache item names of ``records`` (one each, e.g.
    :func:`licnn.experiments.blur.protocol.item_name`). Unreadable images get an entry with an
    ``error`` field and are not cached.
    """
    if len(items) != len(records):
        raise ValueError(f"need one item name per record, got {len(items)} and {len(records)}")
    if progress is None:
        progress = not os.environ.get("TQDM_DISABLE")
    config = config or LICNNConfig()
    cache = maps_cache(model, config, cache_root)
    by_item = dict(zip(items, records, strict=True))
    computer = _MapComputer(model, LICNN(model, config, batch_size=batch_size), by_item)
    start = time.perf_counter()
    todo = [i for i in by_item if i not in cache]
    entries: dict[str, dict[str, np.ndarray]] = {}
    # Errors are returned, not stored: ResultCache.map would store them, so do it by hand.
    from tqdm import tqdm

    bar = tqdm(
        total=len(by_item), initial=len(by_item) - len(todo), desc=desc, disable=not progress
    )
    for begin in range(0, len(todo), batch_size):
        chunk = todo[begin : begin + batch_size]
        for item, values in zip(chunk, computer(chunk), strict=True):
            if "error" in values:
                entries[item] = {k: np.asarray(v) for k, v in values.items()}
            else:
                cache.put(item, values)
        bar.update(len(chunk))
    bar.close()
    for item in by_item:
        if item not in entries:
            got = cache.get(item)
            if got is None:
                raise KeyError(f"{item} missing from {cache.folder}")
            entries[item] = got
    return MapsRun(entries, len(computer.computed), time.perf_counter() - start)
