"""Figures: overlay values, grid layout, curves and bars."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from PIL import Image

from licnn.report.plots import bar_with_ci, overlay, plot_curves, show_maps


@pytest.fixture
def rgb() -> np.ndarray:
    """A 4 x 6 image of one colour (10, 20, 30)."""
    return np.broadcast_to(np.array([10, 20, 30], dtype=np.uint8), (4, 6, 3)).copy()


@pytest.fixture
def ramp() -> np.ndarray:
    """A 4 x 6 map from 0 (top-left) to its maximum (bottom-right)."""
    return np.arange(24, dtype=float).reshape(4, 6)


def test_overlay_shape_dtype_and_extremes(rgb, ramp):
    out = overlay(rgb, ramp, alpha=1.0)
    assert out.shape == (4, 6, 3) and out.dtype == np.uint8
    # jet(0) = (0, 0, 0.5), jet(1) = (0.5, 0, 0)
    np.testing.assert_array_equal(out[0, 0], [0, 0, 128])
    np.testing.assert_array_equal(out[-1, -1], [128, 0, 0])


def test_overlay_blends_with_alpha(rgb, ramp):
    np.testing.assert_array_equal(overlay(rgb, ramp, alpha=0.0), rgb)
    # half of (10, 20, 30) + half of (0, 0, 127.5)
    np.testing.assert_array_equal(overlay(rgb, ramp, alpha=0.5)[0, 0], [5, 10, 79])


def test_overlay_accepts_pil_and_float_images(rgb, ramp):
    expected = overlay(rgb, ramp)
    np.testing.assert_array_equal(overlay(Image.fromarray(rgb), ramp), expected)
    np.testing.assert_array_equal(overlay(rgb / 255.0, ramp), expected)


def test_overlay_rejects_map_of_other_size(rgb):
    with pytest.raises(ValueError, match="does not match"):
        overlay(rgb, np.zeros((6, 4)))


def test_show_maps_grid_has_one_axes_per_panel_and_titles(rgb, ramp):
    fig = show_maps(
        rgb,
        [ramp] * 5,
        titles=[f"step {i}" for i in range(5)],
        row_titles=["first", "second"],
        suptitle="LICNN, EfficientNet-Lite0, 5 maps",
        ncols=3,
    )
    assert len(fig.axes) == 5
    assert fig.get_suptitle() == "LICNN, EfficientNet-Lite0, 5 maps"
    assert [ax.get_title() for ax in fig.axes] == [f"step {i}" for i in range(5)]
    assert fig.axes[0].get_ylabel() == "first" and fig.axes[3].get_ylabel() == "second"
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (2, 3)


def test_show_maps_panel_kinds(rgb, ramp):
    fig = show_maps([rgb, rgb, None], [None, ramp, ramp], overlay=False)
    assert len(fig.axes) == 3
    image_only = fig.axes[0].images[0].get_array()
    assert image_only.shape == (4, 6, 3)
    map_only = fig.axes[1].images[0].get_array()
    assert map_only.shape == (4, 6) and map_only.max() == 1.0
    blended = show_maps(rgb, [ramp]).axes[0].images[0].get_array()
    np.testing.assert_array_equal(blended, overlay(rgb, ramp))


def test_show_maps_checks_lengths(rgb, ramp):
    with pytest.raises(ValueError, match="titles"):
        show_maps(rgb, [ramp, ramp], titles=["only one"])
    with pytest.raises(ValueError, match="images"):
        show_maps([rgb], [ramp, ramp])


def test_figures_are_not_left_open_in_pyplot(rgb, ramp):
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    fig = show_maps(rgb, [ramp])
    assert set(plt.get_fignums()) == before
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"


SERIES = {
    "LICNN": ([0.9, 0.5, 0.2], [0.8, 0.4, 0.1], [1.0, 0.6, 0.3]),
    "Gradient": ([0.7, 0.6, 0.5], [0.6, 0.5, 0.4], [0.8, 0.7, 0.6]),
}


def test_plot_curves_draws_a_line_and_band_per_series():
    fig = plot_curves(["original", "fc", "conv5"], SERIES, ylabel="Spearman", title="t")
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["LICNN", "Gradient"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.9, 0.5, 0.2])
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    assert ax.get_title() == "t" and ax.get_ylabel() == "Spearman"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["original", "fc", "conv5"]


def test_bar_with_ci_draws_grouped_bars_with_error_bars():
    fig = bar_with_ci(["original", "bg r2", "bg r5"], SERIES, ylabel="top-1", title="acc")
    ax = fig.axes[0]
    assert len(fig.axes) == 1
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == sorted([0.9, 0.5, 0.2, 0.7, 0.6, 0.5])
    assert len(ax.containers) == 4  # a bar container and an error-bar container per series
    assert ax.get_title() == "acc"


def test_series_of_wrong_length_is_rejected():
    with pytest.raises(ValueError, match="LICNN"):
        plot_curves(["a", "b"], SERIES, ylabel="y", title="t")
