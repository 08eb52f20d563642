"""Figures for the report: map overlays, map grids, curves and bars with 95% intervals.

Kept apart from the maths. Every function returns a :class:`matplotlib.figure.Figure` made
without ``pyplot``, so nothing depends on (or changes) the interactive backend and no figure
is left open: show it in a notebook by leaving it as a cell's last value (importing this
module inside IPython registers a PNG formatter for figures, see
:func:`register_notebook_display`), or save it with ``fig.savefig``. Every report figure names
the model, the data and the sample size in its title: pass it as ``suptitle`` / ``title``.

The map figures (:func:`overlay`, :func:`show_maps`) live in :mod:`licnn.plotting`, below the
layers, so that the experiments can use them; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from licnn.metrics.similarity import normalise_map as normalise_map
from licnn.plotting import overlay as overlay
from licnn.plotting import register_notebook_display as register_notebook_display
from licnn.plotting import show_maps as show_maps

#: One series of a curve or bar plot: (value, low, high), each one number per x position.
Series = tuple[ArrayLike, ArrayLike, ArrayLike]


def _series_arrays(name: str, series: Series, n: int) -> tuple[NDArray, NDArray, NDArray]:
    """(value, low, high) as float arrays of length ``n``."""
    arrays = tuple(np.asarray(part, dtype=np.float64).ravel() for part in series)
    if len(arrays) != 3 or any(a.size != n for a in arrays):
        raise ValueError(f"series {name!r} must be (value, low, high) with {n} entries each")
    value, low, high = arrays
    return value, low, high


def plot_curves(
    x_labels: Sequence[str],
    series: Mapping[str, Series],
    ylabel: str,
    title: str,
    xlabel: str | None = None,
    ylim: tuple[float, float] | None = None,
    figsize: tuple[float, float] = (7.0, 4.0),
) -> Figure:
    """One line per series (mean at each x label) with its interval shaded (e.g. 95%)."""
    n = len(x_labels)
    x = np.arange(n)
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    for name, parts in series.items():
        mean, low, high = _series_arrays(name, parts, n)
        (line,) = ax.plot(x, mean, marker="o", label=name)
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    _finish_axes(ax, x, x_labels, xlabel, ylabel, ylim, legend=bool(series))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def bar_with_ci(
    x_labels: Sequence[str],
    series: Mapping[str, Series],
    ylabel: str,
    title: str,
    xlabel: str | None = None,
    ylim: tuple[float, float] | None = None,
    figsize: tuple[float, float] = (7.0, 4.0),
) -> Figure:
    """Grouped bars: one group per x label, one bar per series, with (low, high) error bars."""
    n = len(x_labels)
    x = np.arange(n)
    k = max(len(series), 1)
    width = 0.8 / k
    fig = Figure(figsize=figsize)
    ax = fig.subplots()
    for position, (name, parts) in enumerate(series.items()):
        value, low, high = _series_arrays(name, parts, n)
        errors = np.vstack([np.maximum(value - low, 0), np.maximum(high - value, 0)])
        offset = (position - (k - 1) / 2) * width
        ax.bar(x + offset, value, width, yerr=errors, capsize=3, label=name)
    _finish_axes(ax, x, x_labels, xlabel, ylabel, ylim, legend=bool(series))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _finish_axes(
    ax: Axes,
    x: NDArray,
    x_labels: Sequence[str],
    xlabel: str | None,
    ylabel: str,
    ylim: tuple[float, float] | None,
    legend: bool,
) -> None:
    """Tick labels, axis labels, limits, grid and legend shared by the curve and bar plots."""
    ax.set_xticks(x, list(x_labels), rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(axis="y", alpha=0.3)
    if legend:
        ax.legend(fontsize="small")
