"""Background influence (the seed's section 4.2): images classified wrongly as they are and
correctly once their background is blurred, sorted into the seed's two kinds.

The seed names two ways a background misleads the network and sorts its examples by eye:

1. **the background as a competing category**: the background is itself an object of
   another class and wins (a dog's head in front of a taxi, classified as a taxi);
2. **the background suggests another class**: the setting is typical of another class,
   whose evidence then sits on the object itself (an ant on a nail-like stem).

:func:`background_kind` turns that into a rule on maps: take the LICNN attention map of the
class the network wrongly predicted (its top-1 on the original image) and the salient mask
the background blur used. If more than half of that map's positive energy lies **outside**
the mask (:func:`outside_share` > :data:`OUTSIDE_THRESHOLD`), the wrong class was found in
the background: kind 1. Otherwise its evidence overlaps the salient object: kind 2.

Diagnostics of the rule come with each image (:class:`Influence`): the wrong class's share
outside the *true* class's own salient region, the rank correlation of the two classes'
maps, and, as a control, the correlation of the true class's map with the map of the
least likely class. If the maps hardly depend on the class, no map-based rule can tell a
competing object from a misleading context, and the diagnostics show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.experiments.blur.results import BlurResults
from licnn.imaging.blur import salient_mask
from licnn.imaging.images import load_image
from licnn.models import LoadedModel

#: Kind 1 when more than this share of the wrong class's positive map energy is outside the mask.
OUTSIDE_THRESHOLD = 0.5

#: The seed's two kinds of background influence, by number.
KINDS: dict[int, str] = {
    1: "background as a competing category",
    2: "background suggests another class",
}


def outside_share(attention: ArrayLike, mask: ArrayLike) -> float:
    """Share of the map's positive energy outside the mask, in [0, 1].

    ``sum(max(map, 0) where not mask) / sum(max(map, 0))``; 0.0 when the map has no
    positive mass (no evidence anywhere, so none in the background).
    """
    values = np.asarray(attention, dtype=np.float64)
    keep = np.asarray(mask, dtype=bool)
    if values.shape != keep.shape or values.ndim != 2:
        raise ValueError(f"map {values.shape} and mask {keep.shape} must be the same 2-D shape")
    positive = np.maximum(values, 0.0)
    total = float(positive.sum())
    if total <= 0:
        return 0.0
    return float(positive[~keep].sum()) / total


def background_kind(
    attention: ArrayLike, mask: ArrayLike, threshold: float = OUTSIDE_THRESHOLD
) -> int:
    """1 (background as a competing category) if :func:`outside_share` > ``threshold``, else 2."""
    return 1 if outside_share(attention, mask) > threshold else 2


def map_correlation(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation of two maps of the same shape (0.0 if either is constant)."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"maps must have the same shape, got {np.shape(a)} and {np.shape(b)}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(stats.spearmanr(x, y)[0])


def rescued(correct_before: ArrayLike, correct_after: ArrayLike) -> NDArray[np.int64]:
    """Indices of the items wrong before and right after (e.g. original vs blurred background)."""
    before = np.asarray(correct_before, dtype=bool).ravel()
    after = np.asarray(correct_after, dtype=bool).ravel()
    if before.shape != after.shape:
        raise ValueError(f"need paired arrays, got {before.size} and {after.size} items")
    return np.flatnonzero(~before & after)


@dataclass
class Influence:
    """One rescued image: its predictions before and after, the wrong class's map and kind."""

    index: int  # row in the BlurResults
    k: int  # rescued at top-k
    key: str
    label: int
    variant: str
    before: list[int]  # top-5 classes on the original (over the evaluated classes)
    before_probabilities: list[float]
    after: list[int]  # top-5 classes on the variant
    after_probabilities: list[float]
    wrong_class: int  # the original top-1, whose attention map decides the kind
    outside_share: float
    kind: int
    label_gain: float  # true-class probability after minus before
    attention: NDArray[np.float32]  # the wrong class's LICNN attention map on the original
    true_attention: NDArray[np.float32]  # the true class's map on the original
    outside_true_share: float  # wrong-class energy outside the true class's salient region
    class_map_correlation: float  # Spearman correlation of the wrong and true classes' maps
    control_correlation: float  # the same for the true and the least likely class


