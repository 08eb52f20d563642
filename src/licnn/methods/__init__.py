"""LICNN's attribution methods and the baselines, one file per method, behind one face.

Every method is an :class:`AttributionMethod` with ``attribute(inputs, target=None,
keepdim=False)`` returning ``N x H x W`` maps (``N x 1 x H x W`` with ``keepdim=True``) and
metadata as class attributes (label, class-free or not, signed, scored by magnitude, Captum,
LICNN configuration). :func:`make_method` builds one by name::

    from licnn.methods import make_method
    maps = make_method("grad_cam", load_model("efficientnet-lite0")).attribute(x, target=None)

The methods, in the report's order (:data:`METHODS`): LICNN's attention and saliency maps,
Gradient (Simonyan et al. 2014), Gradient x Input, Integrated Gradients (Sundararajan et
al. 2017) and Grad-CAM (Selvaraju et al. 2017), computed by Captum, and the centre prior.
Pixel methods give a ``3 x H x W`` attribution, reduced to a map by summing the channels
(signed); Grad-CAM is upsampled bilinearly to the input size.

Two classical detectors from OpenCV contrib, spectral residual and fine-grained saliency
(:mod:`licnn.methods.classical`), are registered too but kept out of :data:`METHODS`; their
names are :data:`CLASSICAL_METHODS`. So are the class-free top-5 sums of Grad-CAM, Gradient
and Gradient x Input (:mod:`licnn.methods.top_k_sum`, :data:`TOP_K_METHODS`), the baselines
aggregated as LICNN's saliency map is.

A new method is a subclass with a name, a label and ``_attribute``, decorated with
:func:`register`; it is then built by :func:`make_method` like the built-in ones.
"""

from __future__ import annotations

from licnn.methods.base import AttributionMethod, Target, channels_last_copy
from licnn.methods.classical import CLASSICAL_METHODS  # registers the two classical methods
from licnn.methods.registry import (
    METHODS,
    get_method_class,
    label,
    make_method,
    register,
    registered,
    unregister,
)
from licnn.methods.top_k_sum import TOP_K_METHODS  # registers the three top-5 sums

__all__ = [
    "CLASSICAL_METHODS",
    "METHODS",
    "TOP_K_METHODS",
    "AttributionMethod",
    "Target",
    "channels_last_copy",
    "get_method_class",
    "label",
    "make_method",
    "register",
    "registered",
    "unregister",
]
