"""The report's headline numbers, read from the notebooks' results files.

The first page of the book shows a table of the key numbers of every chapter. It is
generated from ``book/results/NN_name.json`` by :func:`headline_table` (and written to
``book/headline.md`` by ``scripts/build_book.py``), so the summary can never disagree with
the chapters it summarises. A chapter whose results file is missing is left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str]  # measure, value, data, chapter

HEADER = ("Measure", "EfficientNet-Lite0 (unless stated)", "Data", "Chapter")


def _f(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def _link(name: str) -> str:
    """A Markdown link to chapter ``NN_name`` labelled with its number."""
    return f"[{int(name[:2])}]({name}.ipynb)"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _overview(r: dict[str, Any]) -> list[Row]:
    rows = []
    for name, acc in r["accuracy"].items():
        rows.append(
            (
                "Top-1 / top-5 accuracy (224 px centre crop)",
                f"{_f(acc['top1'])} / {_f(acc['top5'])}",
                f"`{name}`, {acc['n_images']} images",
                _link("01_overview"),
            )
        )
    return rows


def _sanity(r: dict[str, Any], chapter: str, label: str) -> list[Row]:
    last = r["steps"][-1]
    methods = r["methods"]

    def value(method: str) -> str:
        raw = methods[method]["spearman_abs"][last]["mean"]
        own = r["image_specific"][method]["spearman_abs"][last]["mean"]
        return f"{_f(raw, 2)} ({_f(own, 2)})"

    parts = [
        f"LICNN attention {value('licnn_attention')}",
        f"LICNN saliency {value('licnn_saliency')}",
        f"Gradient {value('gradient')}",
        f"Grad-CAM {value('grad_cam')}",
    ]
    measure = (
        f"{label}: Spearman rank correlation with the original map after the last step "
        f"(`{last}`); in brackets, the image-specific part (own minus other image)"
    )
    return [(measure, "; ".join(parts), f"`{r['dataset']}`, {r['n_images']} images", chapter)]


def _blur(r: dict[str, Any]) -> list[Row]:
    rows = []
    for key, label in (("natural", "natural images"), ("adversarial", "adversarial images")):
        part = r[key]
        name = " + ".join(f"`{n}`" for n in part["dataset"].split(" + "))
        if part.get("is_proxy"):
            name += " (ImageNet-A proxy, not ImageNet-A)"
        for k in ("top1", "top5"):
            acc = part[k]
            value = " → ".join(
                _f(acc[v]["accuracy"]) for v in ("original", "background_r10", "object_r10")
            )
            rows.append(
                (
                    f"{k.replace('top', 'Top-')} accuracy on {label}: original → background "
                    "blurred (r = 10) → object blurred (r = 10)",
                    value,
                    f"{name}, {part['n_images']} images, {part['classes']} classes",
                    _link("06_blur_experiments"),
                )
            )
        share = part["mask_share"]["mean"]
        rows.append(
            (
                f"Share of the crop the salient mask covers ({label})",
                _pct(share),
                f"{name}, {part['n_images']} images",
                _link("06_blur_experiments"),
            )
        )
    return rows


def _background(r: dict[str, Any]) -> list[Row]:
    counts = r["counts"]["natural"]["r10"]
    kinds = r["natural"]["kinds"]
    kind_text = "; ".join(
        f"{criterion.replace('top', 'top-')}: "
        + ", ".join(f"kind {kind} {count}" for kind, count in sorted(by_kind.items()))
        for criterion, by_kind in sorted(kinds.items())
    )
    value = (
        f"top-1: {counts['top1']['rescued']} right only when blurred, "
        f"{counts['top1']['lost']} right only when sharp; top-5: "
        f"{counts['top5']['rescued']} and {counts['top5']['lost']}"
    )
    return [
        (
            "Images whose prediction a blurred background (r = 10) corrects, and the reverse",
            value,
            f"natural images, {counts['top1']['n']} images",
            _link("07_background_influence"),
        ),
        (
            "Corrected images by the seed's two kinds of background influence (rule in chapter 7)",
            kind_text or "none",
            "natural images",
            _link("07_background_influence"),
        ),
    ]


def _quantitative(r: dict[str, Any]) -> list[Row]:
    pg = r["pointing_game"]
    ps = r["pascal_s"]
    n_boxes = pg["licnn_attention"]["gt"]["n"]
    n_masks = ps["licnn_saliency"]["n"]
    pointing = "; ".join(
        f"{label} {_f(pg[m]['gt']['accuracy'])}"
        for m, label in (
            ("licnn_attention", "LICNN attention"),
            ("grad_cam", "Grad-CAM"),
            ("centre_prior", "centre prior"),
        )
    )
    pascal = "; ".join(
        f"{label} {_f(ps[m]['f_measure']['max'])} / {_f(ps[m]['mae']['mean'])}"
        for m, label in (
            ("licnn_saliency", "LICNN saliency"),
            ("grad_cam", "Grad-CAM"),
            ("centre_prior", "centre prior"),
        )
    )
    return [
        (
            "Pointing game (ground-truth class, 15 px tolerance)",
            pointing,
            f"`imagenet-val-1300`, {n_boxes} images, whole image resized",
            _link("08_quantitative_evaluation"),
        ),
        (
            "Salient objects: max F-measure (β² = 0.3) / MAE",
            pascal,
            f"`pascal-s`, {n_masks} images",
            _link("08_quantitative_evaluation"),
        ),
    ]


def _performance(r: dict[str, Any]) -> list[Row]:
    rows = []
    for model, m in r["main"].items():
        value = (
            f"fast {_f(m['fast_s'], 2)} s, reference {_f(m['reference_s'], 2)} s "
            f"(speedup {_f(m['speedup'], 1)}), floor ratio {_f(m['floor_ratio'], 2)}"
        )
        rows.append(
            (
                f"Seconds per image for a top-5 saliency map, `{model}`",
                value,
                f"{m['inputs']}, {m['device']}, {m['threads']} threads, {m['dtype']}",
                _link("09_performance"),
            )
        )
    return rows


SECTIONS: tuple[tuple[str, Callable[[dict[str, Any]], list[Row]]], ...] = (
    ("01_overview", _overview),
    (
        "04_cascading_randomisation",
        lambda r: _sanity(r, _link("04_cascading_randomisation"), "Cascading randomisation"),
    ),
    ("06_blur_experiments", _blur),
    ("07_background_influence", _background),
    ("08_quantitative_evaluation", _quantitative),
    ("09_performance", _performance),
)


def headline_rows(results_dir: str | Path) -> list[Row]:
    """Rows (measure, value, data, chapter) of every chapter whose results file exists."""
    folder = Path(results_dir)
    rows: list[Row] = []
    for name, extract in SECTIONS:
        path = folder / f"{name}.json"
        if path.is_file():
            rows.extend(extract(json.loads(path.read_text())))
    return rows


def headline_table(results_dir: str | Path) -> str:
    """The headline rows as a Markdown table (with a note that it is generated)."""
    rows = headline_rows(results_dir)
    lines = [
        "<!-- Generated by scripts/build_book.py from book/results/*.json "
        "(licnn.headline); do not edit. -->",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
