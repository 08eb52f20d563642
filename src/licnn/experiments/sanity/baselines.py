"""What a similarity in the randomisation tests is to be compared with.

A Spearman correlation of 0.6 between an original and a randomised map says little by itself:
maps of a method can resemble each other without sharing anything about an image, because
the method (or the photographs) favour the centre of the frame. Three reference levels:

- **trained vs other image**: the similarity of an image's trained-model map to the
  trained-model maps of ``partners`` other images (their mean), the level two unrelated maps
  of the same method reach with nothing randomised;
- **centre prior**: each map's Spearman correlation with a fixed centred Gaussian
  (:func:`licnn.metrics.localisation.centre_prior`), for the original and the randomised maps;
- **partial correlation**: the rank correlation of the original and the randomised map with
  the centre prior held fixed (:func:`licnn.metrics.similarity.partial_spearman`), what
  is left once both maps' share of "centred" is taken out.

:func:`end_point` gathers them for one step of a :class:`RandomisationResult`;
:func:`end_point_table` shows several results (protocols, seeds) side by side;
:func:`randomised_end_point` runs the end point with its baselines on another model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from licnn.data import Record
from licnn.experiments.sanity.randomise import layer_groups
from licnn.experiments.sanity.runner import RandomisationResult, original_maps, run_randomisation
from licnn.experiments.sanity.summary import finite_interval
from licnn.methods import label as method_label
from licnn.metrics.similarity import SIMILARITY_KEYS, compare_maps
from licnn.models import LoadedModel


def partner_indices(n: int, partners: int, seed: int = 0) -> NDArray[np.int64]:
    """``n x partners`` indices: for each image, ``partners`` distinct *other* images (seeded)."""
    if n < 2:
        raise ValueError("the trained-vs-other baseline needs at least two images")
    partners = min(partners, n - 1)
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        others = np.delete(np.arange(n), i)
        rows.append(rng.choice(others, size=partners, replace=False))
    return np.asarray(rows, dtype=np.int64)


def trained_other_image(
    originals: Mapping[str, Mapping[str, NDArray[Any]]],
    keys: Sequence[str],
    methods: Sequence[str],
    partners: int = 5,
    seed: int = 0,
) -> dict[str, NDArray[np.float64]]:
    """``{method: images x measures}``: each image's trained map against ``partners`` others' (mean).

    ``originals`` is :func:`licnn.experiments.sanity.original_maps`'s output; measures in the
    order of :data:`~licnn.metrics.similarity.SIMILARITY_KEYS`.
    """
    index = partner_indices(len(keys), partners, seed)
    out = {}
    for name in methods:
        rows = []
        for i, key in enumerate(keys):
            scores = [
                compare_maps(originals[key][name], originals[keys[j]][name]) for j in index[i]
            ]
            rows.append([np.mean([s[k] for s in scores]) for k in SIMILARITY_KEYS])
        out[name] = np.asarray(rows, dtype=np.float64)
    return out


def _interval(values: NDArray[np.float64], confidence: float = 0.95) -> dict[str, float] | None:
    return finite_interval(values, confidence, with_n=True)


#: The columns of :func:`end_point`, in the order the tables show them.
END_POINT_PARTS = {
    "own": "original vs its randomised map",
    "other_image": "original vs another image's randomised map",
    "trained_other_image": "trained maps of two images",
    "original_centre": "trained map vs centre prior",
    "randomised_centre": "randomised map vs centre prior",
    "partial": "original vs randomised, centre prior held fixed",
}


def end_point(
    result: RandomisationResult,
    step: str | None = None,
    trained_other: Mapping[str, NDArray[np.float64]] | None = None,
    confidence: float = 0.95,
) -> dict[str, dict[str, dict[str, float] | None]]:
    """``{method: {part: interval}}`` of the Spearman rank correlation (absolute maps) at ``step``.

    ``step`` defaults to the result's last; parts as in :data:`END_POINT_PARTS`
    (``trained_other_image`` only when ``trained_other`` from :func:`trained_other_image` is given).
    """
    s = result.steps.index(step if step is not None else result.steps[-1])
    j = result.metrics.index("spearman_abs")
    out: dict[str, dict[str, dict[str, float] | None]] = {}
    for name in result.methods:
        parts = {
            "own": _interval(result.values[name][:, s, j], confidence),
            "other_image": _interval(result.other_image[name][:, s, j], confidence),
            "original_centre": _interval(result.original_centre[name], confidence),
            "randomised_centre": _interval(result.centre[name][:, s], confidence),
            "partial": _interval(result.partial[name][:, s], confidence),
        }
        if trained_other is not None:
            parts["trained_other_image"] = _interval(trained_other[name][:, j], confidence)
        out[name] = {p: parts[p] for p in END_POINT_PARTS if p in parts}
    return out


def per_step_baselines(
    result: RandomisationResult, confidence: float = 0.95
) -> dict[str, dict[str, dict[str, dict[str, float] | None]]]:
    """``{method: {"randomised_centre" | "partial": {step: interval}}}`` over every step."""
    return {
        name: {
            "randomised_centre": {
                step: _interval(result.centre[name][:, s], confidence)
                for s, step in enumerate(result.steps)
            },
            "partial": {
                step: _interval(result.partial[name][:, s], confidence)
                for s, step in enumerate(result.steps)
            },
        }
        for name in result.methods
    }


def seed_spread(
    per_seed: Mapping[int, Mapping[str, Mapping[str, dict[str, float] | None]]],
    part: str = "own",
) -> dict[str, dict[str, float]]:
    """``{method: {"mean", "min", "max", "sd", "seeds"}}`` of one part's means across seeds."""
    methods = next(iter(per_seed.values())).keys()
    out = {}
    for name in methods:
        means = [entry["mean"] for seed in per_seed if (entry := per_seed[seed][name].get(part))]
        values = np.asarray(means, dtype=np.float64)
        out[name] = {
            "mean": float(values.mean()),
            "min": float(values.min()),
            "max": float(values.max()),
            "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "seeds": int(values.size),
        }
    return out