def analyse_influence(
    results: BlurResults,
    model: LoadedModel,
    variant: str = "background_r10",
    k: int = 5,
    config: LICNNConfig | None = None,
    batch_size: int = 8,
    threshold: float = OUTSIDE_THRESHOLD,
) -> list[Influence]:
    """The images wrong at top-``k`` originally and right with ``variant``, with their kind.

    For each, the LICNN attention map of the original top-1 class (over the evaluated
    classes) is computed on the original crop and compared with the stored salient mask
    (:func:`background_kind`); the maps of the true class and of the least likely class (a
    control) are computed too, for the diagnostics.
    Sorted by how much the true class's probability rose, most first.
    ``config`` must be the one the results were computed with (default: LICNN's default).
    """
    if k not in (1, 5):
        raise ValueError(f"k must be 1 or 5, got {k}")
    column = results.variants.index(variant)
    hits = results.hits()[:, :, 0 if k == 1 else 1]
    rows = rescued(hits[:, 0], hits[:, column])
    if rows.size == 0:
        return []
    classes, probs = results.ranked(5)
    gain = results.label_probability()
    gain = gain[:, column] - gain[:, 0]
    wrong = classes[rows, 0, 0]
    records = [results.records[i] for i in rows]
    targets = np.stack([wrong, results.labels[rows], results.least_likely()[rows]], axis=1)
    maps = _attention_maps(model, records, targets, config, batch_size)
    found = []
    for row, wrong_class, (attention, true_attention, control) in zip(
        rows, wrong, maps, strict=True
    ):
        mask = results.mask(int(row))
        share = outside_share(attention, mask)
        found.append(
            Influence(
                index=int(row),
                k=k,
                key=results.records[row].key,
                label=int(results.labels[row]),
                variant=variant,
                before=classes[row, 0].tolist(),
                before_probabilities=probs[row, 0].tolist(),
                after=classes[row, column].tolist(),
                after_probabilities=probs[row, column].tolist(),
                wrong_class=int(wrong_class),
                outside_share=share,
                kind=1 if share > threshold else 2,
                label_gain=float(gain[row]),
                attention=attention,
                true_attention=true_attention,
                outside_true_share=outside_share(attention, salient_mask(true_attention)),
                class_map_correlation=map_correlation(attention, true_attention),
                control_correlation=map_correlation(control, true_attention),
            )
        )
    found.sort(key=lambda item: (-item.label_gain, item.key))
    return found


def _attention_maps(
    model: LoadedModel,
    records: Sequence,
    classes: ArrayLike,
    config: LICNNConfig | None,
    batch_size: int,
) -> list[NDArray[np.float32]]:
    """LICNN attention maps of given classes (``N x K``) per image on the 224 crops: N x K x H x W."""
    x = torch.stack([model.preprocess(load_image(r.path)) for r in records]).to(model.device)
    target = torch.as_tensor(np.asarray(classes), dtype=torch.long)
    result = LICNN(model, config, batch_size=batch_size).explain(x, target=target)
    return list(result.attention.float().cpu().numpy())


def kind_counts(influences: Sequence[Influence]) -> dict[str, int]:
    """How many images of each kind: ``{'1': n1, '2': n2}``."""
    return {str(kind): sum(1 for item in influences if item.kind == kind) for kind in KINDS}


def rescue_counts(
    hits: ArrayLike, variants: Sequence[str], radii: Sequence[int] = (5, 10)
) -> dict[str, dict[str, dict[str, int]]]:
    """Per background radius and top-k: images rescued (wrong -> right) and lost (right -> wrong).

    ``hits`` is the ``N x V x 2`` array of :meth:`BlurResults.hits`. Returns
    ``{'r10': {'top1': {'rescued', 'lost', 'n'}, 'top5': {...}}, ...}``.
    """
    flags = np.asarray(hits, dtype=bool)
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for r in radii:
        column = list(variants).index(f"background_r{r:g}")
        counts[f"r{r:g}"] = {
            metric: {
                "rescued": int(rescued(flags[:, 0, m], flags[:, column, m]).size),
                "lost": int(rescued(flags[:, column, m], flags[:, 0, m]).size),
                "n": int(flags.shape[0]),
            }
            for m, metric in enumerate(("top1", "top5"))
        }
    return counts


