"""Class specificity: how much a method's map changes when it is asked about another class.

Cao et al. (AAAI-18) present LICNN's attention as category-specific: the map of one class
should pick out that class's evidence, not the image's salient object whatever the class.
A measurement on EfficientNet-Lite0 found the least likely class's attention map to
correlate 0.83 with the top-1 class's, so the claim is worth testing against the baselines.

For each image the model ranks the classes; each *class-specific* method (one whose class
attribute ``class_free`` is False) explains the top-1 class and each compared class of
:data:`CLASS_RANKS`, and every compared map is set against the top-1 map with
:func:`licnn.metrics.similarity.compare_maps`. A method whose map ignores the class scores 1
everywhere; a truly class-specific one scores low. Per-image results are cached
(:class:`licnn.cache.ResultCache`), so a long run resumes where it stopped.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from licnn.cache import ResultCache
from licnn.data import Record
from licnn.imaging.images import load_image
from licnn.methods import AttributionMethod, get_method_class, label, make_method
from licnn.metrics.similarity import SIMILARITY_KEYS, compare_maps
from licnn.metrics.stats import mean_ci
from licnn.models import LoadedModel
from licnn.tables import format_table

#: The classes compared with the top-1 class: the 2nd and 5th most probable, the least
#: probable, and one drawn at random (seeded per image) from outside the top 5.
CLASS_RANKS: tuple[str, ...] = ("2nd", "5th", "least", "random")
#: Bumped whenever the computation changes, so old cache entries are not reused.
CACHE_VERSION = 1
#: How many of the most probable classes the random class is never drawn from.
RANDOM_EXCLUDES_TOP = 5

_ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th)$")


@dataclass
class ClassSpecificityResult:
    """Per-image similarities of each compared class's map to the top-1 class's map.

    ``values[method]`` has shape ``images x ranks x measures`` (measures in the order of
    ``measures``, :data:`~licnn.metrics.similarity.SIMILARITY_KEYS`); ``classes`` is
    ``images x (1 + ranks)``: the top-1 class, then the class of each rank; ``probabilities``
    the model's softmax probabilities of those classes.
    """

    methods: list[str]
    ranks: list[str]
    keys: list[str]
    values: dict[str, NDArray[np.float64]]
    classes: NDArray[np.int64]
    probabilities: NDArray[np.float64]
    measures: tuple[str, ...] = SIMILARITY_KEYS

    def measure(self, method: str, measure: str) -> NDArray[np.float64]:
        """``images x ranks`` values of one measure for one method."""
        return self.values[method][:, :, self.measures.index(measure)]


def item_name(record: Record) -> str:
    """The cache item of an image: its dataset and key (or file name)."""
    return f"{record.dataset or 'images'}/{record.key or record.path.name}"


def class_specific(methods: Sequence[str]) -> list[str]:
    """The methods of ``methods`` whose map depends on the class asked for (metadata, not names)."""
    return [m for m in methods if not get_method_class(m).class_free]


def _check_ranks(ranks: Sequence[str]) -> None:
    for rank in ranks:
        match = _ORDINAL.match(rank)
        if rank not in ("least", "random") and (match is None or int(match.group(1)) < 2):
            raise ValueError(f"rank must be 'least', 'random' or an ordinal >= '2nd', got {rank!r}")


def choose_classes(
    probabilities: NDArray[np.floating[Any]], ranks: Sequence[str], item: str, seed: int = 0
) -> NDArray[np.int64]:
    """The top-1 class of one image's ``probabilities`` (shape ``classes``), then one per rank.

    ``"2nd"``, ``"5th"``, ...: the class of that place in the ranking (ties in input order);
    ``"least"``: the least probable; ``"random"``: one drawn, from a generator seeded by
    ``seed`` and the image's ``item`` name (so a resumed or reordered run draws the same),
    among all classes but the :data:`RANDOM_EXCLUDES_TOP` most probable.
    """
    _check_ranks(ranks)
    order = np.argsort(-np.asarray(probabilities, dtype=np.float64), kind="stable")
    chosen = [int(order[0])]
    for rank in ranks:
        if rank == "least":
            chosen.append(int(order[-1]))
        elif rank == "random":
            rng = np.random.default_rng([seed, zlib.crc32(item.encode())])
            chosen.append(int(rng.choice(order[RANDOM_EXCLUDES_TOP:])))
        else:
            match = _ORDINAL.match(rank)
            assert match is not None  # checked above
            chosen.append(int(order[int(match.group(1)) - 1]))
    return np.asarray(chosen, dtype=np.int64)


def _compute_chunk(
    model: LoadedModel,
    records: Sequence[Record],
    items: Sequence[str],
    explainers: Mapping[str, AttributionMethod],
    ranks: Sequence[str],
    seed: int,
) -> list[dict[str, NDArray[Any]]]:
    """One chunk of images: chosen classes, their probabilities and every method's similarities."""
    x = torch.stack([model.preprocess(load_image(r.path)) for r in records]).to(model.device)
    with torch.no_grad():
        probs = torch.softmax(model.module(x).float(), dim=1).cpu().numpy()
    classes = np.stack(
        [choose_classes(p, ranks, i, seed) for p, i in zip(probs, items, strict=True)]
    )
    out: list[dict[str, NDArray[Any]]] = [
        {"classes": classes[i], "probabilities": probs[i, classes[i]].astype(np.float64)}
        for i in range(len(records))
    ]
    for name, explainer in explainers.items():
        maps = [
            explainer.attribute(x, torch.as_tensor(classes[:, j])).float().cpu().numpy()
            for j in range(classes.shape[1])
        ]
        for i, entry in enumerate(out):
            scores = [compare_maps(maps[0][i], maps[j][i]) for j in range(1, len(maps))]
            entry[name] = np.asarray([[s[k] for k in SIMILARITY_KEYS] for s in scores])
    return out


