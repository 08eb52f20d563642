"""Compatibility names for the attribution methods, whose home is :mod:`licnn.methods`.

Existing code imports the method names and their properties from here; they are derived
from the registry's metadata (the built-in methods, :data:`licnn.methods.METHODS`), so they
cannot drift from the method classes. New code should read the metadata of a method (e.g.
``make_method(name, model).class_free`` or ``get_method_class(name).magnitude``) instead.
"""

from __future__ import annotations

from licnn.methods import (
    METHODS,
    AttributionMethod,
    channels_last_copy,
    get_method_class,
    make_method,
)
from licnn.methods.grad_cam import GRAD_CAM_LAYERS, grad_cam_layer

__all__ = [
    "CAPTUM_METHODS",
    "CLASS_FREE",
    "GRAD_CAM_LAYERS",
    "LABELS",
    "MAGNITUDE_METHODS",
    "METHODS",
    "AttributionMethod",
    "channels_last_copy",
    "grad_cam_layer",
    "make_method",
]

_CLASSES = [get_method_class(name) for name in METHODS]

#: Methods whose map does not depend on the class asked for.
CLASS_FREE = tuple(c.name for c in _CLASSES if c.class_free)
#: Pixel methods whose map is scored by the magnitude of its signed channel sum.
MAGNITUDE_METHODS = tuple(c.name for c in _CLASSES if c.magnitude)
#: Methods computed by Captum (gradients through the network).
CAPTUM_METHODS = tuple(c.name for c in _CLASSES if c.uses_captum)
#: Labels for tables and figures.
LABELS = {c.name: c.label for c in _CLASSES}
