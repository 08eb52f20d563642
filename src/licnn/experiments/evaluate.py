"""Top-1 / top-5 accuracy of a classifier on a dataset, skipping files that cannot be read.

:func:`evaluate` batches the images through a DataLoader under ``torch.inference_mode``; a
bad file is skipped and counted, never ending the run. For ``imagenet-a`` and
``imagenet-a-proxy`` accuracy is over the 200 ImageNet-A classes only: the logits are
restricted to those classes before ranking (:func:`restrict_to_classes`), as Hendrycks et
al. do. :func:`topk_hits` and :func:`predict_logits` are the reusable parts (the blur
experiments need per-image hits for paired tests).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset
from tqdm import tqdm

from licnn.data.datasets import Dataset, Record
from licnn.device import loader_settings
from licnn.errors import DataError, ImageError
from licnn.imaging.images import load_image
from licnn.models import LoadedModel


def restrict_to_classes(
    logits: torch.Tensor, labels: torch.Tensor, class_indices: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep only the logits of ``class_indices``; map labels to positions in that list.

    A label outside ``class_indices`` becomes -1 and so never counts as a hit.
    """
    index = torch.as_tensor(list(class_indices), dtype=torch.long, device=logits.device)
    lookup = torch.full((logits.shape[1],), -1, dtype=torch.long, device=logits.device)
    lookup[index] = torch.arange(len(index), device=logits.device)
    return logits[:, index], lookup[labels.to(logits.device)]


def topk_hits(
    logits: torch.Tensor,
    labels: torch.Tensor,
    ks: Sequence[int] = (1, 5),
    class_indices: Sequence[int] | None = None,
) -> torch.Tensor:
    """Per image, whether the label is in the top k: a bool ``N x len(ks)`` tensor.

    With ``class_indices`` (e.g. :func:`licnn.data.imagenet_a_class_indices`), ranks only
    among those classes.
    """
    if class_indices is not None:
        logits, labels = restrict_to_classes(logits, labels, class_indices)
    labels = labels.to(logits.device)
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    matches = top == labels[:, None]
    return torch.stack([matches[:, :k].any(dim=1) for k in ks], dim=1)


class _Images(TorchDataset):
    """Records as preprocessed tensors; a bad file gives its error message instead."""

    def __init__(self, records: Sequence[Record], model: LoadedModel) -> None:
        self.records = records
        self.model = model

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor | None, str | None]:
        try:
            return i, self.model.preprocess(load_image(self.records[i].path)), None
        except ImageError as exc:
            return i, None, str(exc)


def _collate(
    items: list[tuple[int, torch.Tensor | None, str | None]],
) -> tuple[list[int], torch.Tensor | None, list[tuple[int, str]]]:
    good = [(i, t) for i, t, _ in items if t is not None]
    bad = [(i, e) for i, t, e in items if t is None and e is not None]
    batch = torch.stack([t for _, t in good]) if good else None
    return [i for i, _ in good], batch, bad


def predict_logits(
    model: LoadedModel,
    records: Sequence[Record],
    batch_size: int = 32,
    progress: bool = True,
    num_workers: int | None = 0,
    desc: str = "evaluate",
) -> tuple[torch.Tensor, list[int], list[tuple[int, str]]]:
    """Logits (on the CPU) of the readable images, their record indices, and the skipped ones.

    ``num_workers=None`` chooses for the device (:func:`licnn.device.loader_settings`: worker
    processes and pinned memory on a GPU, so decoding overlaps the computation).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    device = model.device
    loader = DataLoader(
        _Images(records, model),
        batch_size=batch_size,
        shuffle=False,
        collate_fn=_collate,
        **loader_settings(device, num_workers),  # type: ignore[arg-type]
    )
    outputs: list[torch.Tensor] = []
    kept: list[int] = []
    skipped: list[tuple[int, str]] = []
    module = model.module.eval()
    with (
        torch.inference_mode(),
        tqdm(total=len(records), desc=desc, unit="img", disable=not progress) as bar,
    ):
        for indices, batch, bad in loader:
            skipped += bad
            if batch is not None:
                outputs.append(module(batch.to(device, non_blocking=True)).float().cpu())
                kept += indices
            bar.update(len(indices) + len(bad))
    logits = torch.cat(outputs) if outputs else torch.empty(0, len(model.class_names))
    return logits, kept, skipped


def evaluate(
    model: LoadedModel,
    dataset: Dataset,
    batch_size: int = 32,
    limit: int | None = None,
    progress: bool = True,
    num_workers: int | None = 0,
) -> dict[str, Any]:
    """Top-1 and top-5 accuracy of ``model`` on a labelled dataset, bad files skipped.

    Returns a JSON-ready dict: ``top1``, ``top5`` (over ``n_images``, the images read),
    ``n_images``, ``n_skipped``, ``skipped`` (file and reason), ``classes`` (1000, or 200 for
    the ImageNet-A sets), the model and dataset provenance and the run time.
    """
    if not dataset.labelled:
        raise DataError(f"{dataset.name} has no class labels; evaluate needs a labelled dataset")
    records = list(dataset.records[:limit] if limit is not None else dataset.records)
    if not records:
        raise DataError(f"{dataset.name} has no images to evaluate")
    start = time.perf_counter()
    logits, kept, skipped = predict_logits(model, records, batch_size, progress, num_workers)
    seconds = time.perf_counter() - start
    labels = torch.tensor([records[i].label for i in kept], dtype=torch.long)
    hits = topk_hits(logits, labels, (1, 5), dataset.class_indices)
    n = len(kept)
    correct = hits.sum(dim=0).tolist()
    accuracy = [c / n for c in correct] if n else [float("nan"), float("nan")]
    return {
        "model": model.describe(),
        "model_name": model.name,
        "weights_sha256": model.weights_sha256,
        "dataset": dataset.name,
        "manifest_hash": dataset.manifest_hash,
        "classes": len(dataset.class_indices) if dataset.class_indices else len(model.class_names),
        "n_images": n,
        "n_skipped": len(skipped),
        "skipped": [{"file": str(records[i].path), "error": error} for i, error in skipped],
        "top1": accuracy[0],
        "top5": accuracy[1],
        "top1_correct": correct[0],
        "top5_correct": correct[1],
        "batch_size": batch_size,
        "device": str(model.device),
        "seconds": round(seconds, 3),
        "images_per_second": round((n + len(skipped)) / seconds, 2) if seconds > 0 else None,
    }
