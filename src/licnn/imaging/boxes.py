"""Object boxes carried from an image file's pixels into the model's centre crop.

:func:`crop_boxes` is the crop of chapter 3's figures and of its pointing game
(:func:`licnn.experiments.localisation.quick_pointing`): boxes are clipped to the crop's
last pixel and a box left with nothing inside the crop is dropped, so every box that
remains can be drawn on, and scored against, a 224 x 224 map. (The blur and background
experiments use :func:`licnn.imaging.masks.crop_boxes`, which clips to the crop's edge and
keeps every box; the two are kept apart because the report's numbers were computed with
each.) It lived in :mod:`licnn.report.figures`, which still re-exports it; it sits here so
that the experiments, which may not import the report, can use it too.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def crop_boxes(
    boxes: ArrayLike, image_size: tuple[int, int], resize_size: int = 256, crop_size: int = 224
) -> NDArray[np.float32]:
    """Boxes (``x0, y0, x1, y1`` in the pixels of an image of ``image_size = (width, height)``)
    in the pixels of the model's input: shorter side resized to ``resize_size``, then a
    centre crop of ``crop_size`` (torchvision's ``Resize`` and ``CenterCrop`` arithmetic).

    Boxes are clipped to the crop; a box with nothing left inside it is dropped.
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    width, height = image_size
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {image_size}")
    if width <= height:
        new_w, new_h = resize_size, int(resize_size * height / width)
    else:
        new_w, new_h = int(resize_size * width / height), resize_size
    left = int(round((new_w - crop_size) / 2.0))
    top = int(round((new_h - crop_size) / 2.0))
    sx, sy = new_w / width, new_h / height
    mapped = np.column_stack(
        [b[:, 0] * sx - left, b[:, 1] * sy - top, b[:, 2] * sx - left, b[:, 3] * sy - top]
    )
    limit = crop_size - 1
    mapped = np.clip(mapped, 0.0, limit)
    inside = (mapped[:, 2] > mapped[:, 0]) & (mapped[:, 3] > mapped[:, 1])
    return mapped[inside].astype(np.float32)
