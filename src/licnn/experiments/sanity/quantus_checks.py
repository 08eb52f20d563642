"""Quantus's parameter-randomisation metrics on the report's methods: MPRT, sMPRT and eMPRT.

An independent implementation of the end point of chapter 4's test, and two later variants of
it (Hedström et al., 2023): Smooth MPRT averages each explanation over noisy copies of the
input before comparing, to take out the noise gradients carry; Efficient MPRT compares the
*complexity* (discrete entropy) of the explanations of the fully randomised and the trained
model, so it needs no similarity measure: a rise above 1 means the randomised maps are less
structured. All three are run with ``skip_layers=True``: only the fully randomised model,
which Quantus builds by resetting every layer's parameters (``reset_parameters``, which also
resets batch norm), seeded by ``seed``.

Quantus 0.6's ``SmoothMPRT`` calls its own ``quantus.explain`` for the noisy copies and so
ignores a custom ``explain_func``; :class:`_SmoothMPRT` calls the ``explain_func`` it was
given instead (the averaging is Quantus's, unchanged).
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from licnn.cache import ResultCache
from licnn.data import Record
from licnn.experiments.sanity.compute import load_batch
from licnn.faces import quantus_explain
from licnn.models import LoadedModel

#: The three checks, by the names the results use.
QUANTUS_CHECKS = ("mprt", "smprt", "emprt")
#: What each check's number is.
QUANTUS_LABELS = {
    "mprt": "MPRT: Spearman, trained vs fully randomised map",
    "smprt": "sMPRT: the same for maps averaged over noisy inputs",
    "emprt": "eMPRT: relative rise in entropy, (randomised - trained) / trained",
}


def _metric(check: str, nr_samples: int, noise_magnitude: float, seed: int) -> Any:
    import quantus

    if check == "mprt":
        return quantus.MPRT(
            skip_layers=True, return_last_correlation=True, seed=seed, disable_warnings=True
        )
    if check == "smprt":
        return _smooth_mprt_class()(
            skip_layers=True,
            return_last_correlation=True,
            nr_samples=nr_samples,
            noise_magnitude=noise_magnitude,
            seed=seed,
            disable_warnings=True,
        )
    if check == "emprt":
        return quantus.EfficientMPRT(seed=seed, disable_warnings=True)
    raise ValueError(f"unknown check {check!r}; known: {QUANTUS_CHECKS}")


def _smooth_mprt_class() -> type:
    import quantus

    class _SmoothMPRT(quantus.SmoothMPRT):  # type: ignore[misc]
        """Quantus's SmoothMPRT with the noisy copies explained by the given ``explain_func``.

        The noise is drawn from ``noise_rng`` (set by the caller; Quantus uses the global
        NumPy generator), so each image's noise is reproducible.
        """

        noise_rng: np.random.Generator = np.random.default_rng(0)

        def explain_smooth_batch_numpy(
            self, model: Any, x_batch: np.ndarray, y_batch: np.ndarray, std: Any, **kwargs: Any
        ) -> np.ndarray:
            total = None
            for n in range(self.nr_samples):
                # As in Quantus: the last sample is the input itself, without noise.
                last = n == self.nr_samples - 1
                noise = 0.0 if last else self.noise_rng.standard_normal(x_batch.shape) * std
                noisy = (x_batch + noise).astype(np.float32)
                # Only the explain_func's own arguments (Quantus adds its batch keywords).
                maps = self.explain_func(
                    model=model, inputs=noisy, targets=y_batch, **self.explain_func_kwargs
                )
                total = maps / self.nr_samples if total is None else total + maps / self.nr_samples
            assert total is not None
            return total

    return _SmoothMPRT


def _score(metric: Any, **arguments: Any) -> float:
    """One image's score, or NaN where Quantus refuses the maps.

    Quantus raises an ``AssertionError`` when an explanation is all zeros (for instance
    Grad-CAM of a randomised model, whose ReLU can leave nothing); such an image has no score,
    and the tables give how many images were scored.
    """
    try:
        return float(np.ravel(metric(**arguments))[0])
    except AssertionError as error:
        if "all equal to zero" in str(error):
            return float("nan")
        raise


def quantus_checks(
    model: LoadedModel,
    records: Sequence[Record],
    methods: Sequence[str],
    checks: Sequence[str] = QUANTUS_CHECKS,
    nr_samples: int = 10,
    noise_magnitude: float = 0.1,
    seed: int = 42,
    ig_steps: int = 16,
    cache: bool = True,
    progress: bool = True,
) -> dict[str, dict[str, NDArray[np.float64]]]:
    """``{check: {method: one value per image}}`` of Quantus's checks, for the trained model's top-1.

    Each image is scored on its own (a batch of one), so a cached image's values do not
    depend on the others; the noise of sMPRT is seeded per image from its name. NaN marks an
    image Quantus refused to score (an all-zero map, see :func:`_score`).
    """
    from licnn.experiments.sanity.runner import item_name

    unknown = [c for c in checks if c not in QUANTUS_CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; known: {QUANTUS_CHECKS}")
    by_item = {item_name(r): r for r in records}

    def compute(items: list[str]) -> list[dict[str, NDArray[Any]]]:
        out = []
        for item in items:
            x = load_batch(model, [by_item[item]])
            with torch.no_grad():
                y = model.module(x).argmax(dim=1)
            values: dict[str, NDArray[Any]] = {}
            for check in checks:
                for name in methods:
                    metric = _metric(check, nr_samples, noise_magnitude, seed)
                    noise_seed = zlib.crc32(f"{item}|{check}|{name}".encode())
                    metric.noise_rng = np.random.default_rng(noise_seed)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        score = _score(
                            metric,
                            model=model.module,
                            x_batch=x.cpu().numpy(),
                            y_batch=y.cpu().numpy(),
                            a_batch=None,
                            explain_func=quantus_explain,
                            explain_func_kwargs={
                                "method": name,
                                "licnn_model": model,
                                "ig_steps": ig_steps,
                            },
                            device=str(model.device),
                            batch_size=1,
                        )
                    values[f"{check}__{name}"] = np.asarray(score)
            out.append(values)
        return out

    key = {
        "version": 1,
        "model": model.name,
        "weights_sha256": model.weights_sha256,
        "methods": list(methods),
        "checks": list(checks),
        "nr_samples": nr_samples,
        "noise_magnitude": noise_magnitude,
        "seed": seed,
        "ig_steps": ig_steps,
    }
    items = list(by_item)
    if cache:
        found = ResultCache("sanity-quantus", key).map(items, compute, 1, "quantus", progress)
    else:
        found = dict(zip(items, compute(items), strict=True))
    return {
        check: {
            name: np.asarray([float(found[i][f"{check}__{name}"]) for i in items])
            for name in methods
        }
        for check in checks
    }
