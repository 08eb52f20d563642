"""The methods by name: :func:`register`, :func:`get_method_class` and :func:`make_method`.

Each built-in method's file registers its class with the :func:`register` decorator; a
method of one's own registers the same way and is then built by :func:`make_method` and
listed by :func:`registered` (not by :data:`METHODS`, the report's set).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, TypeVar

from torch import nn

from licnn.core.config import LICNNConfig
from licnn.methods.base import AttributionMethod

if TYPE_CHECKING:
    from licnn.models import LoadedModel

#: The built-in methods in the order the report lists them; each is defined in the module
#: of its name, ``licnn.methods.<name>``.
METHODS = (
    "licnn_attention",
    "licnn_saliency",
    "gradient",
    "gradient_x_input",
    "integrated_gradients",
    "grad_cam",
    "centre_prior",
)

M = TypeVar("M", bound=type[AttributionMethod])

_REGISTRY: dict[str, type[AttributionMethod]] = {}


def register(cls: M) -> M:
    """Class decorator: make ``cls`` (an :class:`AttributionMethod`) buildable by its name."""
    if not (isinstance(cls, type) and issubclass(cls, AttributionMethod)):
        raise TypeError(f"register takes an AttributionMethod subclass, got {cls!r}")
    if not cls.name or not cls.label:
        raise ValueError(f"{cls.__name__} needs a name and a label to be registered")
    known = _REGISTRY.get(cls.name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise ValueError(
            f"method name {cls.name!r} is taken by {known.__qualname__}; choose another name"
        )
    _REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a method registered with :func:`register` (the built-in ones stay)."""
    if name in METHODS:
        raise ValueError(f"{name!r} is a built-in method and cannot be unregistered")
    if _REGISTRY.pop(name, None) is None:
        raise ValueError(f"no method {name!r} is registered")


def _load_built_in() -> None:
    for name in METHODS:
        if name not in _REGISTRY:
            importlib.import_module(f"licnn.methods.{name}")


def registered() -> tuple[str, ...]:
    """Every registered method's name: the built-in ones in report order, then the others."""
    _load_built_in()
    return METHODS + tuple(n for n in _REGISTRY if n not in METHODS)


def get_method_class(name: str) -> type[AttributionMethod]:
    """The class of method ``name``; a ValueError that lists the names for an unknown one."""
    _load_built_in()
    cls = _REGISTRY.get(name)
    if cls is None:
        raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(registered())}")
    return cls


def label(name: str) -> str:
    """The table label of method ``name``, or the name itself for an unregistered one."""
    _load_built_in()
    cls = _REGISTRY.get(name)
    return cls.label if cls is not None else name


def make_method(
    name: str,
    model: LoadedModel,
    config: LICNNConfig | None = None,
    ig_steps: int = 32,
    batch_size: int = 8,
    network: nn.Module | None = None,
) -> AttributionMethod:
    """Build method ``name`` (one of :func:`registered`, e.g. :data:`METHODS`) for ``model``.

    ``config``: LICNN's settings, used by the methods that take one (``takes_config``).
    ``ig_steps``: Integrated Gradients' steps. ``batch_size``: inputs per pass (LICNN's
    chunks, Integrated Gradients' internal batches). ``network``: the network the Captum
    methods differentiate, by default ``model.module``; e.g. a
    :func:`licnn.methods.channels_last_copy` of it, made once and shared by the methods.
    LICNN's maps always use ``model.module``.
    """
    cls = get_method_class(name)
    return cls(model, config, ig_steps=ig_steps, batch_size=batch_size, network=network)