def class_specificity(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    ranks: Sequence[str] = CLASS_RANKS,
    seed: int = 0,
    ig_steps: int = 16,
    batch_size: int = 8,
    cache: bool | str | PathLike[str] = True,
    progress: bool = True,
) -> ClassSpecificityResult:
    """Compare each class-specific method's map of the top-1 class with its maps of ``ranks``.

    Class-free methods in ``methods`` (LICNN's saliency map, the centre prior) are skipped:
    they give the same map for every class. ``cache``: True for the default cache folder, a
    path for that folder, False for none; the key holds the model, its weights, the methods,
    ranks, seed, Integrated Gradients' steps and :data:`CACHE_VERSION`.
    """
    _check_ranks(ranks)
    ranks = list(ranks)
    chosen = class_specific(methods)
    by_item = {item_name(r): r for r in records}
    if len(by_item) != len(records):
        raise ValueError("records must have distinct dataset/key names")
    keys = list(by_item)
    explainers = {
        m: make_method(m, model, ig_steps=ig_steps, batch_size=batch_size) for m in chosen
    }

    def compute(items: list[str]) -> list[dict[str, NDArray[Any]]]:
        return _compute_chunk(model, [by_item[i] for i in items], items, explainers, ranks, seed)

    if cache is False:
        results: dict[str, dict[str, NDArray[Any]]] = {}
        for start in range(0, len(keys), batch_size):
            chunk = keys[start : start + batch_size]
            results.update(zip(chunk, compute(chunk), strict=True))
    else:
        key = {
            "version": CACHE_VERSION,
            "model": model.name,
            "weights": model.weights,
            "weights_sha256": model.weights_sha256,
            "methods": chosen,
            "ranks": ranks,
            "seed": seed,
            "ig_steps": ig_steps,
            "measures": list(SIMILARITY_KEYS),
        }
        store = ResultCache("class-specificity", key, root=None if cache is True else cache)
        results = store.map(keys, compute, batch_size, "class specificity", progress)
    return ClassSpecificityResult(
        methods=chosen,
        ranks=ranks,
        keys=keys,
        values={m: np.stack([results[k][m] for k in keys]).astype(np.float64) for m in chosen},
        classes=np.stack([results[k]["classes"] for k in keys]).astype(np.int64),
        probabilities=np.stack([results[k]["probabilities"] for k in keys]).astype(np.float64),
    )


def summarise_specificity(
    result: ClassSpecificityResult, confidence: float = 0.95
) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """``{method: {rank: {measure: mean_ci}}}``: each mean with its bootstrap interval (JSON-able)."""
    return {
        method: {
            rank: {
                measure: mean_ci(result.values[method][:, r, k], confidence)
                for k, measure in enumerate(result.measures)
            }
            for r, rank in enumerate(result.ranks)
        }
        for method in result.methods
    }


def specificity_table(
    summary: Mapping[str, Mapping[str, Mapping[str, Mapping[str, float]]]],
    measure: str = "spearman_abs",
) -> str:
    """A Markdown table of one measure: a row per method, a column per rank, ``mean [low, high]``."""
    ranks = list(next(iter(summary.values()))) if summary else []
    rows = []
    for method, by_rank in summary.items():
        cells = [by_rank[r][measure] for r in ranks]
        rows.append(
            [label(method)] + [f"{c['mean']:.2f} [{c['low']:.2f}, {c['high']:.2f}]" for c in cells]
        )
    return format_table(["method", *(f"top-1 vs {r}" for r in ranks)], rows)
