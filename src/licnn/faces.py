"""LICNN in the field's evaluation tools: a Quantus ``explain_func`` and a Captum attribution.

Quantus (0.6) and Captum's metrics do not know LICNN; these two faces let them score its maps
(and every other method :func:`licnn.methods.make_method` builds) beside their own methods.

- :func:`quantus_explain` is an ``explain_func`` for Quantus metrics. Quantus calls it as
  ``explain_func(model=module, inputs=x, targets=y, **explain_func_kwargs)`` with the
  ``nn.Module`` the metric was given (or, in its randomisation metrics, a deep copy of it with
  re-initialised weights), numpy inputs ``N x C x H x W`` and numpy class indices, and wants
  numpy maps back; it gets ``N x 1 x H x W`` float32 maps.
- :class:`LICNNAttribution` is a :class:`captum.attr.Attribution`: ``attribute(inputs,
  target)`` returns a tensor shaped like the inputs (the map repeated over the channels, as
  :func:`captum.metrics.infidelity` requires) or ``N x 1 x H x W`` (``channels="one"``), and
  its bound ``attribute`` is the ``explanation_func`` of :func:`captum.metrics.sensitivity_max`.

Both take the model as a :class:`licnn.models.LoadedModel` or a plain ``nn.Module``. LICNN
needs the model's gate points (its activation calls) and the baselines its name (Grad-CAM's
layer); a plain module is wrapped with the gate points of ``licnn_model`` when one is given
(the usual case in Quantus: pass ``licnn_model=`` in ``explain_func_kwargs`` so that the
randomised copies Quantus makes keep the original's gate points and Grad-CAM layer), and is
otherwise probed once with an input of the inputs' size (:func:`licnn.core.gates.find_gate_points`).

The inputs are the model's preprocessed images (:meth:`LoadedModel.preprocess`). The target
follows :class:`licnn.methods.AttributionMethod`'s convention: ``target=None`` means the
predicted class, and class-free methods (``licnn_saliency``, ``centre_prior``) accept a
target and do not use it (Quantus always passes one).
"""

from __future__ import annotations

import dataclasses
import warnings
import weakref
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from tqdm import TqdmWarning

with warnings.catch_warnings():  # captum imports tqdm.auto (see licnn.methods._captum)
    warnings.simplefilter("ignore", TqdmWarning)
    from captum.attr import Attribution

from licnn.core.config import LICNNConfig
from licnn.core.gates import GatePoint, find_gate_points
from licnn.errors import ModelError
from licnn.methods import Target, make_method
from licnn.models import LoadedModel

Channels = Literal["input", "one"]

_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(LICNNConfig))
#: The gate points of plain modules already probed, per input size. Keys are held weakly and
#: the values hold no reference to the module, so a module dropped by its owner is forgotten.
_PROBED: weakref.WeakKeyDictionary[nn.Module, dict[tuple[int, int], list[GatePoint]]] = (
    weakref.WeakKeyDictionary()
)


def as_loaded_model(
    model: LoadedModel | nn.Module,
    licnn_model: LoadedModel | None = None,
    input_size: tuple[int, int] = (224, 224),
) -> LoadedModel:
    """The :class:`LoadedModel` to explain ``model`` with (see the module docstring).

    ``licnn_model``: a loaded model whose gate points, name and preprocessing ``model`` shares
    (``model`` is its module, or a copy of it such as Quantus's randomised ones).
    ``input_size``: the size of the probe pass when ``model`` must be probed.
    """
    if isinstance(model, LoadedModel):
        return model
    if not isinstance(model, nn.Module):
        raise ModelError(
            f"model must be a licnn LoadedModel or a torch nn.Module, got {type(model).__name__}"
        )
    if licnn_model is not None:
        if not isinstance(licnn_model, LoadedModel):
            raise ModelError(
                "licnn_model must be a licnn LoadedModel (from load_model or wrap_model), "
                f"got {type(licnn_model).__name__}"
            )
        if licnn_model.module is model:
            return licnn_model
        names = dict(model.named_modules())
        missing = sorted({g.module_name for g in licnn_model.gate_points} - names.keys())
        if missing:
            raise ModelError(
                f"model is not a copy of licnn_model {licnn_model.name}: it lacks the "
                f"activation modules {', '.join(missing[:3])}; pass the matching licnn_model"
            )
        return dataclasses.replace(licnn_model, module=model)
    probed = _PROBED.setdefault(model, {})
    if input_size not in probed:
        probed[input_size] = find_gate_points(model.eval(), input_size)
    return LoadedModel(
        "custom",
        model,
        input_size[0],
        input_size[0],
        "user-supplied",
        None,
        gate_points=list(probed[input_size]),
    )


def _config(config: LICNNConfig | None, changes: dict[str, Any], where: str) -> LICNNConfig:
    unknown = sorted(set(changes) - set(_CONFIG_FIELDS))
    if unknown:
        raise TypeError(
            f"{where} got unknown keyword(s) {', '.join(unknown)}; LICNN settings are "
            f"{', '.join(_CONFIG_FIELDS)} (or pass config=LICNNConfig(...))"
        )
    base = config if config is not None else LICNNConfig()
    return base.replace(**changes) if changes else base


