"""LICNN attention and saliency maps, with the experiments of the LICNN reproducibility report.

The public surface, imported on first use so that ``import licnn`` alone loads nothing heavy
(and ``from licnn import LICNN, LICNNConfig`` loads torch but not torchvision)::

    from licnn import LICNN, LICNNConfig, load_model, wrap_model, make_method, quantus_explain

- :class:`LICNN` (:mod:`licnn.core.attention`): attention and saliency maps of a wrapped model;
- :class:`LICNNConfig` (:mod:`licnn.core.config`): its settings, the seed paper's text by default;
- :func:`load_model` / :func:`wrap_model` (:mod:`licnn.models`): a classifier by name, or any
  ``nn.Module`` with ReLU-family activations, with its gate points;
- :func:`make_method` (:mod:`licnn.methods`): LICNN and the baseline attribution methods
  behind one ``attribute(inputs, target)``;
- :func:`quantus_explain` and :class:`LICNNAttribution` (:mod:`licnn.faces`): a Quantus
  ``explain_func`` and a Captum ``Attribution``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from licnn import _aliases

_aliases.install()  # the module names before the layered layout (see licnn._aliases)

try:
    __version__ = version("licnn")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

# public name -> the module that defines it
_PUBLIC = {
    "LICNN": "licnn.core.attention",
    "LICNNConfig": "licnn.core.config",
    "load_model": "licnn.models",
    "wrap_model": "licnn.models",
    "make_method": "licnn.methods",
    "quantus_explain": "licnn.faces",
    "LICNNAttribution": "licnn.faces",
}

__all__ = [
    "LICNN",
    "LICNNAttribution",
    "LICNNConfig",
    "__version__",
    "load_model",
    "make_method",
    "quantus_explain",
    "wrap_model",
]

if TYPE_CHECKING:
    from licnn.core.attention import LICNN
    from licnn.core.config import LICNNConfig
    from licnn.faces import LICNNAttribution, quantus_explain
    from licnn.methods import make_method
    from licnn.models import load_model, wrap_model


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'licnn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
