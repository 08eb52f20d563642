"""The report's headline numbers, read from the notebooks' results files.

The first page of the book shows a table of the key numbers of every chapter. It is
generated from ``book/results/NN_name.json`` by :func:`headline_table` (and written to
``book/headline.md`` by ``scripts/build_book.py``), so the summary can never disagree with
the chapters it summarises. A chapter whose results file is missing is left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str]  # measure, value, data, chapter

HEADER = ("Measure", "EfficientNet-Lite0 (unless stated)", "Data", "Ch.")


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


#: The pointing-game methods of the headline rows, with their names there.
_POINTING_METHODS = (
    ("licnn_attention", "LICNN attention"),
    ("grad_cam", "Grad-CAM"),
    ("centre_prior", "centre prior"),
)
#: The pointing game's subset the headline shows: boxes under this share of the image.
_SMALL_BOX_SHARE = 0.25


def _quantitative(r: dict[str, Any]) -> list[Row]:
    pg = r["pointing_game"]
    ps = r["pascal_s"]
    n_boxes = pg["licnn_attention"]["gt"]["n"]
    n_masks = ps["licnn_saliency"]["n"]
    pointing = "; ".join(f"{label} {_f(pg[m]['gt']['accuracy'])}" for m, label in _POINTING_METHODS)
    has_s = "s_measure" in ps["licnn_saliency"]
    mask_methods = [
        ("licnn_saliency", "LICNN saliency"),
        ("grad_cam", "Grad-CAM"),
        ("spectral_residual", "spectral residual"),
        ("centre_prior", "centre prior"),
    ]
    pascal = "; ".join(
        f"{label} {_f(ps[m]['f_measure']['max'])}"
        + (f" / {_f(ps[m]['s_measure']['mean'])}" if has_s else "")
        + f" / {_f(ps[m]['mae']['mean'])}"
        for m, label in mask_methods
        if m in ps
    )
    rows = [
        (
            "Pointing game (ground-truth class, 15 px tolerance)",
            pointing,
            f"`imagenet-val-1300`, {n_boxes} images, whole image resized",
            _link("08_quantitative_evaluation"),
        )
    ]
    # Imported here: the headline module itself stays free of torch (and quick to import).
    from licnn.experiments.localisation.subsets import subset_label

    small_label = subset_label(_SMALL_BOX_SHARE)
    small = r.get("pointing_game_subsets", {}).get("gt", {}).get(small_label)
    if small is not None:
        label, subset = small_label, small
        cells = "; ".join(
            f"{name} {_f(subset['methods'][m]['rate'])}" for m, name in _POINTING_METHODS
        )
        rows.append(
            (
                f"Pointing game (ground-truth class), images with {label}",
                cells,
                f"`imagenet-val-1300`, {subset['n']} of {n_boxes} images",
                _link("08_quantitative_evaluation"),
            )
        )
    rows.append(
        (
            "Salient objects: max F-measure (β² = 0.3)"
            + (" / S-measure" if has_s else "")
            + " / MAE",
            pascal,
            f"`pascal-s`, {n_masks} images",
            _link("08_quantitative_evaluation"),
        )
    )
    return rows


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


Extractor = Callable[[dict[str, Any]], list[Row]]

SECTIONS: tuple[tuple[str, Extractor], ...] = (
    ("01_overview", _overview),
    (
        "04_cascading_randomisation",
        lambda r: _sanity(r, _link("04_cascading_randomisation"), "Cascading randomisation"),
    ),
    ("06_blur_experiments", _blur),
    ("07_background_influence", _background),
    ("08_quantitative_evaluation", _quantitative),
)
#: Rows that time the implementation: they depend on the machine, not on the science.
TIMING_SECTIONS: tuple[tuple[str, Extractor], ...] = (("09_performance", _performance),)

_SLUG = re.compile(r"`([a-z0-9][a-z0-9-]*)`")


def _named(row: Row, names: dict[str, str]) -> Row:
    """``row`` with each dataset slug in its data column named in words, the slug in brackets."""
    measure, value, data, chapter = row

    def name(match: re.Match[str]) -> str:
        slug = match.group(1)
        return f"{names[slug]} ({match.group(0)})" if slug in names else match.group(0)

    return measure, value, _SLUG.sub(name, data), chapter


def headline_rows(
    results_dir: str | Path,
    names: dict[str, str] | None = None,
    sections: tuple[tuple[str, Extractor], ...] = SECTIONS,
) -> list[Row]:
    """Rows (measure, value, data, chapter) of every chapter whose results file exists.

    ``names`` maps dataset slugs to words (``book/claims.yml`` holds them for the book).
    """
    folder = Path(results_dir)
    rows: list[Row] = []
    for name, extract in sections:
        path = folder / f"{name}.json"
        if path.is_file():
            rows.extend(_named(row, names or {}) for row in extract(json.loads(path.read_text())))
    return rows


def _table(rows: list[Row]) -> list[str]:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def headline_table(results_dir: str | Path, names: dict[str, str] | None = None) -> str:
    """The headline rows as Markdown: the results, then the timings (a note says generated)."""
    lines = [
        # The module's old name (an alias now), so that the committed book/*.md stay as they are.
        "<!-- Generated by scripts/build_book.py from book/results/*.json "
        "(licnn.report.headline); do not edit. -->",
        "",
        "**Results.**",
        "",
        *_table(headline_rows(results_dir, names)),
    ]
    timing = headline_rows(results_dir, names, TIMING_SECTIONS)
    if timing:
        lines += [
            "",
            "**Timings** (they depend on the machine; each row names the device and threads).",
            "",
            *_table(timing),
        ]
    return "\n".join(lines) + "\n"


#: The blur variants of the front page's figure, in the order drawn.
FIGURE_VARIANTS = (
    ("original", "original"),
    ("background_r2", "bg 2"),
    ("background_r5", "bg 5"),
    ("background_r10", "bg 10"),
    ("object_r2", "obj 2"),
    ("object_r5", "obj 5"),
    ("object_r10", "obj 10"),
)


def front_figure(results_dir: str | Path) -> Any:
    """The front page's figure: accuracy with the background or the object blurred.

    Top-1 and top-5 accuracy of each variant with its 95% interval, for the natural images
    and for the ImageNet-A proxy, from ``06_blur_experiments.json`` (None when it is missing).
    The title names the model, data and sample sizes. Made without pyplot.
    """
    path = Path(results_dir) / "06_blur_experiments.json"
    if not path.is_file():
        return None
    import numpy as np
    from matplotlib.figure import Figure

    r = json.loads(path.read_text())
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    x = np.arange(len(FIGURE_VARIANTS))
    for ax, key, label in zip(
        axes, ("natural", "adversarial"), ("natural images", "ImageNet-A proxy"), strict=True
    ):
        part = r[key]
        for offset, k, colour in ((-0.2, "top1", "#1f77b4"), (0.2, "top5", "#ff7f0e")):
            acc = [part[k][v]["accuracy"] for v, _ in FIGURE_VARIANTS]
            lows = [part[k][v]["ci"][0] for v, _ in FIGURE_VARIANTS]
            highs = [part[k][v]["ci"][1] for v, _ in FIGURE_VARIANTS]
            err = np.array([np.subtract(acc, lows), np.subtract(highs, acc)])
            ax.bar(
                x + offset,
                acc,
                0.4,
                yerr=err,
                capsize=2,
                color=colour,
                label=k.replace("top", "top-"),
            )
        ax.set_xticks(x, [v for _, v in FIGURE_VARIANTS], fontsize=9)
        ax.set_xlabel("blurred: background (bg) or object (obj), Gaussian radius in px", fontsize=9)
        ax.set_title(f"{label} ({part['dataset']}), n = {part['n_images']}", fontsize=10)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("accuracy (95% interval)")
    axes[0].legend(loc="upper right", fontsize=8)
    fig.suptitle(
        "Accuracy with the background or LICNN's salient object blurred; "
        f"{r.get('model', 'efficientnet-lite0')}, ImageNet weights",
        fontsize=10,
    )
    return fig


def write_front_figure(results_dir: str | Path, path: str | Path) -> bool:
    """Save :func:`front_figure` as an SVG with no date or random ids (so it diffs cleanly)."""
    import matplotlib

    fig = front_figure(results_dir)
    if fig is None:
        return False
    # Text as paths: the figure looks the same whatever fonts the reader's browser has.
    with matplotlib.rc_context({"svg.hashsalt": "licnn", "svg.fonttype": "path"}):
        fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
    return True
