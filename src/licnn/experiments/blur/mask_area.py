"""Blur experiments under controls: accuracy against mask area, for several mask sources.

The seed's blur experiment (:mod:`licnn.experiments.blur.protocol`) blurs inside or outside one mask
per image, the LICNN saliency map thresholded at a fifth of its range, which covers about
three quarters of the crop. Whether what it measures is LICNN's or the mask's size needs
masks of controlled area and masks that know nothing of the image. Here, per image, masks of
each share ``q`` of the crop (:data:`licnn.imaging.masks.AREAS`), plus the seed threshold's own
area (``"seed"``), come from these sources (:data:`SOURCES`):

- ``licnn``: the top-``q`` pixels of the LICNN top-5 saliency map (at ``"seed"``: the seed's
  threshold mask itself);
- ``grad_cam``: the top-``q`` pixels of Grad-CAM of the predicted class;
- ``disc``: a centred disc of the same area;
- ``shuffled``: the LICNN map of another image of the same data set (a seeded derangement);
- ``blob``: a seeded random blob (smoothed noise) of the same area;
- ``boxes``: the union of the ground-truth boxes, at its own area (where boxes exist).

At ``"seed"`` every control takes, image by image, the area of that image's seed mask, so
all sources are compared at equal area. Each image's logits for every (source, area, blur
kind, radius) are cached per image (:class:`licnn.cache.ResultCache`), so runs resume;
the maps come from :func:`licnn.experiments.blur.maps.image_maps`.
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
from PIL import Image, ImageFilter
from scipy import stats

from licnn.cache import ResultCache
from licnn.core.config import LICNNConfig
from licnn.data.datasets import Dataset, Record
from licnn.errors import ImageError
from licnn.experiments.blur.maps import image_maps, maps_key
from licnn.experiments.blur.runner import _classify, item_name
from licnn.experiments.evaluate import topk_hits
from licnn.imaging import masks as mk
from licnn.imaging.images import load_image
from licnn.metrics.stats import proportion_ci
from licnn.models import LoadedModel

#: Mask sources, in the order of the report's tables and legends.
SOURCES: tuple[str, ...] = ("licnn", "grad_cam", "disc", "shuffled", "blob", "boxes")

#: Legend labels of the sources.
SOURCE_LABELS: dict[str, str] = {
    "licnn": "LICNN saliency",
    "grad_cam": "Grad-CAM (predicted class)",
    "disc": "centred disc",
    "shuffled": "LICNN map of another image",
    "blob": "random blob",
    "boxes": "ground-truth boxes",
}

#: The area point of the seed threshold (its own area, per image).
SEED = "seed"

CACHE_EXPERIMENT = "blur-mask-area"
CACHE_VERSION = 1


def area_label(q: float | str) -> str:
    """``'q0.3'`` for a share, ``'seed'`` for the seed threshold, ``'own'`` for the boxes."""
    return q if isinstance(q, str) else f"q{q:g}"


@dataclass(frozen=True)
class Grid:
    """Which masks are blurred at which radii: ``radii[source]`` and the area points."""

    areas: tuple[float, ...] = mk.AREAS
    radii: Mapping[str, tuple[int, ...]] = field(
        default_factory=lambda: {
            "licnn": (5, 10),
            "grad_cam": (10,),
            "disc": (5, 10),
            "shuffled": (10,),
            "blob": (10,),
            "boxes": (10,),
        }
    )

    def __post_init__(self) -> None:
        unknown = set(self.radii) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown mask sources {sorted(unknown)}; choose from {SOURCES}")
        for q in self.areas:
            if not 0 < q < 1:
                raise ValueError(f"mask areas must lie in (0, 1), got {q}")

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(s for s in SOURCES if s in self.radii)

    def points(self, source: str) -> tuple[str, ...]:
        """Area points of a source: every share and the seed's, or the boxes' own area."""
        if source == "boxes":
            return ("own",)
        return (*(area_label(q) for q in self.areas), SEED)

    def masks(self) -> tuple[tuple[str, str], ...]:
        """Every (source, area point) in order."""
        return tuple((s, a) for s in self.sources for a in self.points(s))

    def variants(self) -> tuple[tuple[str, str, str, int], ...]:
        """Every (source, area point, kind, radius); kind is ``background`` or ``object``."""
        return tuple(
            (s, a, kind, r)
            for s, a in self.masks()
            for r in self.radii[s]
            for kind in ("background", "object")
        )

    def as_dict(self) -> dict[str, Any]:
        return {"areas": list(self.areas), "radii": {k: list(v) for k, v in self.radii.items()}}


def variant_name(source: str, point: str, kind: str, radius: int) -> str:
    return f"{source}/{point}/{kind}_r{radius:g}"


# --- masks of one image --------------------------------------------------------------------


def image_masks(
    grid: Grid,
    saliency: ArrayLike,
    grad_cam: ArrayLike,
    partner_saliency: ArrayLike,
    seed: int,
    boxes: ArrayLike | None = None,
) -> dict[tuple[str, str], NDArray[np.bool_]]:
    """Every (source, area point) mask of one image, from its maps and its partner's.

    ``boxes`` are in crop pixels (:func:`licnn.imaging.masks.crop_boxes`); without boxes (or
    with none) the ``boxes`` source is left out.
    """
    sal = np.asarray(saliency, dtype=np.float64)
    shape = sal.shape
    seed_mask = mk.threshold_mask(sal)
    seed_area = float(seed_mask.mean())
    maps = {
        "licnn": sal,
        "grad_cam": np.asarray(grad_cam),
        "shuffled": np.asarray(partner_saliency),
    }
    out: dict[tuple[str, str], NDArray[np.bool_]] = {}
    for source, point in grid.masks():
        if source == "boxes":
            if boxes is not None and np.asarray(boxes).size:
                out[(source, point)] = mk.box_mask(shape, boxes)
            continue
        if source == "licnn" and point == SEED:
            out[(source, point)] = seed_mask
            continue
        q = seed_area if point == SEED else float(point[1:])
        if source == "disc":
            out[(source, point)] = mk.disc_mask(shape, q)
        elif source == "blob":
            out[(source, point)] = mk.blob_mask(shape, q, seed)
        else:
            out[(source, point)] = mk.top_share_mask(maps[source], q)
    return out


def blurred_variants(
    crop: Image.Image,
    masks: Mapping[tuple[str, str], NDArray[np.bool_]],
    grid: Grid,
) -> dict[str, Image.Image]:
    """The crop with each mask's outside (background) or inside (object) blurred."""
    radii = sorted({r for s in grid.sources for r in grid.radii[s]})
    blurred = {r: crop.filter(ImageFilter.GaussianBlur(r)) for r in radii}
    out = {}
    for source, point, kind, r in grid.variants():
        if (source, point) not in masks:
            continue
        keep = Image.fromarray(masks[(source, point)].astype(np.uint8) * 255)
        if kind == "background":
            out[variant_name(source, point, kind, r)] = Image.composite(crop, blurred[r], keep)
        else:
            out[variant_name(source, point, kind, r)] = Image.composite(blurred[r], crop, keep)
    return out


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

    def _one(self, item: str) -> dict[str, Any]:
        record = self.records[item]
        try:
            image = load_image(record.path)
        except ImageError as exc:
            return {"error": np.array(str(exc))}
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


