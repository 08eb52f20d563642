"""What the two localisation benchmarks share: :class:`_Benchmark`.

The model and the images, the predicted top-5 classes (cached), one attribution method object
per name and configuration, the score caches (one per method, role and configuration) and the
maps: those of one method under several LICNN configurations in one call, and those of several
methods for the same images and classes with LICNN's passes shared. The benchmarks themselves,
which say what a map is asked for and how it is scored, are in
:mod:`licnn.experiments.localisation.benchmarks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image

from licnn.cache import ResultCache, map_caches
from licnn.core.attention import LICNN
from licnn.core.config import LICNNConfig
from licnn.data import Dataset, Record
from licnn.experiments.localisation.inputs import (
    IG_STEPS,
    PREPROCESSING,
    SCORING_VERSION,
    _as_scored,
    resize_input,
)
from licnn.imaging.images import load_image
from licnn.methods import (
    AttributionMethod,
    channels_last_copy,
    get_method_class,
    make_method,
)
from licnn.methods.licnn_attention import LICNNAttention
from licnn.methods.licnn_saliency import LICNNSaliency
from licnn.models import LoadedModel


class _Benchmark:
    """Model, images, predictions and caches shared by the two benchmarks."""

    kind = ""

    def __init__(
        self,
        model: LoadedModel,
        dataset: Dataset,
        records: Sequence[Record] | None = None,
        batch_size: int = 8,
        ig_steps: int = IG_STEPS,
        progress: bool = True,
    ) -> None:
        self.model = model
        self.dataset = dataset
        self.records = list(dataset if records is None else records)
        self.batch_size = batch_size
        self.ig_steps = ig_steps
        self.progress = progress
        self._by_key = {r.key: r for r in self.records}
        self._methods: dict[tuple[str, LICNNConfig | None], AttributionMethod] = {}
        self._explainer = LICNN(model, batch_size=batch_size)
        self._captum_network: torch.nn.Module | None = None
        self._predictions: dict[str, dict[str, np.ndarray]] | None = None

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.records]

    def _base_key(self) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "weights": self.model.weights_sha256 or self.model.weights,
            "dataset": self.dataset.name,
            "manifest": self.dataset.manifest_hash,
            "preprocessing": PREPROCESSING,
        }

    def _inputs(self, records: Sequence[Record]) -> tuple[torch.Tensor, list[Image.Image]]:
        images = [load_image(r.path, draft=False, orientation=False) for r in records]
        x = torch.stack([resize_input(self.model, im) for im in images])
        return x.to(self.model.device), images

    def predictions(self) -> dict[str, dict[str, np.ndarray]]:
        """Top-5 classes and probabilities of every image (cached): ``key -> {classes, probabilities}``."""
        if self._predictions is None:
            cache = ResultCache("predictions", self._base_key())

            def compute(keys: list[str]) -> list[dict[str, np.ndarray]]:
                x, _ = self._inputs([self._by_key[k] for k in keys])
                with torch.inference_mode():
                    probs = torch.softmax(self.model.module(x).float(), dim=1)
                top = probs.topk(5, dim=1)
                return [
                    {"classes": c.cpu().numpy(), "probabilities": p.cpu().numpy()}
                    for c, p in zip(top.indices, top.values, strict=True)
                ]

            self._predictions = cache.map(
                self.keys, compute, self.batch_size * 4, "predictions", self.progress
            )
        return self._predictions

    def predicted(self, key: str) -> int:
        """The predicted top-1 class of image ``key``."""
        return int(self.predictions()[key]["classes"][0])

    def method(self, name: str, config: LICNNConfig | None = None) -> AttributionMethod:
        """The attribution method ``name`` (one object per name and configuration).

        The Captum baselines share one channels-last copy of the network (faster on a CPU;
        :func:`licnn.methods.channels_last_copy`); the weights here never change.
        """
        cls = get_method_class(name)
        config = config if cls.takes_config else None
        if (name, config) not in self._methods:
            if cls.uses_captum and self._captum_network is None:
                self._captum_network = channels_last_copy(self.model.module)
            self._methods[(name, config)] = make_method(
                name,
                self.model,
                config,
                ig_steps=self.ig_steps,
                batch_size=self.batch_size,
                network=self._captum_network if cls.uses_captum else None,
            )
        return self._methods[(name, config)]

    @staticmethod
    def _jobs(methods: Sequence[str]) -> list[tuple[str, str]]:
        """The (method, role) pairs whose scores the benchmark stores for ``methods``."""
        raise NotImplementedError

    def uncached(
        self,
        methods: Sequence[str],
        configs: Sequence[LICNNConfig | None] = (None,),
        roles: Sequence[str] | None = None,
    ) -> int:
        """How many images lack a cached score of one of ``methods`` (under one of ``configs``).

        What a run still has to compute; 0 means it only reads the cache. ``roles`` limits
        the count to those roles (class-free methods count under any role).
        """
        jobs = [(m, r) for m, r in self._jobs(methods) if roles is None or r in (*roles, "any")]
        caches = [self._cache(m, r, c) for m, r in jobs for c in configs]
        return sum(any(k not in cache for cache in caches) for k in self.keys)

    def _cache(self, method: str, role: str, config: LICNNConfig | None) -> ResultCache:
        cls = get_method_class(method)
        key = self._base_key() | {
            "benchmark": self.kind,
            "method": method,
            "role": role,
            "config": (config or LICNNConfig()).as_dict() if cls.takes_config else None,
            "ig_steps": self.ig_steps if cls.uses_ig_steps else None,
            "scoring_version": SCORING_VERSION,
        }
        if cls.uses_captum:
            key["memory_format"] = "channels_last"
        return ResultCache(f"{self.kind}-{method}-{role}", key)

    def _maps(
        self,
        method: str,
        records: Sequence[Record],
        targets: Sequence[int],
        configs: Sequence[LICNNConfig | None],
    ) -> tuple[list[NDArray[np.float64]], list[Image.Image]]:
        """Maps (N x H x W, numpy) of ``method`` for ``records``, one array per configuration.

        LICNN's maps for several configurations come from one :meth:`LICNN.explain_configs`
        call, which shares the passes the configurations agree on.
        """
        x, images = self._inputs(records)
        target = torch.as_tensor(list(targets), dtype=torch.long, device=x.device)
        maps = self._maps_of(method, x, target, configs)
        return [_as_scored(method, m) for m in maps], images

    def _maps_of(
        self,
        method: str,
        x: torch.Tensor,
        target: torch.Tensor,
        configs: Sequence[LICNNConfig | None],
    ) -> list[torch.Tensor]:
        explainer = self.method(method)
        if isinstance(explainer, LICNNAttention):  # LICNN's maps, one call for all configs
            chosen = [c or LICNNConfig() for c in configs]
            return explainer.attribute_configs(x, chosen, target)
        return [self.method(method, c).attribute(x, target) for c in configs]

    def _shared_maps(
        self, x: torch.Tensor, methods: Sequence[str], targets: Sequence[int]
    ) -> dict[str, NDArray[np.float64]]:
        """Maps (N x H x W) of several methods, default settings, for the same images and classes.

        LICNN's attention map of a class among the top 5 is a slot of the saliency map's call,
        so only the images whose class is not among them get a call of their own. Each map is
        the one :meth:`_maps` gives, up to float rounding.
        """
        target = torch.as_tensor(list(targets), dtype=torch.long, device=x.device)
        maps: dict[str, torch.Tensor] = {}
        attention, saliency = LICNNAttention.name, LICNNSaliency.name
        if saliency in methods and attention in methods:
            top5 = self._explainer.explain(x, top_k=LICNNSaliency.top_k)
            maps[saliency] = top5.saliency
            found = top5.classes == target[:, None]
            rows = torch.arange(x.shape[0], device=x.device)
            found_maps = top5.attention[rows, found.int().argmax(dim=1)]
            missing = (~found.any(dim=1)).nonzero()[:, 0]
            if missing.numel():
                found_maps[missing] = self._explainer.attribute(x[missing], target[missing])
            maps[attention] = found_maps
        for method in methods:
            if method not in maps:
                maps[method] = self._maps_of(method, x, target, [None])[0]
        return {m: _as_scored(m, maps[m]) for m in methods}

    def _collect(
        self,
        method: str,
        role: str,
        configs: Sequence[LICNNConfig | None],
        compute: Callable[[list[str]], list[list[dict[str, Any]]]],
    ) -> list[dict[str, np.ndarray]]:
        """Per-image scores of every record under each configuration, stacked in record order."""
        caches = [self._cache(method, role, c) for c in configs]
        label = f"{method} ({role})" if role != "any" else method
        if len(configs) > 1:
            label += f", {len(configs)} settings"
        found = map_caches(caches, self.keys, compute, self.batch_size, label, self.progress)
        return [self._stack([per_config[k] for k in self.keys]) for per_config in found]

    def _stack(self, rows: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        stacked = {name: np.stack([row[name] for row in rows]) for name in rows[0]} if rows else {}
        stacked["keys"] = np.asarray(self.keys)
        return stacked
