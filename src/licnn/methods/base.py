"""The base class of LICNN's and the baselines' attribution methods, and its one convention.

A method is a small subclass of :class:`AttributionMethod`: class attributes say what it is
(its name and label, whether its map depends on the class, whether the map is signed, ...)
and ``_attribute`` computes the maps. Modules that treat methods alike read those attributes
instead of testing method names; :mod:`licnn.methods.registry` finds a method by name.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import torch
from torch import nn

from licnn.core.checks import check_inputs
from licnn.core.config import LICNNConfig
from licnn.errors import InputError, ModelError

if TYPE_CHECKING:  # the core needs no torchvision: models is imported for typing only
    from licnn.models import LoadedModel

#: What ``attribute`` accepts as the classes to explain.
Target = int | Sequence[int] | np.ndarray | torch.Tensor | None


class AttributionMethod:
    """One attribution method: ``attribute(inputs, target) -> N x H x W`` float maps.

    The target convention, the same for every method:

    - ``target`` is one class per image (a sequence, array or tensor of ``N`` indices) or one
      class for all of them (an int or a one-element sequence);
    - ``target=None`` means each image's predicted class, found by one forward pass of
      ``model.module`` under ``torch.no_grad()``, for a class-specific method;
    - a class-free method (``class_free = True``) accepts a target, checks its length and does
      not use it: its map does not depend on the class, so ``target=None`` costs no forward
      pass and any target gives the same map (Quantus and Captum's metrics always pass one).

    Inputs with NaN or infinite values are refused (:class:`licnn.errors.InputError`), and so
    are maps with them (:class:`licnn.errors.ModelError`: the network overflowed).

    Class attributes (the metadata other modules read):

    - ``name``: the registry key; ``label``: the name in tables and figures;
    - ``class_free``: the map does not depend on the class asked for;
    - ``signed``: the map can be negative and its sign means something (with default settings);
    - ``magnitude``: the map is scored by its absolute value (``|map|``);
    - ``uses_captum``: computed by Captum through ``network`` (gradients through the network);
    - ``takes_config``: uses a :class:`licnn.core.config.LICNNConfig` (``config``);
    - ``uses_ig_steps``: uses ``ig_steps`` (the number of integration steps);
    - ``uses_model``: depends on the model at all (False for a fixed prior).

    model: the :class:`licnn.models.LoadedModel` to explain. config: LICNN's settings (used
    only where ``takes_config``; None: the defaults). ig_steps: integration steps (where
    ``uses_ig_steps``). batch_size: inputs per pass for the methods that chunk their work.
    network: the ``nn.Module`` the Captum methods differentiate, by default ``model.module``
    (e.g. a :func:`channels_last_copy` of it); LICNN's maps always use ``model.module``.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    class_free: ClassVar[bool] = False
    signed: ClassVar[bool] = False
    magnitude: ClassVar[bool] = False
    uses_captum: ClassVar[bool] = False
    takes_config: ClassVar[bool] = False
    uses_ig_steps: ClassVar[bool] = False
    uses_model: ClassVar[bool] = True

    def __init__(
        self,
        model: LoadedModel,
        config: LICNNConfig | None = None,
        ig_steps: int = 32,
        batch_size: int = 8,
        network: nn.Module | None = None,
    ) -> None:
        self.model = model
        self.config = config
        self.ig_steps = ig_steps
        self.batch_size = batch_size
        self.network = model.module if network is None else network
        self._setup()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model.name!r})"

    def _setup(self) -> None:
        """Build what the method reuses between calls (a Captum object, a LICNN explainer)."""

    def _attribute(self, inputs: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        """The maps (N x H x W) of checked inputs; ``target``: N classes, None if class-free."""
        raise NotImplementedError(f"{type(self).__name__} does not define _attribute")

    def attribute(
        self, inputs: torch.Tensor, target: Target = None, keepdim: bool = False
    ) -> torch.Tensor:
        """Maps of ``inputs`` (N x C x H x W) for ``target``: N x H x W, or N x 1 x H x W.

        ``target``: see the class docstring (None: the predicted class; unused if class-free).
        ``keepdim``: keep a channel axis of one, the shape Quantus and Captum's metrics expect.
        """
        check_inputs(inputs)
        targets = self.targets(inputs, target)
        maps = self._attribute(inputs, None if self.class_free else targets).detach()
        if not torch.isfinite(maps).all():
            raise ModelError(
                f"{self.label} gave NaN or infinite values: the network overflows on these "
                "inputs; check its weights and the preprocessing"
            )
        return maps.unsqueeze(1) if keepdim else maps

    def targets(self, inputs: torch.Tensor, target: Target) -> torch.Tensor | None:
        """``target`` as N class indices (long, on the inputs' device), by the convention.

        None stays None for a class-free method and is the predicted class otherwise.
        """
        n = inputs.shape[0]
        if target is None:
            if self.class_free:
                return None
            with torch.no_grad():
                return self.model.module(inputs).argmax(dim=1)
        if isinstance(target, np.ndarray):
            target = torch.from_numpy(np.asarray(target).astype(np.int64))
        t = torch.as_tensor(target, dtype=torch.long, device=inputs.device)
        if t.dim() == 0:
            return t.expand(n)
        t = t.reshape(-1)
        if t.numel() == 1:
            return t.expand(n)
        if t.numel() != n:
            raise InputError(
                f"target has {t.numel()} classes for {n} images; give one class per image, "
                "one class for all, or None for the predicted class"
            )
        return t


def channels_last_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with channels-last weights, for :func:`make_method`'s ``network``.

    About a quarter faster for the Captum methods on a CPU with EfficientNet-Lite0; the maps
    differ from the default layout's by summation order only (~0.3% of their maximum for
    Integrated Gradients). The copy is a snapshot: never use it for weights that change
    later (the randomisation checks).
    """
    return copy.deepcopy(module).to(memory_format=torch.channels_last)
