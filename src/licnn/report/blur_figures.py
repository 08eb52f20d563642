"""Figures of the blur experiments and the background-influence analysis (seed figs. 13-18).

Drawing only: the numbers come from :mod:`licnn.experiments.blur.protocol` and :mod:`licnn.experiments.background`.
Every function returns a :class:`matplotlib.figure.Figure` made without ``pyplot`` (see
:mod:`licnn.report.plots`); every title is passed in by the caller and names model, data and size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from licnn.experiments.background import KINDS, Influence
from licnn.experiments.blur.results import BlurResults
from licnn.experiments.blur.statistics import curve_series
from licnn.experiments.blur.variants import Example
from licnn.imaging.blur import RADII, blur_background
from licnn.imaging.images import load_image
from licnn.models import LoadedModel
from licnn.report.plots import overlay

#: Line colours of the two blur kinds (matplotlib's first two cycle colours).
COLOURS = {"background": "tab:blue", "object": "tab:orange"}


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _outline(ax: Axes, mask: ArrayLike, colour: str = "white") -> None:
    """Draw the mask's boundary on an image panel."""
    ax.contour(np.asarray(mask, dtype=float), levels=[0.5], colors=colour, linewidths=1.2)


def variant_figure(example: Example, title: str, radii: Sequence[int] = RADII) -> Figure:
    """Figs. 13-14 in one: top row background blur, bottom row object blur, mask on the left."""
    ncols = len(radii) + 1
    fig = Figure(figsize=(2.6 * ncols, 5.9), layout="constrained")
    axes = fig.subplots(2, ncols, squeeze=False)
    for ax in axes.ravel():
        _bare(ax)
    axes[0, 0].imshow(example.crop)
    _outline(axes[0, 0], example.mask)
    axes[0, 0].set_title(f"original, mask outlined\n({example.mask.mean():.0%} of the crop)")
    axes[1, 0].imshow(overlay(example.crop, example.saliency))
    _outline(axes[1, 0], example.mask)
    axes[1, 0].set_title("top-5 saliency map")
    for column, r in enumerate(radii, start=1):
        axes[0, column].imshow(example.variants[f"background_r{r:g}"])
        axes[0, column].set_title(f"background blurred, r={r:g}")
        axes[1, column].imshow(example.variants[f"object_r{r:g}"])
        axes[1, column].set_title(f"object blurred, r={r:g}")
    fig.suptitle(title)
    return fig


def accuracy_figure(summary: Mapping[str, Any], title: str, radii: Sequence[int] = RADII) -> Figure:
    """Figs. 15-16: top-1 and top-5 accuracy against blur radius (r = 0: the original image).

    One line for background blur, one for object blur, each with its 95% interval shaded;
    the erased background (when in the summary) is a single point with its interval at the
    right.
    """
    fig = Figure(figsize=(11.0, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    x = np.array([0, *radii], dtype=float)
    for ax, metric in zip(axes, ("top1", "top5"), strict=True):
        table = summary[metric]
        for kind in ("background", "object"):
            mean, low, high = curve_series(table, kind, radii)
            colour = COLOURS[kind]
            ax.plot(x, mean, marker="o", color=colour, label=f"{kind} blurred")
            ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
        if "background_erased" in table:
            row = table["background_erased"]
            spot = x[-1] + 2.5
            ax.errorbar(
                [spot],
                [row["accuracy"]],
                yerr=[[row["accuracy"] - row["ci"][0]], [row["ci"][1] - row["accuracy"]]],
                fmt="s",
                color="tab:green",
                capsize=3,
                label="background erased (black)",
            )
        ax.set_xticks([*x, x[-1] + 2.5], ["0\n(original)", *(f"{r:g}" for r in radii), "erase"])
        ax.set_xlabel("Gaussian blur radius (px)")
        ax.set_ylabel(f"{'top-1' if metric == 'top1' else 'top-5'} accuracy")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="lower left")
    fig.suptitle(title)
    return fig


def share_histogram(
    shares: Mapping[str, ArrayLike],
    title: str,
    bins: int = 20,
    xlabel: str = "share of the 224 x 224 crop inside the salient mask",
    threshold: float | None = None,
) -> Figure:
    """Distributions of shares in [0, 1] (one histogram per set), with an optional threshold line."""
    fig = Figure(figsize=(7.0, 3.8), layout="constrained")
    ax = fig.subplots()
    edges = np.linspace(0.0, 1.0, bins + 1).tolist()
    for name, values in shares.items():
        values = np.asarray(values, dtype=float)
        ax.hist(
            values,
            bins=edges,
            density=True,
            histtype="step",
            linewidth=1.5,
            label=f"{name} (n={values.size}, mean {values.mean():.2f})",
        )
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label="threshold")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    ax.set_title(title)
    return fig


