"""The seed's blur experiment (section 4.1): classify each image with its background or its
salient object blurred, and compare the accuracies with the original's.

Two parts, kept apart:

- **statistics** (pure functions of boolean arrays): :func:`accuracy_ci`,
  :func:`compare_variants`, :func:`summarise_hits`, :func:`share_summary`,
  :func:`curve_series`;
- **runner**: :func:`run_blur_experiment` makes the LICNN top-5 saliency map of every image
  once (on the 224 x 224 crop the network sees), derives the seed code's binary mask, builds
  every image variant (:data:`VARIANTS`), classifies them in batches and stores each image's
  results in a :class:`licnn.cache.ResultCache`, so an interrupted run resumes where it
  stopped and a finished one is only read back. The results come back as
  :class:`BlurResults`, whose :meth:`BlurResults.summary` applies the statistics.

Each image's cache entry holds the logits of every variant over all 1000 classes, so the
same entry serves 1000-class accuracy and the 200-class accuracy of ImageNet-A (and its
proxy, whose images are drawn from the natural sets): the entry is named after the image
file, not after the dataset. The saliency map is always the model's own top-5 over the 1000
classes; only the scoring is restricted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn.attention import LICNN
from licnn.blur import RADII, blur_variants, erase_background, salient_mask
from licnn.cache import ResultCache
from licnn.config import LICNNConfig
from licnn.data.datasets import Dataset, Record
from licnn.errors import ImageError
from licnn.evaluate import topk_hits
from licnn.experiments.blur.maps import image_maps, maps_key
from licnn.images import load_image
from licnn.models import LoadedModel
from licnn.stats import mcnemar, mean_ci, proportion_ci

#: Name of the extra variant: the background set to black, as in the seed author's code.
ERASED = "background_erased"

#: Cache experiment name; bump :data:`CACHE_VERSION` when what an entry holds changes.
CACHE_EXPERIMENT = "blur-experiment"
CACHE_VERSION = 2

#: Saliency maps are the sum of this many top classes' attention maps (the seed's top-5).
TOP_K = 5


def variant_names(radii: Sequence[int] = RADII, erase: bool = True) -> tuple[str, ...]:
    """Variant names in order: original, background_r*, object_r*, then the erased background."""
    names = ["original"]
    names += [f"background_r{r:g}" for r in radii]
    names += [f"object_r{r:g}" for r in radii]
    if erase:
        names.append(ERASED)
    return tuple(names)


#: The variants of the report: original, background and object blur at r = 2, 5, 10, erase.
VARIANTS: tuple[str, ...] = variant_names()


# --- statistics (pure) --------------------------------------------------------------------


def accuracy_ci(correct: ArrayLike, confidence: float = 0.95) -> dict[str, Any]:
    """Accuracy of a boolean array with its Wilson interval: keys accuracy, correct, n, ci."""
    flags = np.asarray(correct, dtype=bool).ravel()
    n = int(flags.size)
    k = int(flags.sum())
    low, high = proportion_ci(k, n, confidence)
    return {
        "accuracy": k / n if n else float("nan"),
        "correct": k,
        "n": n,
        "ci": [low, high],
    }


def compare_variants(
    correct: ArrayLike, variants: Sequence[str], reference: str = "original"
) -> dict[str, dict[str, Any]]:
    """Per variant: :func:`accuracy_ci`, plus McNemar's paired test against ``reference``.

    ``correct`` is an ``N x V`` boolean array (images x variants, in the order of
    ``variants``). The reference's own entry has ``mcnemar`` set to None.
    """
    flags = np.asarray(correct, dtype=bool)
    if flags.ndim != 2 or flags.shape[1] != len(variants):
        raise ValueError(
            f"correct must be N x {len(variants)} (one column per variant), got {flags.shape}"
        )
    if reference not in variants:
        raise ValueError(f"reference {reference!r} is not one of the variants")
    base = flags[:, list(variants).index(reference)]
    table = {}
    for column, name in enumerate(variants):
        entry = accuracy_ci(flags[:, column])
        entry["mcnemar"] = None if name == reference else mcnemar(base, flags[:, column])
        table[name] = entry
    return table


def summarise_hits(hits: ArrayLike, variants: Sequence[str]) -> dict[str, Any]:
    """Top-1 and top-5 tables (:func:`compare_variants`) from an ``N x V x 2`` hit array."""
    flags = np.asarray(hits, dtype=bool)
    if flags.ndim != 3 or flags.shape[2] != 2:
        raise ValueError(f"hits must be N x V x 2 (top-1, top-5), got shape {flags.shape}")
    return {
        "n_images": int(flags.shape[0]),
        "top1": compare_variants(flags[:, :, 0], variants),
        "top5": compare_variants(flags[:, :, 1], variants),
    }


def share_summary(shares: ArrayLike, bins: int = 10) -> dict[str, Any]:
    """Mean (bootstrap 95% interval), median, quartiles, range and histogram of shares in [0, 1]."""
    values = np.asarray(shares, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("need at least one share")
    if np.any((values < 0) | (values > 1)):
        raise ValueError("shares must lie in [0, 1]")
    mean = mean_ci(values)
    counts, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
    return {
        "mean": mean["mean"],
        "ci": [mean["low"], mean["high"]],
        "median": float(median),
        "quartiles": [float(q1), float(q3)],
        "min": float(values.min()),
        "max": float(values.max()),
        "n": int(values.size),
        "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
    }


def curve_series(
    table: Mapping[str, Mapping[str, Any]], kind: str, radii: Sequence[int] = RADII
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(accuracy, low, high) at r = 0 (the original), then each radius, for one blur kind.

    ``table`` is one of :func:`compare_variants`'s tables; ``kind`` is ``'background'`` or
    ``'object'``. The arrays feed :func:`licnn.plots.plot_curves`.
    """
    if kind not in ("background", "object"):
        raise ValueError(f"kind must be 'background' or 'object', got {kind!r}")
    names = ["original", *(f"{kind}_r{r:g}" for r in radii)]
    rows = [table[name] for name in names]
    return (
        np.array([row["accuracy"] for row in rows], dtype=np.float64),
        np.array([row["ci"][0] for row in rows], dtype=np.float64),
        np.array([row["ci"][1] for row in rows], dtype=np.float64),
    )


