"""Model-parameter randomisation tests (Adebayo et al. 2018) for LICNN and the baselines.

A saliency method that explains what a model learned should give a different map once the
model's learned weights are destroyed. Two tests re-initialise the weights of a trained
model in steps, from the output towards the input:

- **cascading**: step k re-initialises the top k layer groups (each step keeps the earlier
  ones), so the last step leaves no trained weight;
- **independent**: step k re-initialises group k alone, every other group keeps its weights.

Each step's map is compared with the original model's map of the same image by
:func:`licnn.metrics.similarity.compare_maps`; :func:`summarise` gives the mean and a 95% bootstrap
interval over the images per method, measure and step.

How a group is re-initialised (our choice; the test only asks that the learned values go):
every ``Conv2d`` and ``Linear`` weight is drawn from a Kaiming (He) normal distribution
(fan-in, ReLU gain, ``std = sqrt(2 / fan_in)``), the usual initialiser of ReLU networks, and
its bias is set to zero; every batch-norm layer of the group is reset to its freshly
constructed state (scale 1, shift 0, running mean 0, running variance 1), the identity at
evaluation time. Keeping trained batch-norm statistics behind random convolutions would
rescale the random responses by numbers that belong to the trained ones. Each group draws
from its own generator, seeded from ``(seed, group index)``, so a group gets the same
random weights in both tests and in any subset of steps.

The code is split by job: :mod:`~licnn.experiments.sanity.randomise` (the randomised models),
:mod:`~licnn.experiments.sanity.runner` (maps, similarities, caching),
:mod:`~licnn.experiments.sanity.summary` (summaries and tables) and
:mod:`~licnn.experiments.sanity.figures`; this module re-exports their public names.
It also keeps the names the module had by import before it was split (``LICNNConfig``,
``LicnnError``, ``LoadedModel``, ``METHODS``, ``Record``, ``ResultCache``,
``SIMILARITY_KEYS``, ``compare_maps``, ``get_method_class``, ``load_image``, ``make_method``,
``mean_ci``, ``method_label``), for its old users.
"""

from __future__ import annotations

from licnn.cache import ResultCache as ResultCache
from licnn.core.config import LICNNConfig as LICNNConfig
from licnn.data import Record as Record
from licnn.errors import LicnnError as LicnnError
from licnn.experiments.sanity.baselines import (
    END_POINT_PARTS,
    end_point,
    end_point_table,
    methods_table,
    partner_indices,
    per_step_baselines,
    quantus_table,
    randomised_end_point,
    seed_spread,
    seed_table,
    step_baseline_table,
    trained_other_image,
    variants_table,
)
from licnn.experiments.sanity.compute import (
    DEFAULT_PROTOCOL,
    ORIGINAL_STEP,
    TARGETS,
    Protocol,
)
from licnn.experiments.sanity.figures import (
    curves_figure,
    display_map,
    maps_figure,
)
from licnn.experiments.sanity.interventions import INTERVENTIONS, replicate_padding_
from licnn.experiments.sanity.quantus_checks import QUANTUS_CHECKS, QUANTUS_LABELS, quantus_checks
from licnn.experiments.sanity.randomise import (
    BATCH_NORM_MODES,
    MODES,
    cascading_models,
    copy_model,
    group_seed,
    independent_models,
    layer_groups,
    randomise_group_,
    randomised_models,
    reinitialise_,
)
from licnn.experiments.sanity.runner import (
    CACHE_VERSION,
    SANITY_METHODS,
    RandomisationResult,
    cache_key,
    item_name,
    original_maps,
    run_randomisation,
    sample_records,
)
from licnn.experiments.sanity.summary import (
    METRIC_LABELS,
    PARTS,
    curve,
    seed_step_table,
    step_table,
    summarise,
    summary_table,
)
from licnn.experiments.sanity.variants import VARIANTS, Variant, run_seeds, run_variants, variant
from licnn.imaging.images import load_image as load_image
from licnn.methods import METHODS as METHODS
from licnn.methods import get_method_class as get_method_class
from licnn.methods import label as method_label  # noqa: F401  (an old public name)
from licnn.methods import make_method as make_method
from licnn.metrics.similarity import SIMILARITY_KEYS as SIMILARITY_KEYS
from licnn.metrics.similarity import compare_maps as compare_maps
from licnn.metrics.stats import mean_ci as mean_ci
from licnn.models import LoadedModel as LoadedModel

__all__ = [
    "BATCH_NORM_MODES",
    "CACHE_VERSION",
    "DEFAULT_PROTOCOL",
    "END_POINT_PARTS",
    "QUANTUS_CHECKS",
    "QUANTUS_LABELS",
    "VARIANTS",
    "Variant",
    "end_point",
    "randomised_end_point",
    "end_point_table",
    "methods_table",
    "partner_indices",
    "per_step_baselines",
    "quantus_checks",
    "run_seeds",
    "run_variants",
    "seed_spread",
    "seed_step_table",
    "trained_other_image",
    "quantus_table",
    "seed_table",
    "step_baseline_table",
    "variants_table",
    "variant",
    "INTERVENTIONS",
    "ORIGINAL_STEP",
    "Protocol",
    "TARGETS",
    "replicate_padding_",
    "METRIC_LABELS",
    "MODES",
    "PARTS",
    "RandomisationResult",
    "SANITY_METHODS",
    "cache_key",
    "cascading_models",
    "copy_model",
    "curve",
    "curves_figure",
    "display_map",
    "group_seed",
    "independent_models",
    "item_name",
    "layer_groups",
    "maps_figure",
    "original_maps",
    "randomise_group_",
    "randomised_models",
    "reinitialise_",
    "run_randomisation",
    "sample_records",
    "step_table",
    "summarise",
    "summary_table",
]
