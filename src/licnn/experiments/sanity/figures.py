"""Figures of a randomisation test: maps per step and similarity curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from licnn.experiments.sanity.runner import RandomisationResult
from licnn.experiments.sanity.summary import METRIC_LABELS, curve
from licnn.methods import label as method_label
from licnn.metrics.similarity import SIMILARITY_KEYS


def display_map(saliency: NDArray[Any], percentile: float = 99.0) -> NDArray[np.float64]:
    """``|map|`` clipped at its ``percentile``, so a few extreme pixels do not hide the rest."""
    values = np.abs(np.asarray(saliency, dtype=np.float64))
    top = np.percentile(values, percentile)
    return np.minimum(values, top) if top > 0 else values


def maps_figure(
    result: RandomisationResult,
    key: str,
    image: Any,
    title: str,
    shown: Sequence[str] | None = None,
    panel_size: float = 1.7,
    cmap: str = "magma",
) -> Any:
    """One row per method: the image, its original map, then its map after each shown step.

    Needs a result run with ``keep_maps``; maps are drawn by :func:`display_map` (absolute
    values, clipped at the 99th percentile), each panel scaled on its own.
    """
    from licnn.plotting import show_maps

    shown = list(shown) if shown is not None else list(result.steps)
    columns = [0] + [1 + result.steps.index(step) for step in shown]
    header = ["image", "original", *shown]
    maps: list[Any] = []
    titles: list[str] = []
    for row, name in enumerate(result.methods):
        stack = result.maps[key][name]
        maps.append(None)
        maps += [display_map(stack[c]) for c in columns]
        titles += header if row == 0 else [""] * len(header)
    return show_maps(
        image,
        maps,
        titles=titles,
        row_titles=[method_label(m) for m in result.methods],
        suptitle=title,
        overlay=False,
        ncols=len(header),
        cmap=cmap,
        panel_size=panel_size,
    )


def curves_figure(
    summary: Mapping[str, Any],
    title: str,
    metrics: Sequence[str] = SIMILARITY_KEYS,
    methods: Sequence[str] | None = None,
    ncols: int = 3,
    panel_size: tuple[float, float] = (4.6, 3.4),
) -> Any:
    """One panel per measure, one line per method (mean across images, interval shaded).

    Where the summary has the other-image control, a dashed line in the method's colour gives
    its mean: the similarity of the original map to another image's randomised map.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    methods = list(methods) if methods is not None else list(summary["methods"])
    steps = list(summary["steps"])
    x = np.arange(len(steps))
    nrows = -(-len(metrics) // ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.8))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for index, ax in enumerate(axes.ravel()):
        if index >= len(metrics):
            fig.delaxes(ax)
            continue
        metric = metrics[index]
        for name in methods:
            mean, low, high = curve(summary, name, metric)
            (line,) = ax.plot(x, mean, marker="o", markersize=3, label=method_label(name))
            ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
            if "other_image" in summary:
                control, _, _ = curve(summary, name, metric, "other_image")
                ax.plot(x, control, color=line.get_color(), linestyle="--", linewidth=0.9)
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize="medium")
        ax.set_xticks(x, steps, rotation=60, ha="right", fontsize="small")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    if "other_image" in summary:
        handles.append(Line2D([], [], color="grey", linestyle="--", linewidth=0.9))
        labels.append("dashed: against another image's\nrandomised map (same colour)")
    fig.legend(handles, labels, loc="lower right", fontsize="small", frameon=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
