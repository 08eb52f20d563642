"""What a loaded dataset is: :class:`Record` (one image and what is known about it) and
:class:`Dataset` (the records with their provenance), and the ImageNet class indices of the
WordNet ids the datasets label their images with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import overload

import numpy as np

from licnn.data import synsets
from licnn.errors import DataError


@dataclass(frozen=True, eq=False)
class Record:
    """One image of a dataset and what is known about it."""

    path: Path
    label: int | None
    name: str | None = None
    wnid: str | None = None
    boxes: np.ndarray | None = None
    mask: Path | None = None
    dataset: str = ""
    key: str = ""

    @property
    def meta(self) -> dict[str, object]:
        """The metadata as a dict (name, wnid, boxes, mask, dataset, key)."""
        return {
            "name": self.name,
            "wnid": self.wnid,
            "boxes": self.boxes,
            "mask": self.mask,
            "dataset": self.dataset,
            "key": self.key,
        }


@dataclass(frozen=True, eq=False)
class Dataset(Sequence[Record]):
    """A loaded dataset: a sequence of :class:`Record` with its provenance.

    ``class_indices`` is None for 1000-class accuracy, or the ImageNet indices of the classes
    accuracy must be computed over (the 200 ImageNet-A classes for ``imagenet-a`` and
    ``imagenet-a-proxy``).
    """

    name: str
    records: tuple[Record, ...]
    manifest_hash: str
    labelled: bool
    folder: Path
    class_indices: tuple[int, ...] | None = None
    description: str = ""

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        return self.records[index]

    def __len__(self) -> int:
        return len(self.records)

    def describe(self) -> str:
        """``name (N images, manifest 1234abcd5678)`` for reports and logs."""
        return f"{self.name} ({len(self)} images, manifest {self.manifest_hash[:12]})"


@cache
def imagenet_a_class_indices() -> tuple[int, ...]:
    """The ImageNet 1000-class indices of the 200 ImageNet-A classes, in ImageNet-A order."""
    index = {wnid: i for i, wnid in enumerate(synsets.IMAGENET_WNIDS)}
    return tuple(index[wnid] for wnid in synsets.IMAGENET_A_WNIDS)


def wnid_to_index(wnid: str) -> int:
    """The ImageNet class index of a WordNet id."""
    try:
        return _wnid_index()[wnid]
    except KeyError:
        raise DataError(f"{wnid} is not an ImageNet-1k WordNet id") from None


@cache
def _wnid_index() -> dict[str, int]:
    return {wnid: i for i, wnid in enumerate(synsets.IMAGENET_WNIDS)}