# --- statistics ----------------------------------------------------------------------------


def mcnemar_exact(a: ArrayLike, b: ArrayLike) -> dict[str, Any]:
    """Exact McNemar test (two-sided binomial test of the discordant pairs at 1/2)."""
    x = np.asarray(a, dtype=bool)
    y = np.asarray(b, dtype=bool)
    n01 = int(np.count_nonzero(x & ~y))
    n10 = int(np.count_nonzero(~x & y))
    p = 1.0 if n01 + n10 == 0 else float(stats.binomtest(n01, n01 + n10, 0.5).pvalue)
    return {"a_only": n01, "b_only": n10, "p_value": p}


def paired_difference(
    a: ArrayLike, b: ArrayLike, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Mean of ``b - a`` over paired 0/1 outcomes, with a percentile bootstrap interval and exact McNemar."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"need paired, non-empty arrays, got {x.size} and {y.size}")
    diff = y - x
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, diff.size, size=(n_resamples, diff.size))].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return {
        "difference": float(diff.mean()),
        "ci": [float(low), float(high)],
        "n": int(diff.size),
        "mcnemar": mcnemar_exact(x.astype(bool), y.astype(bool)),
    }


def summarise_mask_area(results: MaskAreaResults, reference: str = "licnn") -> dict[str, Any]:
    """JSON-ready: per source, area point, variant (kind_r): top1/top5 with intervals and tests.

    Each cell has the accuracy with its Wilson interval, the mean area of the masks, the
    paired difference from the original and, for the controls, from ``reference`` at the
    same area point, kind and radius (bootstrap interval, exact McNemar).
    """
    base, hits = results.hits()
    out: dict[str, Any] = {
        "model": results.model,
        "dataset": results.dataset,
        "n_images": len(results),
        "classes": len(results.class_indices) if results.class_indices else 1000,
        "original": {},
        "sources": {},
    }
    for m, metric in enumerate(("top1", "top5")):
        k = int(base[:, m].sum())
        out["original"][metric] = {
            "accuracy": k / len(results),
            "ci": list(proportion_ci(k, len(results))),
        }
    for source, point, kind, r in results.grid.variants():
        name = variant_name(source, point, kind, r)
        rows = results.present(name)
        if not rows.any():
            continue
        cell: dict[str, Any] = {
            "n": int(rows.sum()),
            "area": float(np.nanmean(results.areas[(source, point)][rows])),
        }
        for m, metric in enumerate(("top1", "top5")):
            got = hits[name][rows, m]
            k = int(got.sum())
            entry: dict[str, Any] = {
                "accuracy": k / got.size,
                "ci": list(proportion_ci(k, int(got.size))),
                "vs_original": paired_difference(base[rows, m], got),
            }
            ref = variant_name(reference, point, kind, r)
            if source != reference and ref in hits and point != "own":
                entry["vs_" + reference] = paired_difference(hits[ref][rows, m], got)
            cell[metric] = entry
        out["sources"].setdefault(source, {}).setdefault(point, {})[f"{kind}_r{r:g}"] = cell
    return out


