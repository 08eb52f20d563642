"""Map figures on plain arrays: an overlay of a map on its image and a grid of map panels.

Below the layers (it needs only numpy, PIL, matplotlib and :func:`licnn.metrics.similarity.
normalise_map`), so that the experiments can draw maps without importing the report;
:mod:`licnn.report.plots` re-exports :func:`overlay`, :func:`show_maps` and
:func:`register_notebook_display`. Every function returns a :class:`matplotlib.figure.Figure`
(or an array) made without ``pyplot``, so nothing depends on (or changes) the interactive
backend and no figure is left open. Importing this module inside IPython registers a PNG
formatter for figures (:func:`register_notebook_display`), so a figure left as a cell's last
value shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn.metrics.similarity import normalise_map


def register_notebook_display(dpi: int = 100) -> bool:
    """Let IPython show a bare :class:`Figure` as a PNG (no pyplot, no inline backend needed).

    Returns False outside IPython. Called once when this module is imported.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from IPython.core.pylabtools import print_figure

    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight", dpi=dpi))
    return True


register_notebook_display()


def _rgb_array(image: Image.Image | ArrayLike) -> NDArray[np.float64]:
    """An image as an ``(H, W, 3)`` float array in 0-255 (PIL image, uint8 array or [0, 1] floats)."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.float64)
    values = np.asarray(image)
    if values.ndim == 2:
        values = np.stack([values] * 3, axis=-1)
    if values.ndim != 3 or values.shape[2] not in (3, 4):
        raise ValueError(f"image must be (H, W, 3), got shape {values.shape}")
    values = values[..., :3]
    if np.issubdtype(values.dtype, np.floating):
        return np.clip(values.astype(np.float64), 0.0, 1.0) * 255.0
    return values.astype(np.float64)


def overlay(
    image: Image.Image | ArrayLike, saliency: ArrayLike, alpha: float = 0.5, cmap: str = "jet"
) -> NDArray[np.uint8]:
    """The image blended with the colour-mapped map: ``(1 - alpha) x image + alpha x colour``.

    The map is min-max normalised to [0, 1] (sign kept) before the colour map; it must have
    the image's height and width. Returns an ``(H, W, 3)`` uint8 array.
    """
    rgb = _rgb_array(image)
    values = np.asarray(saliency, dtype=np.float64)
    if values.shape != rgb.shape[:2]:
        raise ValueError(f"map shape {values.shape} does not match image size {rgb.shape[:2]}")
    colour = matplotlib.colormaps[cmap](normalise_map(values, absolute=False))[..., :3] * 255.0
    blended = (1.0 - alpha) * rgb + alpha * colour
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def _bare(ax: Axes) -> None:
    """No ticks or frame on an image panel (an axis label can still show)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _panel_images(
    images: Image.Image | ArrayLike | Sequence[Image.Image | ArrayLike | None] | None, n: int
) -> list:
    """One image (or None) per panel: a single image is repeated ``n`` times."""
    if images is None:
        return [None] * n
    if isinstance(images, Image.Image) or (
        isinstance(images, np.ndarray)
        and (images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (3, 4)))
    ):
        return [images] * n
    if not isinstance(images, Iterable):
        raise TypeError(
            f"images must be an image or a sequence of images, got {type(images).__name__}"
        )
    panels = list(images)
    if len(panels) != n:
        raise ValueError(f"got {len(panels)} images for {n} maps")
    return panels


def show_maps(
    images: Image.Image | ArrayLike | Sequence[Image.Image | ArrayLike | None] | None,
    maps: Sequence[ArrayLike | None],
    titles: Sequence[str] | None = None,
    row_titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    overlay: bool = True,
    ncols: int | None = None,
    cmap: str = "jet",
    alpha: float = 0.5,
    panel_size: float = 2.4,
) -> Figure:
    """A grid of map panels, filled row by row, ``ncols`` per row (default: one row).

    Panel ``i`` shows ``maps[i]`` over ``images[i]`` when ``overlay`` (blend ``alpha``),
    else the map alone; a ``None`` map shows the image alone. ``images`` may be one image
    for every panel, one per panel, or None. ``titles`` label panels, ``row_titles`` label
    rows (on the left), ``suptitle`` titles the figure.
    """
    n = len(maps)
    if n == 0:
        raise ValueError("show_maps needs at least one map")
    panels = _panel_images(images, n)
    ncols = n if ncols is None else max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} panels")
    if row_titles is not None and len(row_titles) != nrows:
        raise ValueError(f"got {len(row_titles)} row titles for {nrows} rows")
    fig = Figure(figsize=(panel_size * ncols, panel_size * nrows + (0.5 if suptitle else 0.0)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for index, ax in enumerate(axes.ravel()):
        if index >= n:
            fig.delaxes(ax)
            continue
        _draw_panel(ax, panels[index], maps[index], overlay, cmap, alpha)
        if titles is not None:
            ax.set_title(titles[index], fontsize="small")
    if row_titles is not None:
        for row, label in enumerate(row_titles):
            axes[row, 0].set_ylabel(label)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _draw_panel(
    ax: Axes,
    image: Image.Image | ArrayLike | None,
    saliency: ArrayLike | None,
    blend: bool,
    cmap: str,
    alpha: float,
) -> None:
    """One panel: overlay, map alone, or image alone."""
    _bare(ax)
    if saliency is None:
        if image is None:
            raise ValueError("a panel needs an image or a map")
        ax.imshow(_rgb_array(image).astype(np.uint8))
    elif blend and image is not None:
        ax.imshow(overlay(image, saliency, alpha=alpha, cmap=cmap))
    else:
        ax.imshow(normalise_map(saliency, absolute=False), cmap=cmap, vmin=0.0, vmax=1.0)