def _class_list(
    classes: Sequence[int], probs: Sequence[float], label: int, names: Sequence[str]
) -> str:
    """Numbered class list; the true class in capitals with an asterisk (as the seed marks it)."""
    lines = []
    for rank, (c, p) in enumerate(zip(classes, probs, strict=True), start=1):
        name = names[c]
        name = f"*{name.upper()}*" if c == label else name
        lines.append(f"({rank}) {name} {p:.2f}")
    return "\n".join(lines)


def influence_figure(
    results: BlurResults,
    influences: Sequence[Influence],
    model: LoadedModel,
    title: str,
    radius: int = 10,
) -> Figure:
    """Seed figs. 17-18: one row per image with its maps and its top-5 lists before and after.

    Panels: the crop with the salient mask outlined (white); the top-5 saliency map; the
    attention maps of the wrongly predicted class and of the true class; the crop with its
    background blurred; the top-5 classes before and after (true class in capitals between
    asterisks).
    """
    if not influences:
        raise ValueError("no images to show")
    names = model.class_names
    fig = Figure(figsize=(17.0, 2.9 * len(influences) + 0.6), layout="constrained")
    axes = fig.subplots(len(influences), 6, squeeze=False, width_ratios=[1, 1, 1, 1, 1, 1.7])
    for row, item in zip(axes, influences, strict=True):
        record = results.records[item.index]
        crop = model.crop(load_image(record.path))
        mask = results.mask(item.index)
        saliency = results.saliency(item.index)
        for ax in row:
            _bare(ax)
        row[0].imshow(crop)
        _outline(row[0], mask)
        row[0].set_ylabel(record.key.split("/")[-1][:28], fontsize="x-small")
        row[0].set_title(f"mask: {mask.mean():.0%} of the crop", fontsize="small")
        if saliency is not None:
            row[1].imshow(overlay(crop, saliency))
            _outline(row[1], mask)
        row[1].set_title("top-5 saliency map", fontsize="small")
        row[2].imshow(overlay(crop, item.attention))
        _outline(row[2], mask)
        row[2].set_title(
            f"wrong: {names[item.wrong_class][:20]}\n{item.outside_share:.0%} outside the mask",
            fontsize="small",
        )
        row[3].imshow(overlay(crop, item.true_attention))
        _outline(row[3], mask)
        row[3].set_title(
            f"true: {names[item.label][:20]}\nrank corr. with wrong {item.class_map_correlation:.2f}",
            fontsize="small",
        )
        row[4].imshow(blur_background(crop, mask, radius))
        row[4].set_title(f"background blurred, r={radius}", fontsize="small")
        text = (
            f"rescued at top-{item.k}\nkind {item.kind}: {KINDS[item.kind]}\n\n"
            f"original:\n{_class_list(item.before, item.before_probabilities, item.label, names)}"
            f"\n\nblurred:\n{_class_list(item.after, item.after_probabilities, item.label, names)}"
        )
        row[5].text(0.02, 0.98, text, va="top", ha="left", fontsize="x-small", family="monospace")
        for spine in row[5].spines.values():
            spine.set_visible(False)
    fig.suptitle(title)
    return fig


#: Line colours of the mask sources in the mask-area figures.
SOURCE_COLOURS = {
    "licnn": "tab:red",
    "grad_cam": "tab:purple",
    "disc": "tab:blue",
    "shuffled": "tab:olive",
    "blob": "tab:gray",
    "boxes": "black",
}


