"""Quantitative benchmarks of attribution maps: object boxes and salient-object masks.

Two benchmarks share one set-up: every image is resized **whole** to the model's input size
(no centre crop, so the map covers every box and every mask pixel), a method's map is
computed for a class, and the map is scored with :mod:`licnn.metrics.localisation`.

- :class:`BoxBenchmark` (``imagenet-val-1300``): pointing game, share of the map's energy in
  the boxes and IoU of the half-maximum region with the boxes, for the ground-truth class
  (``role="gt"``) or the predicted top-1 class (``role="pred"``). Boxes are scaled from the
  image's pixels to the map's with :func:`scale_boxes`.
- :class:`MaskBenchmark` (``pascal-s``): the map of the predicted top-1 class is resized back
  to the image size and compared with the mask binarised at 0.5: precision and recall
  curves (for the dataset-level maximum F-measure), adaptive F-measure and MAE.

Scores are cached per image (:class:`licnn.cache.ResultCache`, one folder per method, role,
configuration and data set), so a run resumes where it stopped and a larger run re-uses a
smaller one. ``precompute`` fills the caches of all methods in one pass over the images
(each batch read once, LICNN's attention maps taken from its saliency call where the class
is among the top 5), and ``scores_configs`` computes several LICNN configurations together
(:meth:`licnn.core.attention.LICNN.explain_configs`). The Captum baselines run on a
channels-last copy of the network, which is faster on a CPU.

:func:`summarise_boxes` and :func:`summarise_masks` turn per-image scores into the report's
numbers with 95% intervals. :func:`quick_pointing` (and :func:`quick_pointing_table`) is the
comparison chapter's small pointing game on the model's centre crop.

The code is split by job: :mod:`~licnn.experiments.localisation.inputs` (settings and inputs),
:mod:`~licnn.experiments.localisation.benchmarks`,
:mod:`~licnn.experiments.localisation.summaries`,
:mod:`~licnn.experiments.localisation.pointing`,
:mod:`~licnn.experiments.localisation.paired` (McNemar's test of two methods, Holm-adjusted),
:mod:`~licnn.experiments.localisation.subsets` (the pointing game on small boxes and
off-centre boxes, and its tolerance in image pixels),
:mod:`~licnn.experiments.localisation.tables` and
:mod:`~licnn.experiments.localisation.figures`; this module re-exports their public names, and
:func:`~licnn.tables.format_table`, which lived here.
It also keeps the names the module had by import before it was split (``AttributionMethod``,
``DataError``, ``Dataset``, ``LICNN``, ``LICNNAttention``, ``LICNNConfig``, ``LICNNSaliency``,
``LoadedModel``, ``MAGNITUDE_METHODS``, ``METHODS``, ``Record``, ``ResultCache``,
``channels_last_copy``, ``get_method_class``, ``load_image``, ``make_method``, ``map_caches``,
``mean_ci``, ``method_label``, ``proportion_ci``, ``registered``), for its old users.
"""

from __future__ import annotations

from licnn.cache import ResultCache as ResultCache
from licnn.cache import map_caches as map_caches
from licnn.core.attention import LICNN as LICNN
from licnn.core.config import LICNNConfig as LICNNConfig
from licnn.data import Dataset as Dataset
from licnn.data import Record as Record
from licnn.errors import DataError as DataError
from licnn.experiments.localisation.benchmarks import (
    BoxBenchmark,
    MaskBenchmark,
)
from licnn.experiments.localisation.figures import (
    box_bars,
    draw_boxes,
    precision_recall_figure,
)
from licnn.experiments.localisation.inputs import (
    BOX_METHODS,
    IG_STEPS,
    IOU_THRESHOLD,
    MASK_METHODS,
    MASK_THRESHOLD,
    PREPROCESSING,
    SCORING_VERSION,
    TOLERANCE,
    binary_mask,
    describe_subset,
    resize_input,
    resize_to,
    sample_records,
    scale_boxes,
)
from licnn.experiments.localisation.paired import paired_pointing, paired_pointing_table
from licnn.experiments.localisation.pointing import quick_pointing, quick_pointing_table
from licnn.experiments.localisation.subsets import (
    box_coverage,
    pointing_subsets,
    pointing_subsets_table,
    subset_label,
    tolerance_in_image_pixels,
)
from licnn.experiments.localisation.summaries import (
    dataset_f_measure,
    first_images,
    paired_f_difference,
    summarise_boxes,
    summarise_masks,
)
from licnn.experiments.localisation.tables import (
    ROLE_LABELS,
    box_table,
    interval,
    mask_table,
    models_mask_table,
    sod_table,
)
from licnn.imaging.images import load_image as load_image
from licnn.methods import METHODS as METHODS
from licnn.methods import AttributionMethod as AttributionMethod
from licnn.methods import channels_last_copy as channels_last_copy
from licnn.methods import get_method_class as get_method_class
from licnn.methods import label as method_label  # noqa: F401  (an old public name)
from licnn.methods import make_method as make_method
from licnn.methods import registered as registered
from licnn.methods.baselines import MAGNITUDE_METHODS as MAGNITUDE_METHODS
from licnn.methods.licnn_attention import LICNNAttention as LICNNAttention
from licnn.methods.licnn_saliency import LICNNSaliency as LICNNSaliency
from licnn.metrics.stats import mean_ci as mean_ci
from licnn.metrics.stats import proportion_ci as proportion_ci
from licnn.models import LoadedModel as LoadedModel
from licnn.tables import format_table

__all__ = [
    "BOX_METHODS",
    "BoxBenchmark",
    "IG_STEPS",
    "IOU_THRESHOLD",
    "MASK_METHODS",
    "MASK_THRESHOLD",
    "MaskBenchmark",
    "PREPROCESSING",
    "ROLE_LABELS",
    "SCORING_VERSION",
    "TOLERANCE",
    "binary_mask",
    "box_coverage",
    "box_bars",
    "box_table",
    "dataset_f_measure",
    "describe_subset",
    "draw_boxes",
    "first_images",
    "format_table",
    "interval",
    "mask_table",
    "models_mask_table",
    "paired_f_difference",
    "paired_pointing",
    "paired_pointing_table",
    "pointing_subsets",
    "pointing_subsets_table",
    "precision_recall_figure",
    "quick_pointing",
    "quick_pointing_table",
    "resize_input",
    "resize_to",
    "sample_records",
    "sod_table",
    "scale_boxes",
    "subset_label",
    "summarise_boxes",
    "summarise_masks",
    "tolerance_in_image_pixels",
]
