"""Metrics on plain arrays: localisation scores, map similarity and statistics.

- :mod:`licnn.metrics.localisation`: pointing game, energy in boxes, mask mass, F-measure;
- :mod:`licnn.metrics.sod`: the salient-object measures (S, E, weighted F, ...) per image
  and per data set;
- :mod:`licnn.metrics.similarity`: rank and structural similarity of two maps;
- :mod:`licnn.metrics.stats`: confidence intervals and paired tests.

The localisation metrics are re-exported here, where they lived before the package existed
(``from licnn.metrics import pointing_game``).
"""

from licnn.metrics.localisation import (
    BETA2,
    adaptive_f_measure,
    box_distance,
    box_iou,
    boxes_to_mask,
    centre_prior,
    dataset_max_f_measure,
    energy_in_boxes,
    f_measure_curve,
    mae,
    mass_in_mask,
    max_f_measure,
    normalise_map,
    pointing_game,
    threshold_map,
    top_mass_share,
)

__all__ = [
    "BETA2",
    "adaptive_f_measure",
    "box_distance",
    "box_iou",
    "boxes_to_mask",
    "centre_prior",
    "dataset_max_f_measure",
    "energy_in_boxes",
    "f_measure_curve",
    "mae",
    "mass_in_mask",
    "max_f_measure",
    "normalise_map",
    "pointing_game",
    "threshold_map",
    "top_mass_share",
]
