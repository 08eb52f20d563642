"""Figures of the localisation benchmarks: bars with intervals, boxes on a map, and the
precision-recall curves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike

from licnn.experiments.localisation.summaries import _f_from_curves
from licnn.experiments.localisation.tables import ROLE_LABELS
from licnn.methods import label as method_label
from licnn.metrics import localisation as metrics


def box_bars(summaries: Mapping[str, Mapping[str, Mapping[str, Any]]], title: str) -> Figure:
    """Pointing game, energy in boxes and box IoU per method and class, with 95% intervals."""
    methods = list(summaries)
    fig = Figure(figsize=(13.0, 4.4))
    axes = fig.subplots(1, 3)
    panels = (
        ("pointing_game", "accuracy", "pointing-game accuracy"),
        ("energy_in_boxes", "mean", "energy in boxes (mean)"),
        ("box_iou", "mean", "IoU, map >= half max (mean)"),
    )
    width = 0.38
    x = np.arange(len(methods))
    for ax, (metric, value, ylabel) in zip(axes, panels, strict=True):
        for offset, role in ((-width / 2, "gt"), (width / 2, "pred")):
            stats = [summaries[m][role][metric] for m in methods]
            values = np.array([s[value] for s in stats])
            errors = np.array(
                [[s[value] - s["low"] for s in stats], [s["high"] - s[value] for s in stats]]
            )
            ax.bar(
                x + offset,
                values,
                width,
                yerr=np.maximum(errors, 0),
                capsize=2,
                label=f"{ROLE_LABELS[role]} class",
            )
        ax.set_xticks(x, [method_label(m) for m in methods], rotation=35, ha="right")
        ax.set_ylabel(ylabel)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[2].legend(fontsize="small", loc="upper right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def draw_boxes(fig: Figure, boxes: Sequence[ArrayLike | None], colour: str = "white") -> Figure:
    """Outline boxes (map pixels, ``x0, y0, x1, y1``) on the figure's image panels, in order."""
    for ax, panel in zip(fig.axes, boxes, strict=False):
        if panel is None:
            continue
        for x0, y0, x1, y1 in np.asarray(panel, dtype=np.float64).reshape(-1, 4):
            ax.add_patch(
                Rectangle(
                    (x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False, lw=1.2, ec=colour
                )
            )
    return fig


def precision_recall_figure(
    curves: Mapping[str, Mapping[str, np.ndarray]], title: str, beta2: float = metrics.BETA2
) -> Figure:
    """Mean precision-recall curves (left) and F-measure against threshold (right), per method."""
    fig = Figure(figsize=(10.0, 4.2))
    left, right = fig.subplots(1, 2)
    for name, scores in curves.items():
        p = np.asarray(scores["precision"], dtype=np.float64).mean(axis=0)
        r = np.asarray(scores["recall"], dtype=np.float64).mean(axis=0)
        text = method_label(name)
        (line,) = left.plot(r, p, label=text)
        f = _f_from_curves(p, r, beta2)
        thresholds = np.linspace(0.0, 1.0, f.size)
        right.plot(thresholds, f, color=line.get_color(), label=text)
        best = int(np.argmax(f))
        right.plot(thresholds[best], f[best], "o", color=line.get_color())
    left.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1))
    right.set(xlabel="threshold (normalised map)", ylabel=f"F-measure (beta^2 = {beta2})")
    right.set_ylim(0, 1)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    left.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
