"""Pointing game on the images where it can tell methods apart, and its tolerance in pixels.

On ImageNet the boxes are large and central: on imagenet-val-1300 they cover about half the
image on average and usually contain its centre, so a map that always peaks at the centre
(the centre prior) already scores above 0.9 and the methods differ by a point or two. The
pointing game discriminates on the images with **small** boxes, and on those whose boxes
**miss the centre**. This module gives

- :func:`box_coverage`: per image, the share of the image its boxes cover and whether the
  image's centre is inside a box (both in the original image's pixels);
- :func:`pointing_subsets` / :func:`pointing_subsets_table`: hits, rate and Wilson 95%
  interval of each method on the whole set and on those subsets (the centre prior is just
  one more method there);
- :func:`tolerance_in_image_pixels`: the pointing game's tolerance, which
  :class:`~licnn.experiments.localisation.BoxBenchmark` applies on the map's grid, restated
  in the original image's pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn.data import Record
from licnn.experiments.localisation.inputs import TOLERANCE, _record_boxes
from licnn.metrics.localisation import box_distance, boxes_to_mask
from licnn.metrics.stats import proportion_ci
from licnn.tables import format_table

#: Label of the subset with every image.
ALL = "all"
#: Label of the subset of images whose image centre is outside every box.
CENTRE_MISSED = "boxes miss the centre"


def _image_sizes(
    records: Sequence[Record], sizes: Sequence[tuple[int, int]] | None
) -> list[tuple[int, int]]:
    """``(W, H)`` of each record's image: given, or read from the file's header (no decoding).

    The benchmark reads images without applying the EXIF orientation, so the stored size is
    the one its boxes refer to.
    """
    if sizes is not None:
        if len(sizes) != len(records):
            raise ValueError(f"got {len(sizes)} sizes for {len(records)} records")
        return [(int(w), int(h)) for w, h in sizes]
    found = []
    for record in records:
        with Image.open(record.path) as image:
            found.append(image.size)
    return found


def subset_label(threshold: float) -> str:
    """``boxes < 25% of the image`` for ``threshold=0.25``."""
    return f"boxes < {100 * threshold:g}% of the image"


def box_coverage(
    records: Sequence[Record], sizes: Sequence[tuple[int, int]] | None = None
) -> dict[str, NDArray[Any]]:
    """Per image: the share of the image its boxes cover, and whether its centre is in a box.

    ``records`` are a benchmark's records (``BoxBenchmark.records``, so the arrays follow its
    score order); ``sizes`` their images' ``(W, H)``, read from the files when ``None``.
    The share is that of the union of the record's boxes (overlaps counted once), in the
    original image's pixels, with :func:`licnn.metrics.localisation.boxes_to_mask`'s rule (a
    pixel is covered when its centre is inside a box, ends included). The centre is the
    point ``((W - 1) / 2, (H - 1) / 2)`` in pixel coordinates, which is also where the centre
    prior's map peaks once mapped back to the image; "inside" includes the box's edge.
    Returns ``keys``, ``box_share`` (float), ``centre_inside`` (bool), ``width`` and
    ``height``, one entry per record.
    """
    shares, inside = [], []
    image_sizes = _image_sizes(records, sizes)
    for record, (width, height) in zip(records, image_sizes, strict=True):
        boxes = _record_boxes(record)
        shares.append(float(boxes_to_mask(boxes, (height, width)).mean()))
        centre_x, centre_y = (width - 1) / 2, (height - 1) / 2
        inside.append(bool(len(boxes) and np.any(box_distance(centre_x, centre_y, boxes) == 0)))
    return {
        "keys": np.asarray([r.key for r in records]),
        "box_share": np.asarray(shares, dtype=np.float64),
        "centre_inside": np.asarray(inside, dtype=bool),
        "width": np.asarray([w for w, _ in image_sizes], dtype=np.int64),
        "height": np.asarray([h for _, h in image_sizes], dtype=np.int64),
    }


def pointing_subsets(
    hits_by_method: Mapping[str, ArrayLike],
    box_share: ArrayLike,
    centre_inside: ArrayLike,
    thresholds: Sequence[float] = (0.25, 0.10),
) -> dict[str, dict[str, Any]]:
    """Pointing-game hits of each method on the whole set and on its harder subsets.

    ``hits_by_method`` maps a method to its per-image hits (``BoxBenchmark.scores(...)["hit"]``,
    record order); ``box_share`` and ``centre_inside`` come from :func:`box_coverage` on the
    same records. The subsets are ``"all"``, one per threshold ``t`` (the images whose boxes
    cover less than ``t`` of the image, :func:`subset_label`) and ``"boxes miss the centre"``.
    Each maps to ``{"n": images, "methods": {method: {"hits", "rate", "low", "high"}}}``,
    the interval being Wilson's at 95% (:func:`licnn.metrics.stats.proportion_ci`); an empty
    subset has rate NaN and the interval (0, 1). On the last subset the centre prior can
    still hit, but only through the tolerance.
    """
    share = np.asarray(box_share, dtype=np.float64).ravel()
    centre = np.asarray(centre_inside, dtype=bool).ravel()
    if share.shape != centre.shape:
        raise ValueError(f"box_share has {share.size} images, centre_inside {centre.size}")
    hits = {name: np.asarray(h, dtype=bool).ravel() for name, h in hits_by_method.items()}
    for name, values in hits.items():
        if values.shape != share.shape:
            raise ValueError(f"{name} has {values.size} hits for {share.size} images")
    selections = {ALL: np.ones(share.shape, dtype=bool)}
    for threshold in thresholds:
        selections[subset_label(threshold)] = share < threshold
    selections[CENTRE_MISSED] = ~centre
    out: dict[str, dict[str, Any]] = {}
    for label, chosen in selections.items():
        n = int(chosen.sum())
        methods = {}
        for name, values in hits.items():
            k = int(values[chosen].sum())
            low, high = proportion_ci(k, n)
            rate = k / n if n else float("nan")
            methods[name] = {"hits": k, "rate": rate, "low": low, "high": high}
        out[label] = {"n": n, "methods": methods}
    return out


def pointing_subsets_table(
    subsets: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str] | None = None
) -> str:
    """A Markdown table of :func:`pointing_subsets`: one row per method, one column per subset.

    Each column's header names the subset and its number of images; each cell is
    ``rate [low, high]`` (Wilson 95%), ``-`` for an empty subset. ``labels`` renames methods.
    """
    labels = labels or {}
    first: Mapping[str, Any] = next(iter(subsets.values()), {"methods": {}})
    methods = list(first["methods"])
    header = ["method", *(f"{label} (n = {subset['n']})" for label, subset in subsets.items())]
    rows = []
    for method in methods:
        cells: list[Any] = [labels.get(method, method)]
        for subset in subsets.values():
            s = subset["methods"][method]
            cells.append(
                "-" if subset["n"] == 0 else f"{s['rate']:.3f} [{s['low']:.3f}, {s['high']:.3f}]"
            )
        rows.append(cells)
    return format_table(header, rows)


def tolerance_in_image_pixels(
    records: Sequence[Record],
    map_size: int = 224,
    tolerance: float = TOLERANCE,
    sizes: Sequence[tuple[int, int]] | None = None,
) -> dict[str, float]:
    """The pointing game's tolerance in map pixels and what it is in the original images.

    What the benchmark does: the whole image is resized to ``map_size`` x ``map_size`` (no
    crop, aspect ratio not kept), the map stays on that grid, and the boxes are scaled
    **to the map** (:func:`~licnn.experiments.localisation.scale_boxes`); the map is not
    resized to the image. A hit is a maximum within ``tolerance`` map pixels (Euclidean) of a
    box. Stated in an image of ``W x H`` pixels this is an ellipse with half-axes
    ``tolerance * W / map_size`` across and ``tolerance * H / map_size`` down, always
    ``tolerance / map_size`` (6.7% for 15 of 224) of each side. Returns ``map_px``,
    ``map_size``, ``share_of_side``, and the mean and median over ``records`` of the
    horizontal (``x_mean``, ``x_median``) and vertical (``y_mean``, ``y_median``) half-axes
    in image pixels.
    """
    image_sizes = np.asarray(_image_sizes(records, sizes), dtype=np.float64).reshape(-1, 2)
    scale = tolerance / map_size
    x = image_sizes[:, 0] * scale
    y = image_sizes[:, 1] * scale
    empty = x.size == 0

    def stat(values: NDArray[np.float64], how: str) -> float:
        if empty:
            return float("nan")
        return float(np.mean(values) if how == "mean" else np.median(values))

    return {
        "map_px": float(tolerance),
        "map_size": int(map_size),
        "share_of_side": scale,
        "x_mean": stat(x, "mean"),
        "x_median": stat(x, "median"),
        "y_mean": stat(y, "mean"),
        "y_median": stat(y, "median"),
    }