def format_table(summary: Mapping[str, Any]) -> str:
    """A fixed-width text table of a summary: accuracy [95% CI] and McNemar p per variant."""
    lines = [
        f"{'variant':<19} {'top-1 [95% CI]':<22} {'p':>8}   {'top-5 [95% CI]':<22} {'p':>8}",
    ]
    for name in summary["top1"]:
        cells = []
        for metric in ("top1", "top5"):
            row = summary[metric][name]
            low, high = row["ci"]
            test = row["mcnemar"]
            p = "-" if test is None else _format_p(test["p_value"])
            cells.append(f"{row['accuracy']:.3f} [{low:.3f}, {high:.3f}]   {p:>8}")
        lines.append(f"{name:<19} {cells[0]}   {cells[1]}")
    return "\n".join(lines)


def describe_changes(summary: Mapping[str, Any], radius: int = 10) -> str:
    """Sentences comparing background and object blur at ``radius`` with the original."""
    lines = []
    for metric, label in (("top1", "top-1"), ("top5", "top-5")):
        table = summary[metric]
        base = table["original"]["accuracy"]
        parts = [f"{label}: original {base:.3f}"]
        for kind in ("background", "object"):
            row = table[f"{kind}_r{radius:g}"]
            share = row["accuracy"] / base if base else float("nan")
            parts.append(
                f"{kind} blurred (r={radius:g}) {row['accuracy']:.3f} "
                f"({row['accuracy'] - base:+.3f}, {share:.0%} of the original, "
                f"McNemar p={_format_p(row['mcnemar']['p_value'])})"
            )
        lines.append("; ".join(parts))
    return "\n".join(lines)


def _format_p(p: float) -> str:
    return f"{p:.1e}" if p < 1e-3 else f"{p:.3f}"


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


# --- one image: map, mask and variants ----------------------------------------------------