def curve(summary: Mapping[str, Any], source: str, variant: str, metric: str) -> dict[str, NDArray]:
    """Mean area, accuracy and interval of a source's area points (without the seed's), by area."""
    points = [p for p in summary["sources"].get(source, {}) if p != SEED]
    cells = [
        summary["sources"][source][p][variant]
        for p in points
        if variant in summary["sources"][source][p]
    ]
    cells.sort(key=lambda c: c["area"])
    return {
        "area": np.array([c["area"] for c in cells]),
        "accuracy": np.array([c[metric]["accuracy"] for c in cells]),
        "low": np.array([c[metric]["ci"][0] for c in cells]),
        "high": np.array([c[metric]["ci"][1] for c in cells]),
    }


def rescued_rows(results: MaskAreaResults, variant: str, k: int = 5) -> NDArray[np.int64]:
    """Rows wrong at top-``k`` for the original and right for ``variant``."""
    if k not in (1, 5):
        raise ValueError(f"k must be 1 or 5, got {k}")
    base, hits = results.hits()
    m = 0 if k == 1 else 1
    return np.flatnonzero(~base[:, m] & hits[variant][:, m] & results.present(variant))


def predicted(results: MaskAreaResults) -> NDArray[np.int64]:
    """Top-1 class of each original image over the evaluated classes (ImageNet indices)."""
    logits = results.original
    if results.class_indices is None:
        return logits.argmax(axis=1)
    index = np.asarray(results.class_indices)
    return index[logits[:, index].argmax(axis=1)]


