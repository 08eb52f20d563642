"""The seed's blur experiment (section 4.1): classify each image with its background or its
salient object blurred, and compare the accuracies with the original's.

Two parts, kept apart:

- **statistics** (pure functions of boolean arrays): :func:`accuracy_ci`,
  :func:`compare_variants`, :func:`summarise_hits`, :func:`share_summary`,
  :func:`curve_series`;
- **runner**: :func:`run_blur_experiment` makes the LICNN top-5 saliency map of every image
  once (on the 224 x 224 crop the network sees), derives the seed code's binary mask, builds
  every image variant (:data:`VARIANTS`), classifies them in batches and stores each image's
  results in a :class:`licnn.cache.ResultCache`, so an interrupted run resumes where it
  stopped and a finished one is only read back. The results come back as
  :class:`BlurResults`, whose :meth:`BlurResults.summary` applies the statistics.

Each image's cache entry holds the logits of every variant over all 1000 classes, so the
same entry serves 1000-class accuracy and the 200-class accuracy of ImageNet-A (and its
proxy, whose images are drawn from the natural sets): the entry is named after the image
file, not after the dataset. The saliency map is always the model's own top-5 over the 1000
classes; only the scoring is restricted.

The code is split by job: :mod:`~licnn.experiments.blur.statistics`,
:mod:`~licnn.experiments.blur.variants` (one image), :mod:`~licnn.experiments.blur.runner` and
:mod:`~licnn.experiments.blur.results`; this module re-exports their public names.
It also keeps the names the module had by import before it was split (``Dataset``,
``ImageError``, ``LICNN``, ``LICNNConfig``, ``LoadedModel``, ``RADII``, ``Record``,
``ResultCache``, ``blur_variants``, ``erase_background``, ``image_maps``, ``load_image``,
``maps_key``, ``mcnemar``, ``mean_ci``, ``proportion_ci``, ``salient_mask``, ``topk_hits``),
for its old users.
"""

from __future__ import annotations

from licnn.cache import ResultCache as ResultCache
from licnn.core.attention import LICNN as LICNN
from licnn.core.config import LICNNConfig as LICNNConfig
from licnn.data.datasets import Dataset as Dataset
from licnn.data.datasets import Record as Record
from licnn.errors import ImageError as ImageError
from licnn.experiments.blur.maps import image_maps as image_maps
from licnn.experiments.blur.maps import maps_key as maps_key
from licnn.experiments.blur.results import (
    BlurResults,
    pool,
)
from licnn.experiments.blur.runner import (
    CACHE_EXPERIMENT,
    CACHE_VERSION,
    cache_key,
    item_name,
    load_adversarial,
    run_blur_experiment,
)
from licnn.experiments.blur.statistics import (
    ERASED,
    VARIANTS,
    accuracy_ci,
    compare_variants,
    curve_series,
    describe_changes,
    format_table,
    share_summary,
    summarise_hits,
    variant_names,
)
from licnn.experiments.blur.variants import (
    TOP_K,
    Example,
    image_variants,
    make_example,
    mask_shares,
)
from licnn.experiments.evaluate import topk_hits as topk_hits
from licnn.imaging.blur import RADII as RADII
from licnn.imaging.blur import blur_variants as blur_variants
from licnn.imaging.blur import erase_background as erase_background
from licnn.imaging.blur import salient_mask as salient_mask
from licnn.imaging.images import load_image as load_image
from licnn.metrics.stats import mcnemar as mcnemar
from licnn.metrics.stats import mean_ci as mean_ci
from licnn.metrics.stats import proportion_ci as proportion_ci
from licnn.models import LoadedModel as LoadedModel

__all__ = [
    "BlurResults",
    "CACHE_EXPERIMENT",
    "CACHE_VERSION",
    "ERASED",
    "Example",
    "TOP_K",
    "VARIANTS",
    "accuracy_ci",
    "cache_key",
    "compare_variants",
    "curve_series",
    "describe_changes",
    "format_table",
    "image_variants",
    "item_name",
    "load_adversarial",
    "make_example",
    "mask_shares",
    "pool",
    "run_blur_experiment",
    "share_summary",
    "summarise_hits",
    "variant_names",
]
