"""Paired pointing-game comparisons: McNemar's test on the same images, Holm-adjusted.

Two methods scored on the same images differ only on the images one hits and the other
misses, so :func:`paired_pointing` tests each pair with McNemar's exact test
(:func:`licnn.metrics.stats.mcnemar`) and adjusts the p-values of the whole family (every
pair under every class role) with Holm's step-down method (:func:`licnn.metrics.stats.holm`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from licnn.experiments.localisation.tables import ROLE_LABELS
from licnn.methods import label as method_label
from licnn.metrics.stats import holm, mcnemar
from licnn.tables import format_table


def paired_pointing(
    box_scores: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]],
    pairs: Sequence[tuple[str, str]],
    roles: Sequence[str] = ("gt", "pred"),
    images: ArrayLike | None = None,
) -> dict[str, dict[str, Any]]:
    """McNemar's test of each pair of methods' pointing-game hits, per class role.

    ``box_scores[method][role]`` are :meth:`BoxBenchmark.scores` (their ``hit`` arrays, in
    the same record order). Returns ``{"<first>_vs_<second>_<role>": entry}``, each entry the
    test's fields (``b``, ``c``: images hit only by the first / only by the second;
    ``p_value``) with ``first``, ``second``, ``role``, ``difference`` (first's rate minus
    second's) and ``p_holm``, the Holm-adjusted p-value over all the entries. ``images``, a
    boolean array in record order, restricts every test to those images (e.g. the small
    boxes of :func:`~licnn.experiments.localisation.box_coverage`); the family is then the
    tests on that subset.
    """
    out: dict[str, dict[str, Any]] = {}
    chosen = None if images is None else np.asarray(images, dtype=bool).ravel()
    for role in roles:
        for first, second in pairs:
            hits_a = np.asarray(box_scores[first][role]["hit"], dtype=bool)
            hits_b = np.asarray(box_scores[second][role]["hit"], dtype=bool)
            if chosen is not None:
                if chosen.shape != hits_a.shape:
                    raise ValueError(f"images selects {chosen.size} of {hits_a.size} images")
                hits_a, hits_b = hits_a[chosen], hits_b[chosen]
            out[f"{first}_vs_{second}_{role}"] = {
                "first": first,
                "second": second,
                "role": role,
                "difference": float(hits_a.mean() - hits_b.mean()),
                **mcnemar(hits_a, hits_b),
            }
    adjusted: list[float] = (
        holm([float(e["p_value"]) for e in out.values()]).tolist() if out else []
    )
    for entry, p in zip(out.values(), adjusted, strict=True):
        entry["p_holm"] = float(p)
    return out


def paired_pointing_table(paired: Mapping[str, Mapping[str, Any]]) -> str:
    """A Markdown table of :func:`paired_pointing`: one row per pair and role."""
    rows = [
        [
            f"{method_label(e['first'])} vs {method_label(e['second'])}",
            ROLE_LABELS[e["role"]],
            f"{e['difference']:+.3f}",
            f"{e['b']} / {e['c']}",
            f"{e['p_value']:.3g}",
            f"{e['p_holm']:.3g}",
        ]
        for e in paired.values()
    ]
    header = ["pointing game", "class", "difference", "hit only by first / second", "p", "p (Holm)"]
    return format_table(header, rows)