def _cell(entry: Mapping[str, float] | None) -> str:
    if not entry:
        return "–"
    return f"{entry['mean']:.2f} [{entry['low']:.2f}, {entry['high']:.2f}]"


def end_point_table(
    points: Mapping[str, Mapping[str, Mapping[str, Mapping[str, float] | None]]],
    method: str,
    parts: Sequence[str] = tuple(END_POINT_PARTS),
) -> str:
    """A Markdown table for one method: one row per entry of ``points`` (label -> :func:`end_point`)."""
    header = "| " + method_label(method) + " | " + " | ".join(END_POINT_PARTS[p] for p in parts)
    lines = [header + " |", "|---" * (len(parts) + 1) + "|"]
    for label, point in points.items():
        if method not in point:
            continue
        cells = [_cell(point[method].get(p)) for p in parts]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def methods_table(
    point: Mapping[str, Mapping[str, Mapping[str, float] | None]],
    parts: Sequence[str] = tuple(END_POINT_PARTS),
) -> str:
    """A Markdown table of one :func:`end_point`: one row per method."""
    header = "| method | " + " | ".join(END_POINT_PARTS[p] for p in parts)
    lines = [header + " |", "|---" * (len(parts) + 1) + "|"]
    for name, entry in point.items():
        lines.append(
            f"| {method_label(name)} | " + " | ".join(_cell(entry.get(p)) for p in parts) + " |"
        )
    return "\n".join(lines)


def variants_table(
    points: Mapping[str, Mapping[str, Mapping[str, Mapping[str, float] | None]]],
    labels: Mapping[str, str] | None = None,
    part: str = "own",
) -> str:
    """A Markdown table of one part across variants: one row per method, one column per variant."""
    methods: list[str] = []
    for point in points.values():
        methods += [m for m in point if m not in methods]
    names = list(points)
    header = "| method | " + " | ".join((labels or {}).get(n, n) for n in names) + " |"
    lines = [header, "|---" * (len(names) + 1) + "|"]
    for name in methods:
        cells = [_cell(points[v][name].get(part)) if name in points[v] else "–" for v in names]
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def step_baseline_table(
    per_step: Mapping[str, Mapping[str, Mapping[str, Mapping[str, float] | None]]],
    part: str = "partial",
) -> str:
    """A Markdown table of :func:`per_step_baselines`' means: one row per method, one column per step."""
    steps = list(next(iter(per_step.values()))[part])
    lines = ["| method | " + " | ".join(steps) + " |", "|---" * (len(steps) + 1) + "|"]
    for name, parts in per_step.items():
        cells = [_cell_mean(parts[part][s]) for s in steps]
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell_mean(entry: Mapping[str, float] | None) -> str:
    return "–" if not entry else f"{entry['mean']:.2f}"


def seed_table(spread: Mapping[str, Mapping[str, float]]) -> str:
    """A Markdown table of :func:`seed_spread`: mean, range and SD of a part across seeds."""
    lines = ["| method | seeds | mean | min | max | SD |", "|---|---|---|---|---|---|"]
    for name, s in spread.items():
        lines.append(
            f"| {method_label(name)} | {s['seeds']} | {s['mean']:.3f} | {s['min']:.3f} "
            f"| {s['max']:.3f} | {s['sd']:.3f} |"
        )
    return "\n".join(lines)


def quantus_table(
    scores: Mapping[str, Mapping[str, NDArray[np.float64]]], labels: Mapping[str, str]
) -> str:
    """A Markdown table of Quantus checks (``{check: {method: per-image values}}``), mean [95% CI].

    A cell whose method has images Quantus did not score (NaN) says how many were scored.
    """
    checks = list(scores)
    methods = list(next(iter(scores.values())))
    lines = [
        "| method | " + " | ".join(labels.get(c, c) for c in checks) + " |",
        "|---" * (len(checks) + 1) + "|",
    ]
    for name in methods:
        cells = []
        for check in checks:
            values = np.asarray(scores[check][name], dtype=np.float64)
            cell = _cell(_interval(values))
            scored = int(np.isfinite(values).sum())
            cells.append(cell if scored == values.size else f"{cell} ({scored} of {values.size})")
        lines.append(f"| {method_label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def randomised_end_point(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    granularity: str = "stage",
    partners: int = 5,
    seed: int = 0,
    ig_steps: int = 16,
    progress: bool = False,
) -> dict[str, dict[str, dict[str, float] | None]]:
    """:func:`end_point` of a cascade run to its end on ``model``, with the trained baselines.

    The sanity check of chapter 4 reduced to what a second model needs: every layer group of
    ``model`` (:func:`~licnn.experiments.sanity.layer_groups` at ``granularity``) is
    re-initialised (seed ``seed``), and each method's map is compared with the trained map
    of the same image, of ``partners`` other images, and with the centre prior. Cached like
    every randomisation run.
    """
    groups = layer_groups(model, granularity)
    last = groups[-1][0]
    result = run_randomisation(
        model, records, "cascading", methods, [last], groups,
        seed=seed, ig_steps=ig_steps, progress=progress,
    )  # fmt: skip
    originals = original_maps(model, records, methods, ig_steps=ig_steps, progress=progress)
    return end_point(result, last, trained_other_image(originals, result.keys, methods, partners))
