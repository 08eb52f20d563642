"""Chapter 3's quick localisation check: the pointing game on the model's centre crop.

Unlike :class:`~licnn.experiments.localisation.BoxBenchmark` (the whole image, resized), this
check scores each method on the model's own input, the centre crop, with the boxes carried
into it by :func:`licnn.imaging.boxes.crop_boxes`. Each method explains the image's
*labelled* class (a class-free method is told it and ignores it); a method scored by its
magnitude (``magnitude`` metadata) is scored on ``|map|``. Two numbers per method: the
pointing game's hits with a Wilson interval, and the mean share of the map's positive mass in
the boxes with a bootstrap interval. :func:`quick_pointing` returns what the comparison
chapter saves under ``"pointing_game"``, and :func:`quick_pointing_table` shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from licnn.data import Record, iter_images
from licnn.imaging.boxes import crop_boxes
from licnn.methods import get_method_class, label, make_method
from licnn.metrics.localisation import boxes_to_mask, energy_in_boxes, pointing_game
from licnn.metrics.stats import mean_ci, proportion_ci
from licnn.models import LoadedModel
from licnn.tables import format_table


def quick_pointing(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    tolerance: float = 15,
    ig_steps: int = 32,
    batch_size: int = 8,
) -> dict[str, Any]:
    """The pointing game and the mass in the boxes of each method, on the centre crop.

    ``records`` need a label and boxes (``imagenet-val-1300``; a ``ValueError`` otherwise); a
    file that cannot be read is skipped. Returns ``n_images``, ``tolerance_px``, ``ig_steps``,
    ``box_area_share`` (the boxes' mean share of the crop, :func:`~licnn.metrics.stats.mean_ci`)
    and ``methods``: ``{name: {hits, n, hit_rate, hit_low, hit_high, energy}}``.
    ``batch_size`` images are explained per call.
    """
    unusable = [r.key or r.path.name for r in records if r.label is None or r.boxes is None]
    if unusable:
        raise ValueError(f"records need a label and boxes; these have not: {unusable[:5]}")
    pairs = list(iter_images(records))
    x = torch.stack([model.preprocess(image) for _, image in pairs]).to(model.device)
    labels = torch.tensor([rec.label for rec, _ in pairs], device=model.device)
    boxes = [
        crop_boxes(np.asarray(rec.boxes), image.size, model.resize_size, model.input_size)
        for rec, image in pairs
    ]
    scores = {}
    for method in methods:
        explainer = make_method(method, model, ig_steps=ig_steps, batch_size=batch_size)
        maps = torch.cat(
            [
                explainer.attribute(x[i : i + batch_size], labels[i : i + batch_size]).cpu()
                for i in range(0, len(x), batch_size)
            ]
        ).numpy()
        if get_method_class(method).magnitude:
            maps = np.abs(maps)
        hits = [pointing_game(m, b, tolerance) for m, b in zip(maps, boxes, strict=True)]
        energy = [energy_in_boxes(m, b) for m, b in zip(maps, boxes, strict=True)]
        low, high = proportion_ci(sum(hits), len(hits))
        scores[method] = {
            "hits": int(sum(hits)),
            "n": len(hits),
            "hit_rate": sum(hits) / len(hits),
            "hit_low": low,
            "hit_high": high,
            "energy": mean_ci(energy),
        }
    area = mean_ci([boxes_to_mask(b, (model.input_size,) * 2).mean() for b in boxes])
    return {
        "n_images": len(pairs),
        "tolerance_px": tolerance,
        "ig_steps": ig_steps,
        "box_area_share": area,
        "methods": scores,
    }


def quick_pointing_table(result: Mapping[str, Any]) -> str:
    """A Markdown table of :func:`quick_pointing`: hits/n, rate [CI] and mean mass [CI]."""
    rows = []
    for method, s in result["methods"].items():
        e = s["energy"]
        rows.append(
            [
                label(method),
                f"{s['hits']}/{s['n']} {s['hit_rate']:.2f} [{s['hit_low']:.2f}, {s['hit_high']:.2f}]",
                f"{e['mean']:.3f} [{e['low']:.3f}, {e['high']:.3f}]",
            ]
        )
    return format_table(["method", "pointing game", "mass in boxes"], rows)
