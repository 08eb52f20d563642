"""Markdown tables of the localisation summaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from licnn.experiments.localisation.inputs import _class_free
from licnn.methods import label as method_label
from licnn.methods import (
    registered,
)
from licnn.tables import format_table

# --- tables and figures -------------------------------------------------------------------


def interval(summary: Mapping[str, float], value: str = "mean") -> str:
    """``0.512 [0.470, 0.553]`` from a summary with ``value``, ``low`` and ``high``."""
    return f"{summary[value]:.3f} [{summary['low']:.3f}, {summary['high']:.3f}]"


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