def mask_area_figure(summary: Mapping[str, Any], title: str, radius: int = 10) -> Figure:
    """Accuracy against mask area per mask source: rows background/object, columns top-1/top-5.

    ``summary`` is :func:`licnn.experiments.blur.mask_area.summarise_mask_area`'s. Lines join
    the fixed shares (95% Wilson intervals shaded); a star marks each source at the seed
    threshold's area; the boxes are one point at their own area; the dashed line is the
    original image's accuracy.
    """
    from licnn.experiments.blur.mask_area import SEED, SOURCE_LABELS, curve

    fig = Figure(figsize=(10, 7.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True, sharey=True)
    for row, kind in enumerate(("background", "object")):
        variant = f"{kind}_r{radius:g}"
        for col, metric in enumerate(("top1", "top5")):
            ax = axes[row, col]
            base = summary["original"][metric]["accuracy"]
            ax.axhline(base, color="k", linestyle="--", linewidth=1, label="original")
            for source, points in summary["sources"].items():
                colour = SOURCE_COLOURS.get(source, None)
                label = SOURCE_LABELS.get(source, source)
                line = curve(summary, source, variant, metric)
                if source == "boxes":
                    cell = points.get("own", {}).get(variant)
                    if cell:
                        acc = cell[metric]["accuracy"]
                        low, high = cell[metric]["ci"]
                        ax.errorbar(
                            cell["area"],
                            acc,
                            yerr=[[acc - low], [high - acc]],
                            fmt="s",
                            color=colour,
                            label=f"{label} (own area)",
                        )
                    continue
                if line["area"].size:
                    ax.plot(line["area"], line["accuracy"], "o-", color=colour, label=label)
                    ax.fill_between(
                        line["area"], line["low"], line["high"], color=colour, alpha=0.15
                    )
                seed_cell = points.get(SEED, {}).get(variant)
                if seed_cell:
                    ax.plot(
                        seed_cell["area"],
                        seed_cell[metric]["accuracy"],
                        "*",
                        color=colour,
                        markersize=13,
                        markeredgecolor="k",
                    )
            ax.set_title(f"{kind} blurred (r={radius:g}), {metric.replace('top', 'top-')}")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
            if row == 1:
                ax.set_xlabel("mask area (share of the crop, mean over images)")
            if col == 0:
                ax.set_ylabel("accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles.append(axes[0, 0].plot([], [], "*", color="w", markeredgecolor="k", markersize=13)[0])
    labels.append("at the seed threshold's area")
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize="small")
    fig.suptitle(title)
    return fig


def mask_sources_figure(
    example: Any, point: str, title: str, kind: str = "object", radius: int = 10
) -> Figure:
    """One image's mask of every source at one area point: the mask outlined on the crop
    (top row) and the crop with that mask's inside (``object``) or outside blurred (bottom).

    ``example`` is a :class:`licnn.experiments.blur.mask_area.MaskExample`; the boxes are
    shown at their own area.
    """
    from licnn.experiments.blur.mask_area import SOURCE_LABELS, variant_name

    panels = []
    for source, label in SOURCE_LABELS.items():
        at = "own" if source == "boxes" else point
        name = variant_name(source, at, kind, radius)
        if (source, at) in example.masks and name in example.variants:
            panels.append((label, example.masks[(source, at)], example.variants[name]))
    fig = Figure(figsize=(2.3 * len(panels), 5.0), layout="constrained")
    axes = fig.subplots(2, len(panels), squeeze=False)
    for column, (label, mask, variant) in enumerate(panels):
        for ax in axes[:, column]:
            _bare(ax)
        axes[0, column].imshow(example.crop)
        _outline(axes[0, column], mask)
        axes[0, column].set_title(f"{label}\n({mask.mean():.0%} of the crop)", fontsize="small")
        axes[1, column].imshow(variant)
        axes[1, column].set_title(f"{kind} blurred, r={radius:g}", fontsize="small")
    fig.suptitle(title)
    return fig
