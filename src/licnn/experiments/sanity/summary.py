"""Summaries and Markdown tables of a randomisation test's similarities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from licnn.experiments.sanity.runner import RandomisationResult
from licnn.methods import label as method_label
from licnn.metrics.similarity import SIMILARITY_KEYS
from licnn.metrics.stats import mean_ci

#: Readable names of the similarity measures, for figures and tables.
METRIC_LABELS = {
    "spearman_abs": "Spearman rank correlation (absolute maps)",
    "spearman_signed": "Spearman rank correlation (signed maps)",
    "hog_pearson": "HOG similarity (Pearson)",
    "hog_spearman": "HOG similarity (Spearman)",
    "ssim": "SSIM",
}


# -- summaries ---------------------------------------------------------------------------


def finite_interval(
    values: NDArray[np.float64], confidence: float = 0.95, with_n: bool = False
) -> dict[str, float] | None:
    """Mean and bootstrap interval (:func:`licnn.metrics.stats.mean_ci`) of the finite values;
    None when there are none. ``with_n`` adds how many values were finite."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    ci = mean_ci(finite, confidence=confidence)
    keys = ("mean", "low", "high", "n") if with_n else ("mean", "low", "high")
    return {k: ci[k] for k in keys}


def _per_step(
    table: Mapping[str, NDArray[np.float64]],
    result: RandomisationResult,
    confidence: float,
) -> dict[str, Any]:
    """``{method: {measure: {step: interval}}}`` of ``images x steps x measures`` arrays."""
    return {
        name: {
            metric: {
                step: finite_interval(table[name][:, s, j], confidence)
                for s, step in enumerate(result.steps)
            }
            for j, metric in enumerate(result.metrics)
        }
        for name in result.methods
    }


def summarise(result: RandomisationResult, confidence: float = 0.95) -> dict[str, Any]:
    """Mean and bootstrap interval over the images, per method, measure and step.

    Returns ``{"mode", "n_images", "steps", "methods": {method: {measure: {step: {"mean",
    "low", "high"}}}}}``, ready for :func:`licnn.report.save_results`. When the result has
    the other-image control, two more parts of the same shape: ``"other_image"`` (original
    map against another image's randomised map) and ``"image_specific"`` (the paired
    difference, own minus other, per image).
    """
    summary: dict[str, Any] = {
        "mode": result.mode,
        "n_images": result.n_images,
        "steps": list(result.steps),
        "methods": _per_step(result.values, result, confidence),
    }
    if result.other_image and any(np.isfinite(v).any() for v in result.other_image.values()):
        own_minus_other = {m: result.values[m] - result.other_image[m] for m in result.methods}
        summary["other_image"] = _per_step(result.other_image, result, confidence)
        summary["image_specific"] = _per_step(own_minus_other, result, confidence)
    return summary


def curve(
    summary: Mapping[str, Any], method: str, metric: str, part: str = "methods"
) -> tuple[list[float], list[float], list[float]]:
    """``(means, lows, highs)`` of one method and measure across the steps of a summary part."""
    table = summary[part][method][metric]
    steps = summary["steps"]
    return (
        [table[s]["mean"] for s in steps],
        [table[s]["low"] for s in steps],
        [table[s]["high"] for s in steps],
    )


#: The parts of a summary: own randomised map, another image's, and their difference.
PARTS = {
    "methods": "original map against its own randomised map",
    "other_image": "original map against another image's randomised map",
    "image_specific": "own minus other (image-specific similarity)",
}


def _entry(
    summary: Mapping[str, Any], method: str, metric: str, step: str, part: str = "methods"
) -> dict[str, float]:
    """One (mean, low, high) entry of a summary part (see :data:`PARTS`)."""
    return summary[part][method][metric][step]


def summary_table(
    summary: Mapping[str, Any],
    step: str,
    metrics: Sequence[str] = SIMILARITY_KEYS,
    part: str = "methods",
) -> str:
    """A Markdown table: one row per method, the mean [95% interval] of each measure at ``step``."""
    header = "| method | " + " | ".join(METRIC_LABELS.get(m, m) for m in metrics) + " |"
    lines = [header, "|---" * (len(metrics) + 1) + "|"]
    for name in summary[part]:
        cells = []
        for metric in metrics:
            entry = _entry(summary, name, metric, step, part)
            cells.append(f"{entry['mean']:.2f} [{entry['low']:.2f}, {entry['high']:.2f}]")
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def step_table(
    summary: Mapping[str, Any], metric: str = "spearman_abs", part: str = "methods"
) -> str:
    """A Markdown table of one measure's means: one row per method, one column per step."""
    steps = list(summary["steps"])
    lines = ["| method | " + " | ".join(steps) + " |", "|---" * (len(steps) + 1) + "|"]
    for name in summary[part]:
        cells = [f"{_entry(summary, name, metric, step, part)['mean']:.2f}" for step in steps]
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def seed_step_table(
    summaries: Mapping[int, Mapping[str, Any]],
    metric: str = "spearman_abs",
    part: str = "methods",
) -> str:
    """A Markdown table of one measure across re-initialisation seeds: one row per method, one
    column per step, each cell the mean over the seeds of the per-seed means, and their range.

    ``summaries`` maps each seed to a :func:`summarise` output of the same test, images and steps.
    """
    first = next(iter(summaries.values()))
    steps = list(first["steps"])
    lines = ["| method | " + " | ".join(steps) + " |", "|---" * (len(steps) + 1) + "|"]
    for name in first[part]:
        cells = []
        for step in steps:
            means = np.asarray(
                [_entry(s, name, metric, step, part)["mean"] for s in summaries.values()]
            )
            cells.append(f"{means.mean():.2f} ({means.min():.2f} to {means.max():.2f})")
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