def image_variants(
    crop: Image.Image,
    mask: ArrayLike,
    radii: Sequence[int] = RADII,
    erase_fill: tuple[int, int, int] = (0, 0, 0),
) -> dict[str, Image.Image]:
    """Every variant of :func:`variant_names` for a crop and its mask (erase: black background)."""
    variants = blur_variants(crop, mask, radii)
    variants[ERASED] = erase_background(crop, mask, erase_fill)
    return variants


@dataclass
class Example:
    """One image of the experiment: its crop, saliency map, mask and variants."""

    record: Record
    crop: Image.Image
    saliency: NDArray[np.float32]
    mask: NDArray[np.bool_]
    classes: list[int]
    variants: dict[str, Image.Image]


def make_example(
    model: LoadedModel,
    record: Record,
    config: LICNNConfig | None = None,
    radii: Sequence[int] = RADII,
) -> Example:
    """Crop, top-5 saliency map, mask and variants of one image (for figures)."""
    crop = model.crop(load_image(record.path))
    explainer = LICNN(model, config, batch_size=TOP_K)
    result = explainer.explain(model.normalise(crop)[None].to(model.device), top_k=TOP_K)
    saliency = result.saliency[0].float().cpu().numpy()
    mask = salient_mask(saliency)
    return Example(
        record,
        crop,
        saliency,
        mask,
        result.classes[0].tolist(),
        image_variants(crop, mask, radii),
    )


