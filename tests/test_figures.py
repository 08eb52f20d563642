"""Figure builders of the implementation and comparison chapters, box cropping, map summaries."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from licnn.core.reference import Trace
from licnn.metrics.localisation import mass_in_mask, top_mass_share
from licnn.report.figures import (
    TRACE_COLUMNS,
    crop_boxes,
    cropped_mask,
    display_map,
    map_table,
    method_grid,
    trace_figure,
)


def _image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_map_table_one_image_panel_per_map_with_colour_bars():
    rows = [[np.zeros((3, 3)), np.eye(3)], [np.ones((2, 2)), -np.eye(2)]]
    fig = map_table(rows, ["a", "b"], row_titles=["r1", "r2"], suptitle="T", centred=[False, True])
    panels = _image_axes(fig)
    assert len(panels) == 4
    assert len(fig.axes) == 8  # one colour bar each
    assert panels[0].get_title() == "a" and panels[2].get_ylabel() == "r2"
    # The centred column puts zero in the middle of the colour scale.
    norm = panels[3].images[0].norm
    assert norm.vmin == -1.0 and norm.vmax == 1.0 and norm(0.0) == pytest.approx(0.5)


def test_map_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="every row"):
        map_table([[np.zeros((2, 2))]], ["a", "b"])


def _toy_trace(gated_last: bool) -> Trace:
    layers = []
    for size in (4, 2):
        x = torch.arange(size * size, dtype=torch.float32).reshape(size, size)
        layers.append(x)
    mask_first = torch.zeros(4, 4, dtype=torch.bool)
    mask_first[:2] = True  # half kept
    masks = [mask_first, torch.ones(2, 2, dtype=torch.bool) if gated_last else None]
    return Trace(
        target=1,
        probability=0.5,
        max_c=layers,
        normalised=layers,
        average_term=layers,
        differential_term=layers,
        inhibition=layers,
        masks=masks,
        sum_c=layers,
    )


def test_trace_figure_rows_columns_and_mask_titles():
    fig = trace_figure(_toy_trace(gated_last=False), [0, 1], row_titles=["early", "late"])
    panels = _image_axes(fig)
    assert len(panels) == 2 * len(TRACE_COLUMNS)
    assert panels[4].get_title() == "mask: kept 50%"
    assert panels[len(TRACE_COLUMNS) + 4].get_title() == "mask: not gated"
    # The ungated layer's mask panel shows everything kept.
    np.testing.assert_array_equal(panels[len(TRACE_COLUMNS) + 4].images[0].get_array(), 1.0)


def test_display_map_absolute_and_clipping():
    values = np.array([[-4.0, 1.0], [2.0, 100.0]])
    np.testing.assert_allclose(display_map(values), (values + 4) / 104)
    shown = display_map(values, absolute=True, clip_percentile=50)
    # |values| = 1, 2, 4, 100; the median is 3: everything at or above it becomes 1.
    np.testing.assert_allclose(shown, [[1.0, 0.0], [0.5, 1.0]])


def test_method_grid_layout_titles_and_boxes():
    images = [np.zeros((8, 8, 3), dtype=np.uint8)] * 2
    maps = {"A": [np.ones((8, 8))] * 2, "B": [np.eye(8)] * 2}
    fig = method_grid(images, maps, suptitle="S", row_titles=["x", "y"], boxes=[[1, 1, 4, 5], None])
    panels = _image_axes(fig)
    assert len(panels) == 6
    assert [ax.get_title() for ax in panels[:3]] == ["image", "A", "B"]
    assert len(panels[0].patches) == 1 and len(panels[3].patches) == 0
    rect = panels[0].patches[0]
    assert (rect.get_x(), rect.get_y(), rect.get_width(), rect.get_height()) == (1, 1, 3, 4)


def test_method_grid_checks_lengths():
    with pytest.raises(ValueError, match="has 1 maps for 2 images"):
        method_grid([np.zeros((4, 4, 3))] * 2, {"A": [np.zeros((4, 4))]})


@pytest.mark.parametrize("size", [(227, 227), (500, 375), (333, 500)])
def test_crop_boxes_follows_torchvision_resize_and_centre_crop(size):
    width, height = size
    box = np.array([0.3 * width, 0.25 * height, 0.7 * width, 0.8 * height])
    canvas = np.zeros((height, width), dtype=np.uint8)
    canvas[int(box[1]) : int(box[3]) + 1, int(box[0]) : int(box[2]) + 1] = 255
    crop = transforms.Compose(
        [
            transforms.Resize(256, interpolation=transforms.InterpolationMode.NEAREST),
            transforms.CenterCrop(224),
        ]
    )(Image.fromarray(canvas))
    rows, cols = np.nonzero(np.asarray(crop) > 127)
    expected = [cols.min(), rows.min(), cols.max(), rows.max()]
    mapped = crop_boxes(box[None], size)
    assert mapped.shape == (1, 4)
    np.testing.assert_allclose(mapped[0], expected, atol=2.5)


def test_crop_boxes_clips_and_drops_boxes_outside_the_crop():
    # 227 x 227 -> 256 x 256 -> crop from 16 to 240: a box in the first 10 px is cut away.
    boxes = np.array([[0, 0, 10, 10], [0, 100, 226, 120]], dtype=np.float32)
    mapped = crop_boxes(boxes, (227, 227))
    assert mapped.shape == (1, 4)
    assert mapped[0, 0] == 0 and mapped[0, 2] == 223
    assert mapped[0, 1] == pytest.approx(100 * 256 / 227 - 16)


def test_top_mass_share_extremes():
    assert top_mass_share(np.ones((10, 10)), 0.1) == pytest.approx(0.1)
    spike = np.zeros((10, 10))
    spike[3, 4] = 2.0
    assert top_mass_share(spike, 0.1) == 1.0
    assert top_mass_share(-np.ones((4, 4))) == 0.0
    # Negative values do not count; 2 of 4 positive pixels: top 25% (1 px) holds 3 / 4.
    assert top_mass_share(np.array([[3.0, 1.0], [-5.0, 0.0]]), 0.25) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        top_mass_share(spike, 0.0)


def test_mass_in_mask():
    values = np.array([[1.0, 3.0], [-2.0, 0.0]])
    assert mass_in_mask(values, np.array([[0, 1], [1, 1]])) == pytest.approx(0.75)
    assert mass_in_mask(-np.ones((2, 2)), np.ones((2, 2))) == 0.0
    with pytest.raises(ValueError, match="does not match"):
        mass_in_mask(values, np.ones((3, 3)))


def test_cropped_mask_lines_up_with_the_crop(tmp_path):
    graded = np.zeros((300, 400), dtype=np.uint8)
    graded[:, 200:] = 200  # right half: most annotators
    graded[:, :40] = 100  # a strip marked by fewer than half
    path = tmp_path / "m.png"
    Image.fromarray(graded).save(path)
    crop = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])
    mask = cropped_mask(path, crop)
    assert mask.shape == (224, 224) and mask.dtype == bool
    # 400 x 300 -> 341 x 256, crop from x = 58: the half line at 200 lands near 170 - 58 = 112.
    assert not mask[:, :100].any() and mask[:, 120:].all()