def pick_examples(
    influences: Sequence[Influence], limit: int = 3, exclude: Sequence[str] = ()
) -> list[Influence]:
    """Up to ``limit`` images, taken in turn from kind 1 and kind 2 while both have some left.

    Within a kind the given order is kept (e.g. largest rise of the true class first);
    images whose key is in ``exclude`` (already shown) are skipped.
    """
    queues = [[i for i in influences if i.kind == kind and i.key not in exclude] for kind in KINDS]
    picked: list[Influence] = []
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked


def influence_record(item: Influence, class_names: Sequence[str]) -> dict[str, object]:
    """One rescued image as a JSON-ready dict (classes by index and name; no maps)."""
    return {
        "key": item.key,
        "k": item.k,
        "label": item.label,
        "label_name": class_names[item.label],
        "variant": item.variant,
        "wrong_class": item.wrong_class,
        "wrong_class_name": class_names[item.wrong_class],
        "before": item.before,
        "before_probabilities": item.before_probabilities,
        "after": item.after,
        "after_probabilities": item.after_probabilities,
        "outside_share": item.outside_share,
        "kind": item.kind,
        "outside_true_share": item.outside_true_share,
        "class_map_correlation": item.class_map_correlation,
        "control_correlation": item.control_correlation,
        "label_gain": item.label_gain,
    }


def box_kinds(
    model: LoadedModel,
    records: Sequence,
    wrong_classes: ArrayLike,
    config: LICNNConfig | None = None,
    batch_size: int = 8,
    threshold: float = OUTSIDE_THRESHOLD,
    masks: Sequence[ArrayLike] | None = None,
) -> list[dict[str, object]]:
    """The kind rule with the ground-truth boxes as the object, for images that have boxes.

    For each image, the LICNN attention map of its wrong class (e.g. the original's top-1)
    is made on the crop; kind 1 when more than ``threshold`` of its positive energy lies
    outside the union of the boxes (carried into the crop), else kind 2. Images without
    boxes are left out. With ``masks`` (one salient mask per record, as the blur used), each
    row also has the rule applied to that mask (``outside_mask``, ``mask_kind``), so the two
    definitions of "object" can be compared on the same maps.
    """
    from licnn.imaging.masks import box_mask, crop_boxes

    wrong = np.asarray(wrong_classes, dtype=np.int64).ravel()
    if masks is not None and len(masks) != len(records):
        raise ValueError(f"need one mask per record, got {len(masks)} for {len(records)}")
    keep = [i for i, r in enumerate(records) if r.boxes is not None and np.asarray(r.boxes).size]
    if not keep:
        return []
    chosen = [records[i] for i in keep]
    maps = _attention_maps(model, chosen, wrong[keep][:, None], config, batch_size)
    rows = []
    for i, record, cls, attention in zip(keep, chosen, wrong[keep], maps, strict=True):
        size = load_image(record.path).size
        boxes = crop_boxes(record.boxes, size, model.resize_size, model.input_size)
        mask = box_mask(attention[0].shape, boxes)
        share = outside_share(attention[0], mask)
        row: dict[str, object] = {
            "key": record.key,
            "wrong_class": int(cls),
            "box_area": float(mask.mean()),
            "outside_boxes": share,
            "kind": 1 if share > threshold else 2,
        }
        if masks is not None:
            salient = np.asarray(masks[i], dtype=bool)
            mask_share = outside_share(attention[0], salient)
            row["mask_area"] = float(salient.mean())
            row["outside_mask"] = mask_share
            row["mask_kind"] = 1 if mask_share > threshold else 2
        rows.append(row)
    return rows
