"""Figure builders for the implementation and comparison chapters, and the small summaries
printed beside those figures.

- :func:`map_table`: a table of raw maps (rows x columns), each with its own colour scale;
- :func:`trace_figure`: the steps of one LICNN attention map (a :class:`licnn.core.reference.Trace`)
  at a few gate points, one row each;
- :func:`method_grid`: images in rows, one attribution method per column;
- :func:`crop_boxes`: boxes in an image file's pixels carried through the model's resize and
  centre crop, so they can be drawn on (and scored against) 224 x 224 maps (it lives in
  :mod:`licnn.imaging.boxes`, re-exported here);
- :func:`cropped_mask`: a salient-object mask put through the same crop.

Like :mod:`licnn.report.plots`, every builder returns a :class:`matplotlib.figure.Figure` made
without ``pyplot``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn.core.reference import Trace
from licnn.imaging.boxes import crop_boxes as crop_boxes
from licnn.metrics.similarity import normalise_map
from licnn.report.plots import overlay as blend

#: Columns of :func:`trace_figure`: (title, colour map, centred on zero).
TRACE_COLUMNS = (
    ("Max-C of gradient", "RdBu_r", True),
    ("average term", "viridis", False),
    ("differential term", "viridis", False),
    ("inhibition x_LI (normalised)", "viridis", False),
    ("suppression mask (kept)", "gray", False),
    ("gated Sum-C", "magma", False),
)


def _as_array(values: ArrayLike) -> NDArray[np.float64]:
    """A map (numpy array or torch tensor) as a 2-D float array."""
    detach = getattr(values, "detach", None)
    if callable(detach):
        values = detach().cpu().numpy()
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"a map must be 2-D, got shape {array.shape}")
    return array


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def map_table(
    rows: Sequence[Sequence[ArrayLike]],
    column_titles: Sequence[str],
    row_titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    cmaps: Sequence[str] | None = None,
    centred: Sequence[bool] | None = None,
    panel_titles: Sequence[Sequence[str]] | None = None,
    colorbar: bool = True,
    panel_size: float = 2.2,
) -> Figure:
    """Raw maps in a table; each panel has its own colour scale (and a colour bar).

    ``cmaps[j]`` and ``centred[j]`` apply to column ``j``: a centred column puts zero at the
    middle of the colour map (for signed maps). ``panel_titles`` replace the column titles
    panel by panel (e.g. to add a number to each).
    """
    ncols = len(column_titles)
    if not rows or any(len(row) != ncols for row in rows):
        raise ValueError(f"every row needs {ncols} maps (one per column title)")
    if row_titles is not None and len(row_titles) != len(rows):
        raise ValueError(f"got {len(row_titles)} row titles for {len(rows)} rows")
    cmaps = list(cmaps) if cmaps is not None else ["viridis"] * ncols
    centred = list(centred) if centred is not None else [False] * ncols
    width = panel_size * ncols * (1.25 if colorbar else 1.0)
    fig = Figure(figsize=(width, panel_size * len(rows) + (0.6 if suptitle else 0.2)))
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    for i, row in enumerate(rows):
        for j, values in enumerate(row):
            ax = axes[i, j]
            array = _as_array(values)
            norm = _colour_norm(array, centred[j])
            image = ax.imshow(array, cmap=cmaps[j], norm=norm, interpolation="nearest")
            _bare(ax)
            title = panel_titles[i][j] if panel_titles is not None else column_titles[j]
            if i == 0 or panel_titles is not None:
                ax.set_title(title, fontsize="small")
            if colorbar:
                bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
                bar.ax.tick_params(labelsize="x-small")
        if row_titles is not None:
            axes[i, 0].set_ylabel(row_titles[i], fontsize="small")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _colour_norm(array: NDArray[np.float64], centred: bool) -> Normalize:
    """Zero in the middle for signed maps; plain min-max otherwise (a constant map: 0..1)."""
    low, high = float(array.min()), float(array.max())
    if centred:
        reach = max(abs(low), abs(high)) or 1.0
        return TwoSlopeNorm(vcenter=0.0, vmin=-reach, vmax=reach)
    if high <= low:
        return Normalize(vmin=low, vmax=low + 1.0)
    return Normalize(vmin=low, vmax=high)


def trace_figure(
    trace: Trace,
    gate_indices: Sequence[int],
    row_titles: Sequence[str] | None = None,
    suptitle: str | None = None,
) -> Figure:
    """The steps of one attention map at the chosen gate points (rows), as :data:`TRACE_COLUMNS`.

    Columns: the raw Max-C map of the gradient, the average and differential terms, the
    normalised inhibition, the suppression mask (white = kept; its keep fraction in the title)
    and the Sum-C map of the gated forward pass. An ungated layer shows an all-kept mask.
    """
    rows, titles = [], []
    for index in gate_indices:
        mask = trace.masks[index]
        kept = np.ones(tuple(trace.max_c[index].shape)) if mask is None else _as_array(mask.float())
        rows.append(
            [
                trace.max_c[index],
                trace.average_term[index],
                trace.differential_term[index],
                trace.inhibition[index],
                kept,
                trace.sum_c[index],
            ]
        )
        names = [name for name, _, _ in TRACE_COLUMNS]
        names[4] = "mask: not gated" if mask is None else f"mask: kept {kept.mean():.0%}"
        titles.append(names)
    return map_table(
        rows,
        [name for name, _, _ in TRACE_COLUMNS],
        row_titles=row_titles,
        suptitle=suptitle,
        cmaps=[cmap for _, cmap, _ in TRACE_COLUMNS],
        centred=[centre for _, _, centre in TRACE_COLUMNS],
        panel_titles=titles,
    )


def display_map(
    values: ArrayLike, absolute: bool = False, clip_percentile: float | None = None
) -> NDArray[np.float64]:
    """A map scaled to [0, 1] for display: optional ``abs``, optional clipping at a percentile.

    Clipping at, say, the 99th percentile keeps a few extreme pixels (common in gradient
    maps) from washing out the rest; it changes the picture only, not any number reported.
    """
    array = _as_array(values)
    if absolute:
        array = np.abs(array)
    if clip_percentile is not None:
        array = np.minimum(array, np.percentile(array, clip_percentile))
    return normalise_map(array, absolute=False)


def method_grid(
    images: Sequence[Image.Image | ArrayLike],
    maps: Mapping[str, Sequence[ArrayLike]],
    suptitle: str | None = None,
    row_titles: Sequence[str] | None = None,
    absolute: Collection[str] = (),
    clip_percentile: float | None = 99.0,
    overlay: bool = False,
    boxes: Sequence[ArrayLike | None] | None = None,
    cmap: str = "jet",
    panel_size: float = 2.1,
) -> Figure:
    """Images in rows: the image first, then one column per method (``maps[name][row]``).

    Maps are shown alone (or over the image when ``overlay``) after :func:`display_map`
    with ``absolute`` for the methods named in ``absolute``. ``boxes[row]`` (``M x 4``,
    ``x0, y0, x1, y1`` in the image's pixels) are drawn on the image panel.
    """
    n = len(images)
    names = list(maps)
    for name in names:
        if len(maps[name]) != n:
            raise ValueError(f"method {name!r} has {len(maps[name])} maps for {n} images")
    if row_titles is not None and len(row_titles) != n:
        raise ValueError(f"got {len(row_titles)} row titles for {n} images")
    if boxes is not None and len(boxes) != n:
        raise ValueError(f"got {len(boxes)} box sets for {n} images")
    ncols = len(names) + 1
    fig = Figure(figsize=(panel_size * ncols, panel_size * n + (0.6 if suptitle else 0.2)))
    axes = fig.subplots(n, ncols, squeeze=False)
    for i, image in enumerate(images):
        rgb = np.asarray(image.convert("RGB")) if isinstance(image, Image.Image) else image
        axes[i, 0].imshow(rgb)
        _bare(axes[i, 0])
        if boxes is not None and boxes[i] is not None:
            for x0, y0, x1, y1 in np.asarray(boxes[i], dtype=float).reshape(-1, 4):
                axes[i, 0].add_patch(
                    Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="lime", lw=1.5)
                )
        if row_titles is not None:
            axes[i, 0].set_ylabel(row_titles[i], fontsize="small")
        for j, name in enumerate(names, start=1):
            shown = display_map(maps[name][i], name in absolute, clip_percentile)
            ax = axes[i, j]
            if overlay:
                ax.imshow(blend(rgb, shown, cmap=cmap))
            else:
                ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=1.0)
            _bare(ax)
            if i == 0:
                ax.set_title(name, fontsize="small")
    axes[0, 0].set_title("image", fontsize="small")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def cropped_mask(
    path: str | os.PathLike[str],
    crop: Callable[[Image.Image], Image.Image],
    threshold: float = 0.5,
) -> NDArray[np.bool_]:
    """A graded 8-bit mask file (PASCAL-S: share of annotators) put through ``crop`` (the
    model's resize and centre crop, so it lines up with the maps) and binarised at
    ``threshold``."""
    with Image.open(path) as mask:
        values = np.asarray(crop(mask.convert("L")), dtype=np.float64) / 255.0
    return values >= threshold
