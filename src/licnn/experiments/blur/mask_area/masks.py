"""The masks and blurred variants of one image, for every source and area of a :class:`Grid`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image, ImageFilter

from licnn.experiments.blur.mask_area.grid import SEED, Grid, variant_name
from licnn.imaging import masks as mk

# --- masks of one image --------------------------------------------------------------------


def image_masks(
    grid: Grid,
    saliency: ArrayLike,
    grad_cam: ArrayLike,
    partner_saliency: ArrayLike,
    seed: int,
    boxes: ArrayLike | None = None,
) -> dict[tuple[str, str], NDArray[np.bool_]]:
    """Every (source, area point) mask of one image, from its maps and its partner's.

    ``boxes`` are in crop pixels (:func:`licnn.imaging.masks.crop_boxes`); without boxes (or
    with none) the ``boxes`` source is left out.
    """
    sal = np.asarray(saliency, dtype=np.float64)
    shape = sal.shape
    seed_mask = mk.threshold_mask(sal)
    seed_area = float(seed_mask.mean())
    maps = {
        "licnn": sal,
        "grad_cam": np.asarray(grad_cam),
        "shuffled": np.asarray(partner_saliency),
    }
    out: dict[tuple[str, str], NDArray[np.bool_]] = {}
    for source, point in grid.masks():
        if source == "boxes":
            if boxes is not None and np.asarray(boxes).size:
                out[(source, point)] = mk.box_mask(shape, boxes)
            continue
        if source == "licnn" and point == SEED:
            out[(source, point)] = seed_mask
            continue
        q = seed_area if point == SEED else float(point[1:])
        if source == "disc":
            out[(source, point)] = mk.disc_mask(shape, q)
        elif source == "blob":
            out[(source, point)] = mk.blob_mask(shape, q, seed)
        else:
            out[(source, point)] = mk.top_share_mask(maps[source], q)
    return out


def blurred_variants(
    crop: Image.Image,
    masks: Mapping[tuple[str, str], NDArray[np.bool_]],
    grid: Grid,
) -> dict[str, Image.Image]:
    """The crop with each mask's outside (background) or inside (object) blurred."""
    radii = sorted({r for s in grid.sources for r in grid.radii[s]})
    blurred = {r: crop.filter(ImageFilter.GaussianBlur(r)) for r in radii}
    out = {}
    for source, point, kind, r in grid.variants():
        if (source, point) not in masks:
            continue
        keep = Image.fromarray(masks[(source, point)].astype(np.uint8) * 255)
        if kind == "background":
            out[variant_name(source, point, kind, r)] = Image.composite(crop, blurred[r], keep)
        else:
            out[variant_name(source, point, kind, r)] = Image.composite(blurred[r], crop, keep)
    return out