def rescue_table(
    results: MaskAreaResults, variants: Sequence[str]
) -> dict[str, dict[str, dict[str, int]]]:
    """Per variant and top-k: images it puts right (rescued) and wrong (lost) against the original."""
    base, hits = results.hits()
    table: dict[str, dict[str, dict[str, int]]] = {}
    for name in variants:
        rows = results.present(name)
        table[name] = {
            metric: {
                "rescued": int(np.count_nonzero(~base[rows, m] & hits[name][rows, m])),
                "lost": int(np.count_nonzero(base[rows, m] & ~hits[name][rows, m])),
                "n": int(rows.sum()),
            }
            for m, metric in enumerate(("top1", "top5"))
        }
    return table


def _fmt_diff(entry: Mapping[str, Any]) -> str:
    low, high = entry["ci"]
    p = entry["mcnemar"]["p_value"]
    return f"{entry['difference']:+.3f} [{low:+.3f}, {high:+.3f}], p={p:.2g}"


def comparison_lines(summary: Mapping[str, Any], reference: str = "licnn") -> str:
    """Text lines per variant and area: each source's accuracy, its change from the original,
    and for the controls the difference from ``reference`` at the same area (paired)."""
    lines = []
    for metric in ("top1", "top5"):
        base = summary["original"][metric]["accuracy"]
        lines.append(
            f"{metric.replace('top', 'top-')}: original {base:.3f} (n={summary['n_images']})"
        )
        for source, points in summary["sources"].items():
            for point, cells in points.items():
                for variant, cell in cells.items():
                    entry = cell[metric]
                    share = entry["accuracy"] / base if base else float("nan")
                    text = (
                        f"  {variant:<14} {source:<9} {point:<6} area {cell['area']:.2f}: "
                        f"{entry['accuracy']:.3f} ({share:.0%} of the original; "
                        f"vs original {_fmt_diff(entry['vs_original'])})"
                    )
                    if f"vs_{reference}" in entry:
                        text += f"; vs {reference} {_fmt_diff(entry['vs_' + reference])}"
                    lines.append(text)
    return "\n".join(lines)


# --- tables and the numbers the verdicts rest on --------------------------------------------


def _interval_text(entry: Mapping[str, Any]) -> str:
    low, high = entry["ci"]
    return f"{entry['difference']:+.3f} [{low:+.3f}, {high:+.3f}]"


def control_table(
    summary: Mapping[str, Any],
    variant: str,
    metric: str,
    points: Sequence[str] = ("q0.3", "q0.76", SEED),
    reference: str = "licnn",
) -> str:
    """Markdown table: per source and area point, accuracy (share of the original) and the
    paired difference from ``reference`` at the same area (95% bootstrap interval)."""
    from licnn.report.tables import format_table

    base = summary["original"][metric]["accuracy"]
    header = ["mask source"]
    for point in points:
        name = "seed threshold's area" if point == SEED else f"area {point[1:]}"
        header += [f"{name}: accuracy (share)", f"{name}: minus {SOURCE_LABELS[reference]}"]
    rows = []
    for source, cells in summary["sources"].items():
        if source == "boxes":
            continue
        row: list[Any] = [SOURCE_LABELS.get(source, source)]
        for point in points:
            cell = cells.get(point, {}).get(variant)
            if cell is None:
                row += ["-", "-"]
                continue
            entry = cell[metric]
            share = entry["accuracy"] / base if base else float("nan")
            row.append(f"{entry['accuracy']:.3f} ({share:.0%})")
            other = entry.get(f"vs_{reference}")
            row.append(_interval_text(other) if other else "-")
        rows.append(row)
    boxes = summary["sources"].get("boxes", {}).get("own", {}).get(variant)
    if boxes is not None:
        entry = boxes[metric]
        share = entry["accuracy"] / base if base else float("nan")
        text = f"{entry['accuracy']:.3f} ({share:.0%}) at area {boxes['area']:.2f}, n={boxes['n']}"
        rows.append([SOURCE_LABELS["boxes"], text, *["-"] * (2 * len(points) - 1)])
    return format_table(header, rows)


