"""licnn.experiments.localisation.quick_pointing gives chapter 3's pointing-game numbers."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from licnn.baselines import MAGNITUDE_METHODS, make_method
from licnn.data import iter_images, load_dataset
from licnn.experiments.localisation import quick_pointing, quick_pointing_table
from licnn.figures import crop_boxes
from licnn.metrics import boxes_to_mask, energy_in_boxes, pointing_game
from licnn.stats import mean_ci, proportion_ci

METHODS = ("gradient", "centre_prior")


def _notebook_cell(model, val, methods, n_pointing, tolerance, ig_steps):
    """The cell of notebooks/03_comparison.py that starts ``point_records = ...``, copied
    (with its imports) as the oracle: its scores and the dict it saves under "pointing_game"."""
    point_records = list(val[:n_pointing])
    point_pairs = list(iter_images(point_records))
    point_x = torch.stack([model.preprocess(image) for _, image in point_pairs])
    labels = torch.tensor([rec.label for rec, _ in point_pairs])
    point_boxes = [
        crop_boxes(rec.boxes, image.size, model.resize_size, model.input_size)
        for rec, image in point_pairs
    ]
    magnitude = MAGNITUDE_METHODS
    scores = {}
    for method in methods:
        explainer = make_method(method, model, ig_steps=ig_steps)
        maps = torch.cat(
            [
                explainer.attribute(point_x[i : i + 8], labels[i : i + 8])
                for i in range(0, len(point_x), 8)
            ]
        ).numpy()
        if method in magnitude:
            maps = np.abs(maps)
        hits = [pointing_game(m, b, tolerance) for m, b in zip(maps, point_boxes, strict=True)]
        energy = [energy_in_boxes(m, b) for m, b in zip(maps, point_boxes, strict=True)]
        low, high = proportion_ci(sum(hits), len(hits))
        scores[method] = {
            "hits": int(sum(hits)),
            "n": len(hits),
            "hit_rate": sum(hits) / len(hits),
            "hit_low": low,
            "hit_high": high,
            "energy": mean_ci(energy),
        }
    box_area = mean_ci([boxes_to_mask(b, (model.input_size,) * 2).mean() for b in point_boxes])
    return {
        "n_images": len(point_pairs),
        "tolerance_px": tolerance,
        "ig_steps": ig_steps,
        "box_area_share": box_area,
        "methods": scores,
    }


@pytest.fixture(scope="module")
def val(data_dir):
    return load_dataset("imagenet-val-1300", root=data_dir)


def test_quick_pointing_matches_the_notebook_cell(lite0, val):
    expected = _notebook_cell(lite0, val, METHODS, n_pointing=2, tolerance=15, ig_steps=32)
    result = quick_pointing(lite0, val[:2], METHODS, tolerance=15, ig_steps=32)
    assert result == expected
    assert list(result["methods"]) == list(METHODS) and result["n_images"] == 2
    json.dumps(result)

    table = quick_pointing_table(result).splitlines()
    assert table[0] == "| method | pointing game | mass in boxes |"
    assert len(table) == 2 + len(METHODS)
    s = result["methods"]["centre_prior"]
    assert table[3].startswith(f"| Centre prior | {s['hits']}/2 {s['hit_rate']:.2f} [")


def test_quick_pointing_needs_labels_and_boxes(lite0, val):
    bare = [dataclasses.replace(val[0], boxes=None)]
    with pytest.raises(ValueError, match="label and boxes"):
        quick_pointing(lite0, bare, METHODS)
