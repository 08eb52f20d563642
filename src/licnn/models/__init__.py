"""The classifiers LICNN explains: load one by name or wrap any ReLU-family ``nn.Module``.

The code lives in :mod:`licnn.models.loading` and :mod:`licnn.models.inputs` (the crops and
batch a model sees, :func:`crop_batch`); this package re-exports their public names
(``from licnn.models import load_model`` is the public path).
"""

from licnn.models.inputs import crop_batch
from licnn.models.loading import (
    DEFAULT_MODEL,
    IMAGENET_MEAN,
    IMAGENET_STD,
    MODEL_NAMES,
    RELU_FAMILY,
    VGG16_ENV,
    VGG16_FILE,
    VGG16_SHA256_PREFIX,
    VGG16_URL,
    GatePoint,
    LoadedModel,
    ModelError,
    WeightsError,
    check_gateable,
    find_gate_points,
    imagenet_class_names,
    load_model,
    sha256_of,
    vgg16_weights_path,
    wrap_model,
)

__all__ = [
    "DEFAULT_MODEL",
    "GatePoint",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "LoadedModel",
    "MODEL_NAMES",
    "ModelError",
    "RELU_FAMILY",
    "VGG16_ENV",
    "VGG16_FILE",
    "VGG16_SHA256_PREFIX",
    "VGG16_URL",
    "WeightsError",
    "check_gateable",
    "crop_batch",
    "find_gate_points",
    "imagenet_class_names",
    "load_model",
    "sha256_of",
    "vgg16_weights_path",
    "wrap_model",
]
