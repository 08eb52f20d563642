"""Statistics of the mask-area results: paired tests, summaries, curves and rescues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from licnn.experiments.blur.mask_area.grid import SEED, variant_name
from licnn.experiments.blur.mask_area.runner import MaskAreaResults
from licnn.metrics.stats import bootstrap_ci, holm, mcnemar, proportion_ci

# --- statistics ----------------------------------------------------------------------------


def mcnemar_exact(a: ArrayLike, b: ArrayLike) -> dict[str, Any]:
    """Exact McNemar test (:func:`licnn.metrics.stats.mcnemar` with ``exact=True``): the
    images right only under ``a`` and only under ``b``, and the two-sided p-value."""
    test = mcnemar(a, b, exact=True)
    return {"a_only": test["b"], "b_only": test["c"], "p_value": test["p_value"]}


def paired_difference(
    a: ArrayLike, b: ArrayLike, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """Mean of ``b - a`` over paired 0/1 outcomes, with its percentile bootstrap interval
    (:func:`licnn.metrics.stats.bootstrap_ci`) and the exact McNemar test."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"need paired, non-empty arrays, got {x.size} and {y.size}")
    diff = y - x
    low, high = bootstrap_ci(diff, confidence, n_resamples, seed)
    return {
        "difference": float(diff.mean()),
        "ci": [low, high],
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
    _adjust_holm(out, "vs_" + reference)
    return out


def _adjust_holm(summary: dict[str, Any], key: str) -> None:
    """Add ``holm_p`` to every ``key`` comparison (each control minus the reference).

    The family is one blur variant (kind and radius) and one metric: every control at every
    area point of that variant, the comparisons a table or a curve of the chapter shows
    together.
    """
    families: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for points in summary["sources"].values():
        for cells in points.values():
            for variant, cell in cells.items():
                for metric in ("top1", "top5"):
                    if key in cell[metric]:
                        families.setdefault((variant, metric), []).append(cell[metric][key])
    for family in families.values():
        adjusted = holm([entry["mcnemar"]["p_value"] for entry in family])
        for entry, p in zip(family, adjusted, strict=True):
            entry["mcnemar"]["holm_p"] = float(p)
            entry["mcnemar"]["family_size"] = len(family)


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
    test = entry["mcnemar"]
    text = f"{entry['difference']:+.3f} [{low:+.3f}, {high:+.3f}], p={test['p_value']:.2g}"
    return text + (f" (Holm {test['holm_p']:.2g})" if "holm_p" in test else "")


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
