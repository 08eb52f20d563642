"""Which of LICNN's settings matter: one factor changed at a time from the defaults.

Each :class:`Setting` is the default :class:`licnn.core.config.LICNNConfig` with one field
changed (:data:`FACTORS`), plus, optionally, the seed author's code's three choices
together (:meth:`LICNNConfig.seed_code`). :func:`run_ablation` scores every setting on both
benchmarks of :mod:`licnn.experiments.localisation`: the pointing game of the attention map of the
ground-truth class on image boxes, and salient object detection with the top-5 saliency
map on PASCAL-S, each compared with the default on the same images (paired tests).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from licnn.core.config import LICNNConfig
from licnn.experiments.localisation import (
    BoxBenchmark,
    MaskBenchmark,
    paired_f_difference,
    summarise_boxes,
    summarise_masks,
)
from licnn.metrics.stats import holm, mcnemar, mean_ci
from licnn.tables import format_table

#: The values tried for each LICNNConfig field (the default is among them).
FACTORS: dict[str, tuple[Any, ...]] = {
    "a": (0.0, 0.1, 0.5),
    "b": (0.0, 0.9),
    "k": (3, 5, 7, 9),
    "score": ("softmax", "logit"),
    "layer_norm": (True, False),
    "gate_last": (True, False),
    "resize": ("bilinear", "nearest"),
    "kind": ("response", "gradient"),
}
#: Readable names of the factors for tables and figures.
FACTOR_LABELS = {
    "default": "defaults (seed text)",
    "a": "average term weight a",
    "b": "differential term weight b",
    "k": "inhibition zone k",
    "score": "back-propagated score",
    "layer_norm": "per-layer Sum-C normalisation",
    "gate_last": "last layer gated",
    "resize": "Sum-C resize",
    "kind": "map kind",
    "seed_code": "seed code's three choices",
}


@dataclass(frozen=True)
class Setting:
    """One configuration of the ablation: the factor changed, its value and the whole config."""

    factor: str
    value: str
    config: LICNNConfig

    @property
    def label(self) -> str:
        if self.factor == "default":
            return "default"
        if self.factor == "seed_code":
            return "seed code (no layer norm, last ungated, nearest)"
        return f"{self.factor} = {self.value}"


def ablation_settings(
    base: LICNNConfig | None = None,
    factors: Sequence[str] | None = None,
    with_seed_code: bool = True,
) -> list[Setting]:
    """The default first, then every other value of each factor, then the seed code's choices.

    ``factors`` picks which fields of :data:`FACTORS` to vary (``None``: all, in order).
    """
    base = base or LICNNConfig()
    names = list(FACTORS) if factors is None else list(factors)
    unknown = [n for n in names if n not in FACTORS]
    if unknown:
        raise ValueError(f"unknown ablation factors {unknown}; choose from {list(FACTORS)}")
    settings = [Setting("default", "-", base)]
    for name in names:
        for value in FACTORS[name]:
            if value != getattr(base, name):
                settings.append(Setting(name, str(value), base.replace(**{name: value})))
    if with_seed_code:
        # The released code differs from the text in these three fields (LICNNConfig.seed_code).
        code = base.replace(layer_norm=False, gate_last=False, resize="nearest")
        if code != base:
            settings.append(Setting("seed_code", "all three", code))
    return settings


def run_ablation(
    boxes: BoxBenchmark, masks: MaskBenchmark, settings: Sequence[Setting]
) -> list[dict[str, Any]]:
    """Scores of every setting on both benchmarks, and paired differences from the first.

    The first setting is the reference (the default). Each row holds the setting, the
    pointing-game summary (attention map of the ground-truth class), the PASCAL-S summary
    (saliency map), and against the reference: McNemar's test of the pointing-game hits, the
    paired bootstrap interval of the max F-measure difference and the mean MAE difference.
    The McNemar p-values are also Holm-adjusted over all the rows (:func:`add_holm`).
    """
    if not settings:
        raise ValueError("run_ablation needs at least one setting")
    # All settings are computed together, image by image: they share the forward and
    # backward passes, and settings that differ only after the gating share the gated pass.
    configs = [setting.config for setting in settings]
    all_boxes = boxes.scores_configs("licnn_attention", "gt", configs)
    all_masks = masks.scores_configs("licnn_saliency", configs)
    reference_boxes, reference_masks = all_boxes[0], all_masks[0]
    rows = []
    for setting, box_scores, mask_scores in zip(settings, all_boxes, all_masks, strict=True):
        row: dict[str, Any] = {
            "factor": setting.factor,
            "value": setting.value,
            "label": setting.label,
            "config": setting.config.as_dict(),
            "pointing_game": summarise_boxes(box_scores)["pointing_game"],
            "pascal_s": summarise_masks(mask_scores),
        }
        if setting is not settings[0]:
            hits = np.asarray(box_scores["hit"], dtype=bool)
            ref_hits = np.asarray(reference_boxes["hit"], dtype=bool)
            row["versus_default"] = {
                "pointing_game": {
                    "difference": float(hits.mean() - ref_hits.mean()),
                    **mcnemar(hits, ref_hits),
                },
                "f_measure": paired_f_difference(mask_scores, reference_masks),
                "mae": mean_ci(np.asarray(mask_scores["mae"]) - np.asarray(reference_masks["mae"])),
            }
        rows.append(row)
    return add_holm(rows)


def add_holm(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``p_holm``, the Holm-adjusted McNemar p-value, next to ``p_value`` in every row.

    The family is every paired comparison of the table (each setting against the default),
    so a setting reads as different from the default only if it stays so after the
    correction for the other comparisons (:func:`licnn.metrics.stats.holm`). The raw
    ``p_value`` is kept. Rows without ``versus_default`` (the reference) are left as they
    are. Changes the rows in place and returns them.
    """
    tests = [row["versus_default"]["pointing_game"] for row in rows if "versus_default" in row]
    adjusted: list[float] = holm([t["p_value"] for t in tests]).tolist() if tests else []
    for test, p in zip(tests, adjusted, strict=True):
        test["p_holm"] = float(p)
    return rows


