"""Blur experiments under controls: accuracy against mask area, for several mask sources.

The seed's blur experiment (:mod:`licnn.experiments.blur.protocol`) blurs inside or outside one mask
per image, the LICNN saliency map thresholded at a fifth of its range, which covers about
three quarters of the crop. Whether what it measures is LICNN's or the mask's size needs
masks of controlled area and masks that know nothing of the image. Here, per image, masks of
each share ``q`` of the crop (:data:`licnn.imaging.masks.AREAS`), plus the seed threshold's own
area (``"seed"``), come from these sources (:data:`SOURCES`):

- ``licnn``: the top-``q`` pixels of the LICNN top-5 saliency map (at ``"seed"``: the seed's
  threshold mask itself);
- ``grad_cam``: the top-``q`` pixels of Grad-CAM of the predicted class;
- ``disc``: a centred disc of the same area;
- ``shuffled``: the LICNN map of another image of the same data set (a seeded derangement);
- ``blob``: a seeded random blob (smoothed noise) of the same area;
- ``boxes``: the union of the ground-truth boxes, at its own area (where boxes exist).

At ``"seed"`` every control takes, image by image, the area of that image's seed mask, so
all sources are compared at equal area. Each image's logits for every (source, area, blur
kind, radius) are cached per image (:class:`licnn.cache.ResultCache`), so runs resume;
the maps come from :func:`licnn.experiments.blur.maps.image_maps`.

The code is split by job: :mod:`~licnn.experiments.blur.mask_area.grid` (the design),
:mod:`~licnn.experiments.blur.mask_area.masks` (one image),
:mod:`~licnn.experiments.blur.mask_area.runner`,
:mod:`~licnn.experiments.blur.mask_area.statistics` and
:mod:`~licnn.experiments.blur.mask_area.tables`; this module re-exports their public names.
"""

from __future__ import annotations

from licnn.experiments.blur.mask_area.grid import (
    SEED,
    SOURCE_LABELS,
    SOURCES,
    Grid,
    area_label,
    variant_name,
)
from licnn.experiments.blur.mask_area.masks import (
    blurred_variants,
    image_masks,
)
from licnn.experiments.blur.mask_area.runner import (
    CACHE_EXPERIMENT,
    CACHE_VERSION,
    MaskAreaResults,
    MaskExample,
    example_masks,
    pool_mask_area,
    run_mask_area,
    subset,
)
from licnn.experiments.blur.mask_area.statistics import (
    comparison_lines,
    curve,
    mcnemar_exact,
    paired_difference,
    predicted,
    rescue_table,
    rescued_rows,
    summarise_mask_area,
)
from licnn.experiments.blur.mask_area.tables import (
    control_table,
    key_lines,
    key_numbers,
    rescue_markdown,
)

__all__ = [
    "CACHE_EXPERIMENT",
    "CACHE_VERSION",
    "Grid",
    "MaskAreaResults",
    "MaskExample",
    "example_masks",
    "SEED",
    "SOURCES",
    "SOURCE_LABELS",
    "area_label",
    "blurred_variants",
    "comparison_lines",
    "control_table",
    "curve",
    "image_masks",
    "key_lines",
    "key_numbers",
    "mcnemar_exact",
    "paired_difference",
    "pool_mask_area",
    "predicted",
    "rescue_markdown",
    "rescue_table",
    "rescued_rows",
    "run_mask_area",
    "subset",
    "summarise_mask_area",
    "variant_name",
]
