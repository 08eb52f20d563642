"""The mask-area tables and the numbers the report's verdicts rest on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from licnn.experiments.blur.mask_area.grid import SEED, SOURCE_LABELS

# --- tables and the numbers the verdicts rest on --------------------------------------------


def _interval_text(entry: Mapping[str, Any]) -> str:
    low, high = entry["ci"]
    text = f"{entry['difference']:+.3f} [{low:+.3f}, {high:+.3f}]"
    holm_p = entry.get("mcnemar", {}).get("holm_p")
    return text if holm_p is None else f"{text}, Holm p {holm_p:.2g}"


def control_table(
    summary: Mapping[str, Any],
    variant: str,
    metric: str,
    points: Sequence[str] = ("q0.3", "q0.76", SEED),
    reference: str = "licnn",
) -> str:
    """Markdown table: per source and area point, accuracy (share of the original) and the
    paired difference from ``reference`` at the same area (95% bootstrap interval, and the
    exact McNemar p-value Holm-adjusted over the variant's family of comparisons)."""
    from licnn.tables import format_table

    base = summary["original"][metric]["accuracy"]
    header = ["mask source"]
    for point in points:
        name = "seed threshold's area" if point == SEED else f"area {point[1:]}"
        header += [f"{name}: accuracy (share)", f"{name}: minus {SOURCE_LABELS[reference]}"]
    rows = []
    for source, cells in summary["sources"].items():
        if source == "boxes":
            continue
        row: list[Any] = [SOURCE_LABELS.get(source, source)]
        for point in points:
            cell = cells.get(point, {}).get(variant)
            if cell is None:
                row += ["-", "-"]
                continue
            entry = cell[metric]
            share = entry["accuracy"] / base if base else float("nan")
            row.append(f"{entry['accuracy']:.3f} ({share:.0%})")
            other = entry.get(f"vs_{reference}")
            row.append(_interval_text(other) if other else "-")
        rows.append(row)
    boxes = summary["sources"].get("boxes", {}).get("own", {}).get(variant)
    if boxes is not None:
        entry = boxes[metric]
        share = entry["accuracy"] / base if base else float("nan")
        text = f"{entry['accuracy']:.3f} ({share:.0%}) at area {boxes['area']:.2f}, n={boxes['n']}"
        rows.append([SOURCE_LABELS["boxes"], text, *["-"] * (2 * len(points) - 1)])
    return format_table(header, rows)


def key_numbers(summary: Mapping[str, Any], radius: int = 10) -> dict[str, Any]:
    """The numbers chapter 6's verdicts rest on, at ``radius``.

    ``object_top5_share_q0.3``: object-blur top-5 accuracy as a share of the original's, with
    the 0.3 masks of each source; ``background_top1_change_q0.76``: the paired change of
    top-1 accuracy from the original under background blur with the 0.76 masks (interval);
    ``*_minus_licnn``: each control's paired difference from LICNN at the same area.
    """
    out: dict[str, Any] = {"radius": radius, "n_images": summary["n_images"]}
    for name, point, kind, metric, field_name in (
        ("object_top5_share_q0.3", "q0.3", "object", "top5", "share"),
        ("background_top1_change_q0.76", "q0.76", "background", "top1", "change"),
        ("object_top5_share_seed", SEED, "object", "top5", "share"),
        ("background_top1_change_seed", SEED, "background", "top1", "change"),
    ):
        base = summary["original"][metric]["accuracy"]
        per_source: dict[str, Any] = {}
        for source, cells in summary["sources"].items():
            cell = cells.get(point, {}).get(f"{kind}_r{radius:g}")
            if cell is None:
                continue
            entry = cell[metric]
            value: dict[str, Any] = {"accuracy": entry["accuracy"], "area": cell["area"]}
            if field_name == "share":
                value["share"] = entry["accuracy"] / base if base else float("nan")
            else:
                value["change"] = entry["vs_original"]["difference"]
                value["change_ci"] = entry["vs_original"]["ci"]
            if "vs_licnn" in entry:
                value["minus_licnn"] = entry["vs_licnn"]["difference"]
                value["minus_licnn_ci"] = entry["vs_licnn"]["ci"]
                value["mcnemar_p"] = entry["vs_licnn"]["mcnemar"]["p_value"]
                value["holm_p"] = entry["vs_licnn"]["mcnemar"].get("holm_p")
            per_source[source] = value
        out[name] = per_source
    return out


def key_lines(numbers: Mapping[str, Any]) -> str:
    """:func:`key_numbers` in words, one line per source and measure."""
    lines = [f"r={numbers['radius']}, n={numbers['n_images']}"]
    for name in (
        "object_top5_share_q0.3",
        "object_top5_share_seed",
        "background_top1_change_q0.76",
        "background_top1_change_seed",
    ):
        lines.append(name.replace("_", " ") + ":")
        for source, value in numbers.get(name, {}).items():
            if "share" in value:
                text = f"{value['share']:.0%} of the original ({value['accuracy']:.3f})"
            else:
                low, high = value["change_ci"]
                text = f"{value['change']:+.3f} [{low:+.3f}, {high:+.3f}]"
            if "minus_licnn" in value:
                low, high = value["minus_licnn_ci"]
                text += (
                    f"; minus LICNN {value['minus_licnn']:+.3f} [{low:+.3f}, {high:+.3f}]"
                    f", McNemar p={value['mcnemar_p']:.2g}"
                )
                if value.get("holm_p") is not None:
                    text += f" (Holm {value['holm_p']:.2g})"
            lines.append(
                f"  {SOURCE_LABELS.get(source, source):<28} area {value['area']:.2f}: {text}"
            )
    return "\n".join(lines)


def rescue_markdown(
    table: Mapping[str, Mapping[str, Mapping[str, int]]], labels: Mapping[str, str] | None = None
) -> str:
    """Markdown table of :func:`rescue_table`: images put right and wrong, top-1 and top-5."""
    from licnn.tables import format_table

    header = ["background blur (r=10) with", "top-1 rescued", "top-1 lost", "top-5 rescued"]
    header += ["top-5 lost", "images"]
    rows = []
    for name, cells in table.items():
        label = (labels or {}).get(name, name)
        t1, t5 = cells["top1"], cells["top5"]
        rows.append([label, t1["rescued"], t1["lost"], t5["rescued"], t5["lost"], t1["n"]])
    return format_table(header, rows)