def ablation_table(rows: Sequence[Mapping[str, Any]], holm_column: bool = False) -> str:
    """A plain-text table of :func:`run_ablation`'s rows with intervals and paired tests.

    With ``holm_column``, the Holm adjustment of the McNemar p-value over the table's
    comparisons is shown beside the raw one (blank for rows made before :func:`add_holm`
    existed). Off by default so that tables printed before it existed read the same.
    """
    header = [
        "setting",
        "pointing game [95% CI]",
        "d",
        "p (McNemar)",
        "p (Holm)",
        "max F [95% CI]",
        "d [95% CI]",
        "MAE",
        "d MAE [95% CI]",
    ]
    table = []
    for row in rows:
        pg = row["pointing_game"]
        f = row["pascal_s"]["f_measure"]
        mae = row["pascal_s"]["mae"]
        cells = [
            row["label"],
            f"{pg['accuracy']:.3f} [{pg['low']:.3f}, {pg['high']:.3f}]",
            "",
            "",
            "",
            f"{f['max']:.3f} [{f['low']:.3f}, {f['high']:.3f}]",
            "",
            f"{mae['mean']:.3f}",
            "",
        ]
        versus = row.get("versus_default")
        if versus:
            d_f = versus["f_measure"]
            d_mae = versus["mae"]
            cells[2] = f"{versus['pointing_game']['difference']:+.3f}"
            cells[3] = f"{versus['pointing_game']['p_value']:.3f}"
            holm_p = versus["pointing_game"].get("p_holm")
            cells[4] = "" if holm_p is None else f"{holm_p:.3f}"
            cells[6] = f"{d_f['difference']:+.3f} [{d_f['low']:+.3f}, {d_f['high']:+.3f}]"
            cells[8] = f"{d_mae['mean']:+.3f} [{d_mae['low']:+.3f}, {d_mae['high']:+.3f}]"
        table.append(cells)
    if not holm_column:
        header = header[:4] + header[5:]
        table = [cells[:4] + cells[5:] for cells in table]
    return format_table(header, table)


def ablation_figure(rows: Sequence[Mapping[str, Any]], title: str) -> Figure:
    """Pointing-game accuracy and PASCAL-S max F-measure of each setting, with 95% intervals."""
    labels = [row["label"] for row in rows]
    y = np.arange(len(rows))[::-1]
    fig = Figure(figsize=(11.0, 0.38 * len(rows) + 1.6))
    left, right = fig.subplots(1, 2, sharey=True)
    panels = (
        (left, "pointing_game", "accuracy", "pointing-game accuracy (ground-truth class)"),
        (right, "f_measure", "max", "PASCAL-S max F-measure (saliency map)"),
    )
    for ax, key, value, xlabel in panels:
        stats = [
            row["pointing_game"] if key == "pointing_game" else row["pascal_s"]["f_measure"]
            for row in rows
        ]
        values = np.array([s[value] for s in stats])
        errors = np.array(
            [[s[value] - s["low"] for s in stats], [s["high"] - s[value] for s in stats]]
        )
        colours = ["black" if row["factor"] == "default" else "tab:blue" for row in rows]
        ax.errorbar(values, y, xerr=np.maximum(errors, 0), fmt="none", ecolor="grey", capsize=3)
        ax.scatter(values, y, c=colours, zorder=3)
        ax.axvline(values[0], color="black", lw=0.8, ls="--")
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
    left.set_yticks(y, labels)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
