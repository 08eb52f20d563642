"""The set-up the localisation benchmarks share: their settings, the model's input, the boxes
and masks on the map's grid, the subset of images, and a method's map as scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike, NDArray
from PIL import Image

from licnn.data import Record
from licnn.errors import DataError
from licnn.methods import (
    METHODS,
    get_method_class,
)
from licnn.methods.licnn_attention import LICNNAttention
from licnn.models import LoadedModel

#: Methods of the box benchmark, in the order of the report's tables.
BOX_METHODS = METHODS
#: Methods of the salient-object benchmark (the saliency map stands for LICNN there).
MASK_METHODS = tuple(m for m in METHODS if m != LICNNAttention.name)
#: Integrated Gradients steps used here: 16 (Captum's default is 50) to keep the CPU cost down.
IG_STEPS = 16
#: Pointing-game tolerance in pixels of the 224 px map (Zhang et al. 2016).
TOLERANCE = 15
#: Fraction of the map's maximum above which a pixel counts as "on" for the box IoU.
IOU_THRESHOLD = 0.5
#: Graded PASCAL-S masks (share of annotators) are binarised at this value.
MASK_THRESHOLD = 0.5
#: How images reach the model in both benchmarks.
PREPROCESSING = "whole image resized (bilinear) to the input size, no crop"
#: Bumped whenever the scoring changes, so old cached scores are not re-used (2: the masks'
#: scores hold every salient-object measure of :func:`licnn.metrics.sod.sod_scores`).
SCORING_VERSION = 2


# --- inputs -------------------------------------------------------------------------------


def resize_input(model: LoadedModel, image: Image.Image) -> torch.Tensor:
    """The whole image resized to ``input_size`` x ``input_size`` and normalised (3 x H x W)."""
    size = model.input_size
    return model.normalise(image.resize((size, size), Image.Resampling.BILINEAR))


def _record_boxes(record: Record) -> NDArray[Any]:
    """The ground-truth boxes of ``record``; a record without boxes cannot be scored."""
    if record.boxes is None:
        raise DataError(
            f"{record.key} has no boxes; localisation needs a labelled dataset with boxes"
        )
    return record.boxes


def scale_boxes(
    boxes: ArrayLike, from_size: tuple[int, int], to_size: tuple[int, int]
) -> NDArray[np.float64]:
    """Boxes ``(x0, y0, x1, y1)`` from an image of ``from_size`` (W, H) to one of ``to_size``.

    Coordinates are pixel centres (as in :mod:`licnn.metrics.localisation`); the image's outer edge, at
    -0.5 and W - 0.5, maps to the resized image's edge, as in a bilinear resize:
    ``x' = (x + 0.5) * W' / W - 0.5``. For 227 -> 224 px this is a scaling by 224/227.
    """
    values = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    scale = np.array([sx, sy, sx, sy])
    return (values + 0.5) * scale - 0.5


def binary_mask(path: str | Any, threshold: float = MASK_THRESHOLD) -> NDArray[np.bool_]:
    """A graded 8-bit mask (0-255: share of annotators) as a boolean mask, value >= threshold."""
    with Image.open(path) as mask:
        values = np.asarray(mask.convert("L"), dtype=np.float64) / 255.0
    return values >= threshold


def sample_records(dataset: Sequence[Record], n: int | None = None, seed: int = 0) -> list[Record]:
    """``n`` records in a seeded random order (``None``: all); smaller ``n`` give prefixes.

    Because the subsets are nested, a larger run re-uses every cached score of a smaller one.
    """
    order = np.random.default_rng(seed).permutation(len(dataset))
    if n is not None:
        order = order[: max(0, n)]
    return [dataset[int(i)] for i in order]


def describe_subset(n: int, total: int) -> str:
    """``all 1300 images`` or ``a seeded random subset of 300 of 1300 images``."""
    if n >= total:
        return f"all {total} images"
    return f"a seeded random subset of {n} of {total} images"


def _class_free(method: str) -> bool:
    """Whether method ``method``'s map does not depend on the class (its metadata)."""
    return get_method_class(method).class_free


def _as_scored(method: str, maps: torch.Tensor) -> NDArray[np.float64]:
    """Maps as float64 numpy, as magnitudes for the methods scored by ``|map|`` (metadata)."""
    if get_method_class(method).magnitude:
        maps = maps.abs()
    return maps.float().cpu().numpy().astype(np.float64)


def resize_to(saliency: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    """A 2-D map resized bilinearly (half-pixel centres) to ``shape`` (H, W)."""
    values = torch.as_tensor(np.asarray(saliency, dtype=np.float32))
    if tuple(values.shape) == tuple(shape):
        return values.double().numpy()
    out = F.interpolate(values[None, None], size=tuple(shape), mode="bilinear", align_corners=False)
    return out[0, 0].double().numpy()
