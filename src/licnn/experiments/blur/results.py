"""The blur experiment's results (:class:`BlurResults`) and their pooling over data sets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from licnn.cache import ResultCache
from licnn.data.datasets import Record
from licnn.experiments.blur.statistics import share_summary, summarise_hits
from licnn.experiments.evaluate import topk_hits


@dataclass
class BlurResults:
    """The blur experiment's per-image results on one dataset (or a pool of datasets).

    ``logits`` is ``N x V x C`` (images x :attr:`variants` x all classes); accuracy is over
    ``class_indices`` when given (the 200 ImageNet-A classes), else over all classes.
    """

    dataset: str
    records: tuple[Record, ...]
    items: tuple[str, ...]
    variants: tuple[str, ...]
    labels: NDArray[np.int64]
    logits: NDArray[np.float32]
    mask_share: NDArray[np.float64]
    saliency_classes: NDArray[np.int64]
    class_indices: tuple[int, ...] | None
    cache: ResultCache
    skipped: list[tuple[str, str]] = field(default_factory=list)
    n_computed: int = 0
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.records)

    @property
    def n_classes(self) -> int:
        """Number of classes accuracy is computed over."""
        return len(self.class_indices) if self.class_indices else self.logits.shape[2]

    def hits(self) -> NDArray[np.bool_]:
        """``N x V x 2`` booleans: the label in the top 1 / top 5 (over the evaluated classes)."""
        n, v, c = self.logits.shape
        flat = torch.from_numpy(self.logits.reshape(n * v, c))
        labels = torch.from_numpy(np.repeat(self.labels, v))
        return topk_hits(flat, labels, (1, 5), self.class_indices).numpy().reshape(n, v, 2)

    def ranked(self, k: int = 5) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Top-``k`` classes (ImageNet indices) and their softmax probabilities, ``N x V x k``.

        Both are over the evaluated classes: for the 200-class sets the softmax is taken
        over those 200 logits.
        """
        logits, index = self._evaluated_logits()
        probs = torch.softmax(torch.from_numpy(logits).double(), dim=-1)
        top = probs.topk(k, dim=-1)
        return index[top.indices.numpy()], top.values.numpy()

    def label_probability(self) -> NDArray[np.float64]:
        """``N x V`` softmax probability of the true class (over the evaluated classes)."""
        logits, index = self._evaluated_logits()
        probs = torch.softmax(torch.from_numpy(logits).double(), dim=-1).numpy()
        position = {int(c): i for i, c in enumerate(index)}
        out = np.zeros(probs.shape[:2])
        for row, label in enumerate(self.labels):
            if int(label) in position:
                out[row] = probs[row, :, position[int(label)]]
        return out

    def least_likely(self, variant: int = 0) -> NDArray[np.int64]:
        """Per image, the evaluated class with the lowest logit for one variant (a control class)."""
        logits, index = self._evaluated_logits()
        return index[logits[:, variant].argmin(axis=-1)]

    def _evaluated_logits(self) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        if self.class_indices is None:
            return self.logits, np.arange(self.logits.shape[2])
        index = np.asarray(self.class_indices, dtype=np.int64)
        return self.logits[:, :, index], index

    def _entry(self, i: int) -> dict[str, np.ndarray]:
        entry = self.cache.get(self.items[i])
        if entry is None:
            raise KeyError(f"{self.items[i]} is not in the cache {self.cache.folder}")
        return entry

    def mask(self, i: int) -> NDArray[np.bool_]:
        """The salient mask of image ``i`` (the one its variants were made with)."""
        entry = self._entry(i)
        shape = tuple(int(s) for s in entry["mask_shape"])
        bits = np.unpackbits(entry["mask_bits"], count=int(np.prod(shape)))
        return bits.reshape(shape).astype(bool)

    def saliency(self, i: int) -> NDArray[np.float32] | None:
        """The stored saliency map of image ``i`` (kept only where the original is wrong)."""
        entry = self._entry(i)
        return entry["saliency"].astype(np.float32) if "saliency" in entry else None

    def select(self, indices: ArrayLike, dataset: str | None = None) -> BlurResults:
        """The results of some images only (a subset of a pool, say)."""
        rows = np.asarray(indices, dtype=np.int64).ravel()
        return replace(
            self,
            dataset=dataset or self.dataset,
            records=tuple(self.records[i] for i in rows),
            items=tuple(self.items[i] for i in rows),
            labels=self.labels[rows],
            logits=self.logits[rows],
            mask_share=self.mask_share[rows],
            saliency_classes=self.saliency_classes[rows],
            skipped=[],
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready: dataset, n_images, classes, top1/top5 tables, mask share, skipped files."""
        summary = {"dataset": self.dataset, "classes": self.n_classes}
        summary.update(summarise_hits(self.hits(), self.variants))
        summary["mask_share"] = share_summary(self.mask_share)
        summary["n_skipped"] = len(self.skipped)
        return summary


def pool(results: Sequence[BlurResults], dataset: str) -> BlurResults:
    """Several datasets' results as one (they must share variants, classes and cache)."""
    if not results:
        raise ValueError("nothing to pool")
    first = results[0]
    for other in results[1:]:
        if other.variants != first.variants or other.class_indices != first.class_indices:
            raise ValueError("can only pool results with the same variants and classes")
        if getattr(other.cache, "folder", None) != getattr(first.cache, "folder", None):
            raise ValueError("can only pool results from the same cache")
    return replace(
        first,
        dataset=dataset,
        records=tuple(r for res in results for r in res.records),
        items=tuple(i for res in results for i in res.items),
        labels=np.concatenate([res.labels for res in results]),
        logits=np.concatenate([res.logits for res in results]),
        mask_share=np.concatenate([res.mask_share for res in results]),
        saliency_classes=np.concatenate([res.saliency_classes for res in results]),
        skipped=[s for res in results for s in res.skipped],
        n_computed=sum(res.n_computed for res in results),
        seconds=sum(res.seconds for res in results),
    )