def quantus_explain(
    model: LoadedModel | nn.Module,
    inputs: np.ndarray | torch.Tensor,
    targets: Target = None,
    *,
    method: str = "licnn_attention",
    licnn_model: LoadedModel | None = None,
    config: LICNNConfig | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 8,
    ig_steps: int = 32,
    **config_changes: Any,
) -> np.ndarray:
    """Maps of ``method`` for ``inputs`` as numpy ``N x 1 x H x W`` float32: a Quantus explain_func.

    Use it in a metric call as ``explain_func=licnn.faces.quantus_explain,
    explain_func_kwargs={"method": "licnn_attention", "licnn_model": loaded}``.

    model: the module Quantus passes (or a :class:`LoadedModel` when called directly).
    inputs: preprocessed images ``N x C x H x W``; targets: one class per image (None: the
    predicted class; unused by class-free methods).
    method: ``licnn_attention``, ``licnn_saliency`` or any name :func:`make_method` builds.
    licnn_model: the loaded model ``model`` belongs to (see :func:`as_loaded_model`).
    config, **config_changes: the LICNN settings (:class:`LICNNConfig` fields, e.g. ``k=5``).
    device: the device Quantus names; it must be the one the model's parameters are on.
    batch_size, ig_steps: as for :func:`make_method`.
    """
    cfg = _config(config, config_changes, "quantus_explain")
    x = torch.as_tensor(np.asarray(inputs) if not torch.is_tensor(inputs) else inputs)
    if x.dim() != 4:
        raise ValueError(f"inputs must be N x C x H x W (channels first), got {tuple(x.shape)}")
    loaded = as_loaded_model(model, licnn_model, (int(x.shape[-2]), int(x.shape[-1])))
    param = next(loaded.module.parameters())
    if device is not None and torch.device(device).type != param.device.type:
        raise ValueError(
            f"device={device!r} but the model's parameters are on {param.device}; "
            "move the model there first or pass the device it is on"
        )
    x = x.to(device=param.device, dtype=param.dtype)
    explainer = make_method(method, loaded, cfg, ig_steps=ig_steps, batch_size=batch_size)
    maps = explainer.attribute(x, targets, keepdim=True)
    return maps.float().cpu().numpy()


class LICNNAttribution(Attribution):
    """A Captum attribution method that computes LICNN's maps (or any :func:`make_method` one).

    ::

        explainer = LICNNAttribution(load_model("efficientnet-lite0"))
        attr = explainer.attribute(x, target=labels)                # shaped like x
        infidelity(explainer.forward_func, perturb, x, attr, target=labels)
        sensitivity_max(explainer.attribute, x, target=labels)

    model: a :class:`LoadedModel` or an ``nn.Module`` (with ``licnn_model`` as in
    :func:`quantus_explain`); ``forward_func`` is its module, the classifier itself.
    method, config, batch_size, ig_steps, **config_changes: as for :func:`quantus_explain`.
    """

    def __init__(
        self,
        model: LoadedModel | nn.Module,
        method: str = "licnn_attention",
        config: LICNNConfig | None = None,
        *,
        licnn_model: LoadedModel | None = None,
        input_size: int = 224,
        batch_size: int = 8,
        ig_steps: int = 32,
        **config_changes: Any,
    ) -> None:
        self.model = as_loaded_model(model, licnn_model, (input_size, input_size))
        super().__init__(self.model.module)
        self.method = method
        self.config = _config(config, config_changes, "LICNNAttribution")
        self._method = make_method(
            method, self.model, self.config, ig_steps=ig_steps, batch_size=batch_size
        )

    @property
    def class_free(self) -> bool:
        """True when the maps do not depend on the target (the target is then unused)."""
        return self._method.class_free

    def attribute(
        self,
        inputs: torch.Tensor | tuple[torch.Tensor],
        target: Target = None,
        channels: Channels = "input",
    ) -> torch.Tensor | tuple[torch.Tensor]:
        """Maps for ``inputs`` (``N x C x H x W``) and ``target`` (None: the predicted class).

        channels: ``"input"`` repeats the ``H x W`` map over the input's channels (the shape
        Captum's ``infidelity`` requires); ``"one"`` gives ``N x 1 x H x W``. A one-tensor
        tuple (what Captum's metrics pass) gives a one-tensor tuple back.
        """
        if isinstance(inputs, tuple):
            if len(inputs) != 1:
                raise ValueError(f"LICNN explains one input tensor, got a tuple of {len(inputs)}")
            return (self._attribute(inputs[0], target, channels),)
        return self._attribute(inputs, target, channels)

    def _attribute(self, inputs: torch.Tensor, target: Target, channels: Channels) -> torch.Tensor:
        if channels not in ("input", "one"):
            raise ValueError(f"channels must be 'input' or 'one', got {channels!r}")
        if inputs.dim() != 4:
            raise ValueError(f"inputs must be N x C x H x W, got shape {tuple(inputs.shape)}")
        maps = self._method.attribute(inputs, target, keepdim=True).to(inputs.dtype)
        return maps.expand_as(inputs).contiguous() if channels == "input" else maps
