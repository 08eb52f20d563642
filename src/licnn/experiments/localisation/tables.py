"""Markdown tables of the localisation summaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from licnn.experiments.localisation.inputs import _class_free
from licnn.methods import label as method_label
from licnn.methods import (
    registered,
)
from licnn.tables import format_table, interval_text

# --- tables and figures -------------------------------------------------------------------


def interval(summary: Mapping[str, float], value: str = "mean") -> str:
    """``0.512 [0.470, 0.553]`` from a summary with ``value``, ``low`` and ``high``."""
    return interval_text(summary, value)


ROLE_LABELS = {"gt": "ground truth", "pred": "predicted top-1"}


def box_table(summaries: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """Markdown table of :func:`summarise_boxes` results, ``summaries[method][role]``."""
    rows = []
    for method, roles in summaries.items():
        # A name the registry does not know is labelled as itself, one row per class.
        class_free = method in registered() and _class_free(method)
        for role, summary in roles.items():
            pg = summary["pointing_game"]
            rows.append(
                [
                    method_label(method),
                    "any (class-free)" if class_free else ROLE_LABELS[role],
                    interval(pg, "accuracy"),
                    interval(summary["energy_in_boxes"]),
                    interval(summary["box_iou"]),
                ]
            )
            if class_free:
                break
    header = ["method", "class explained", "pointing game", "energy in boxes", "box IoU"]
    return format_table(header, rows)


def mask_table(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown table of :func:`summarise_masks` results, ``summaries[method]``."""
    rows = [
        [
            method_label(method),
            interval(summary["f_measure"], "max"),
            f"{summary['f_measure']['threshold']:.2f}",
            interval(summary["adaptive_f_measure"]),
            interval(summary["mae"]),
        ]
        for method, summary in summaries.items()
    ]
    header = ["method", "max F-measure", "at threshold", "adaptive F-measure", "MAE"]
    return format_table(header, rows)


def sod_table(summaries: Mapping[str, Mapping[str, Any]]) -> str:
    """The field's other salient-object measures of :func:`summarise_masks`, one row per method.

    Mean F-measure (over the thresholds), S-measure, max E-measure, adaptive E-measure and
    weighted F-measure, each with its 95% interval where it has one.
    """
    rows = []
    for method, summary in summaries.items():
        e = summary["e_measure"]
        rows.append(
            [
                method_label(method),
                interval(summary["mean_f_measure"]),
                interval(summary["s_measure"]),
                f"{e['max']:.3f}",
                interval(summary["adaptive_e_measure"]),
                interval(summary["weighted_f_measure"]),
            ]
        )
    header = ["method", "mean F", "S-measure", "max E", "adaptive E", "weighted F"]
    return format_table(header, rows)


def models_mask_table(summaries: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """Salient-object measures of the same methods on the same images under several models.

    ``summaries[model][method]`` are :func:`summarise_masks` results; one row per method and
    model: max F-measure, S-measure and MAE with their 95% intervals.
    """
    rows = []
    methods = dict.fromkeys(m for per_model in summaries.values() for m in per_model)
    for method in methods:
        for model, per_model in summaries.items():
            if method not in per_model:
                continue
            s = per_model[method]
            rows.append(
                [
                    method_label(method),
                    model,
                    interval(s["f_measure"], "max"),
                    interval(s["s_measure"]),
                    interval(s["mae"]),
                ]
            )
    return format_table(["method", "model", "max F-measure", "S-measure", "MAE"], rows)