def key_numbers(summary: Mapping[str, Any], radius: int = 10) -> dict[str, Any]:
    """The numbers chapter 6's verdicts rest on, at ``radius``.

    ``object_top5_share_q0.3``: object-blur top-5 accuracy as a share of the original's, with
    the 0.3 masks of each source; ``background_top1_change_q0.76``: the paired change of
    top-1 accuracy from the original under background blur with the 0.76 masks (interval);
    ``*_minus_licnn``: each control's paired difference from LICNN at the same area.
    """
    out: dict[str, Any] = {"radius": radius, "n_images": summary["n_images"]}
    for name, point, kind, metric, field_name in (
        ("object_top5_share_q0.3", "q0.3", "object", "top5", "share"),
        ("background_top1_change_q0.76", "q0.76", "background", "top1", "change"),
        ("object_top5_share_seed", SEED, "object", "top5", "share"),
        ("background_top1_change_seed", SEED, "background", "top1", "change"),
    ):
        base = summary["original"][metric]["accuracy"]
        per_source: dict[str, Any] = {}
        for source, cells in summary["sources"].items():
            cell = cells.get(point, {}).get(f"{kind}_r{radius:g}")
            if cell is None:
                continue
            entry = cell[metric]
            value: dict[str, Any] = {"accuracy": entry["accuracy"], "area": cell["area"]}
            if field_name == "share":
                value["share"] = entry["accuracy"] / base if base else float("nan")
            else:
                value["change"] = entry["vs_original"]["difference"]
                value["change_ci"] = entry["vs_original"]["ci"]
            if "vs_licnn" in entry:
                value["minus_licnn"] = entry["vs_licnn"]["difference"]
                value["minus_licnn_ci"] = entry["vs_licnn"]["ci"]
                value["mcnemar_p"] = entry["vs_licnn"]["mcnemar"]["p_value"]
            per_source[source] = value
        out[name] = per_source
    return out


def key_lines(numbers: Mapping[str, Any]) -> str:
    """:func:`key_numbers` in words, one line per source and measure."""
    lines = [f"r={numbers['radius']}, n={numbers['n_images']}"]
    for name in (
        "object_top5_share_q0.3",
        "object_top5_share_seed",
        "background_top1_change_q0.76",
        "background_top1_change_seed",
    ):
        lines.append(name.replace("_", " ") + ":")
        for source, value in numbers.get(name, {}).items():
            if "share" in value:
                text = f"{value['share']:.0%} of the original ({value['accuracy']:.3f})"
            else:
                low, high = value["change_ci"]
                text = f"{value['change']:+.3f} [{low:+.3f}, {high:+.3f}]"
            if "minus_licnn" in value:
                low, high = value["minus_licnn_ci"]
                text += (
                    f"; minus LICNN {value['minus_licnn']:+.3f} [{low:+.3f}, {high:+.3f}]"
                    f", McNemar p={value['mcnemar_p']:.2g}"
                )
            lines.append(
                f"  {SOURCE_LABELS.get(source, source):<28} area {value['area']:.2f}: {text}"
            )
    return "\n".join(lines)


def rescue_markdown(
    table: Mapping[str, Mapping[str, Mapping[str, int]]], labels: Mapping[str, str] | None = None
) -> str:
    """Markdown table of :func:`rescue_table`: images put right and wrong, top-1 and top-5."""
    from licnn.report.tables import format_table

    header = ["background blur (r=10) with", "top-1 rescued", "top-1 lost", "top-5 rescued"]
    header += ["top-5 lost", "images"]
    rows = []
    for name, cells in table.items():
        label = (labels or {}).get(name, name)
        t1, t5 = cells["top1"], cells["top5"]
        rows.append([label, t1["rescued"], t1["lost"], t5["rescued"], t5["lost"], t1["n"]])
    return format_table(header, rows)