def mask_shares(
    model: LoadedModel,
    records: Sequence[Record],
    config: LICNNConfig | None = None,
    batch_size: int = 8,
) -> NDArray[np.float64]:
    """Share of each crop inside the salient mask of its top-5 saliency map (nothing cached).

    For comparing LICNN settings cheaply: the mask alone, without blurring or classifying.
    """
    x = torch.stack([model.preprocess(load_image(r.path)) for r in records]).to(model.device)
    saliency = LICNN(model, config, batch_size=batch_size).saliency(x, top_k=TOP_K)
    return np.array([salient_mask(s).mean() for s in saliency.float().cpu().numpy()])


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
    """Everything a cache entry depends on (the dataset is not: entries are per image file)."""
    return {
        "version": CACHE_VERSION,
        "maps": maps_key(model, config),
        "model": model.name,
        "weights_sha256": model.weights_sha256,
        "input_size": model.input_size,
        "resize_size": model.resize_size,
        "licnn": config.as_dict(),
        "top_k": TOP_K,
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


@dataclass
class BlurResults:
    """The blur experiment's per-image results on one dataset (or a pool of datasets).

    ``logits`` is ``N x V x C`` (images x :attr:`variants` x all classes); accuracy is over
    ``class_indices`` when given (the 200 ImageNet-A classes), else over all classes.
    """

    dataset: str
    records: tuple[Record, ...]
    items: tuple[str, ...]
    variants: tuple[str, ...]
    labels: NDArray[np.int64]
    logits: NDArray[np.float32]
    mask_share: NDArray[np.float64]
    saliency_classes: NDArray[np.int64]
    class_indices: tuple[int, ...] | None
    cache: ResultCache
    skipped: list[tuple[str, str]] = field(default_factory=list)
    n_computed: int = 0
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.records)

    @property
    def n_classes(self) -> int:
        """Number of classes accuracy is computed over."""
        return len(self.class_indices) if self.class_indices else self.logits.shape[2]

    def hits(self) -> NDArray[np.bool_]:
        """``N x V x 2`` booleans: the label in the top 1 / top 5 (over the evaluated classes)."""
        n, v, c = self.logits.shape
        flat = torch.from_numpy(self.logits.reshape(n * v, c))
        labels = torch.from_numpy(np.repeat(self.labels, v))
        return topk_hits(flat, labels, (1, 5), self.class_indices).numpy().reshape(n, v, 2)

    def ranked(self, k: int = 5) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Top-``k`` classes (ImageNet indices) and their softmax probabilities, ``N x V x k``.

        Both are over the evaluated classes: for the 200-class sets the softmax is taken
        over those 200 logits.
        """
        logits, index = self._evaluated_logits()
        probs = torch.softmax(torch.from_numpy(logits).double(), dim=-1)
        top = probs.topk(k, dim=-1)
        return index[top.indices.numpy()], top.values.numpy()

    def label_probability(self) -> NDArray[np.float64]:
        """``N x V`` softmax probability of the true class (over the evaluated classes)."""
        logits, index = self._evaluated_logits()
        probs = torch.softmax(torch.from_numpy(logits).double(), dim=-1).numpy()
        position = {int(c): i for i, c in enumerate(index)}
        out = np.zeros(probs.shape[:2])
        for row, label in enumerate(self.labels):
            if int(label) in position:
                out[row] = probs[row, :, position[int(label)]]
        return out

    def least_likely(self, variant: int = 0) -> NDArray[np.int64]:
        """Per image, the evaluated class with the lowest logit for one variant (a control class)."""
        logits, index = self._evaluated_logits()
        return index[logits[:, variant].argmin(axis=-1)]

    def _evaluated_logits(self) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        if self.class_indices is None:
            return self.logits, np.arange(self.logits.shape[2])
        index = np.asarray(self.class_indices, dtype=np.int64)
        return self.logits[:, :, index], index

    def _entry(self, i: int) -> dict[str, np.ndarray]:
        entry = self.cache.get(self.items[i])
        if entry is None:
            raise KeyError(f"{self.items[i]} is not in the cache {self.cache.folder}")
        return entry

    def mask(self, i: int) -> NDArray[np.bool_]:
        """The salient mask of image ``i`` (the one its variants were made with)."""
        entry = self._entry(i)
        shape = tuple(int(s) for s in entry["mask_shape"])
        bits = np.unpackbits(entry["mask_bits"], count=int(np.prod(shape)))
        return bits.reshape(shape).astype(bool)

    def saliency(self, i: int) -> NDArray[np.float32] | None:
        """The stored saliency map of image ``i`` (kept only where the original is wrong)."""
        entry = self._entry(i)
        return entry["saliency"].astype(np.float32) if "saliency" in entry else None

    def select(self, indices: ArrayLike, dataset: str | None = None) -> BlurResults:
        """The results of some images only (a subset of a pool, say)."""
        rows = np.asarray(indices, dtype=np.int64).ravel()
        return replace(
            self,
            dataset=dataset or self.dataset,
            records=tuple(self.records[i] for i in rows),
            items=tuple(self.items[i] for i in rows),
            labels=self.labels[rows],
            logits=self.logits[rows],
            mask_share=self.mask_share[rows],
            saliency_classes=self.saliency_classes[rows],
            skipped=[],
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready: dataset, n_images, classes, top1/top5 tables, mask share, skipped files."""
        summary = {"dataset": self.dataset, "classes": self.n_classes}
        summary.update(summarise_hits(self.hits(), self.variants))
        summary["mask_share"] = share_summary(self.mask_share)
        summary["n_skipped"] = len(self.skipped)
        return summary


def pool(results: Sequence[BlurResults], dataset: str) -> BlurResults:
    """Several datasets' results as one (they must share variants, classes and cache)."""
    if not results:
        raise ValueError("nothing to pool")
    first = results[0]
    for other in results[1:]:
        if other.variants != first.variants or other.class_indices != first.class_indices:
            raise ValueError("can only pool results with the same variants and classes")
        if getattr(other.cache, "folder", None) != getattr(first.cache, "folder", None):
            raise ValueError("can only pool results from the same cache")
    return replace(
        first,
        dataset=dataset,
        records=tuple(r for res in results for r in res.records),
        items=tuple(i for res in results for i in res.items),
        labels=np.concatenate([res.labels for res in results]),
        logits=np.concatenate([res.logits for res in results]),
        mask_share=np.concatenate([res.mask_share for res in results]),
        saliency_classes=np.concatenate([res.saliency_classes for res in results]),
        skipped=[s for res in results for s in res.skipped],
        n_computed=sum(res.n_computed for res in results),
        seconds=sum(res.seconds for res in results),
    )


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
