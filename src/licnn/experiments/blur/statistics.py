"""The blur experiment's statistics: pure functions of boolean hit arrays and shares.

Accuracies with intervals, paired comparisons with the original (McNemar), the share of a
map inside its mask, the curves and the Markdown summary; the variants' names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from licnn.imaging.blur import RADII
from licnn.metrics.stats import mcnemar, mean_ci, proportion_ci

#: Name of the extra variant: the background set to black, as in the seed author's code.
ERASED = "background_erased"


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
    ``'object'``. The arrays feed :func:`licnn.report.plots.plot_curves`.
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
