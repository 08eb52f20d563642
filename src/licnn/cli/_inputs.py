"""The inputs of ``licnn saliency``: which files, under which output names, and their decoding.

:func:`collect_inputs` turns the command's image files, folders and ``--dataset`` into a sorted
list of :class:`Input` (a file and the name its outputs get under ``--out``);
:class:`_Decoded` and :func:`_collate` feed them to a DataLoader as cropped, normalised tensors,
an unreadable image becoming an error message rather than a failed batch.
:mod:`licnn.cli.saliency` re-exports the public names.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from licnn.errors import ImageError, LicnnError

if TYPE_CHECKING:
    from licnn.models import LoadedModel

#: File endings taken from a folder (case-insensitive); other files there are ignored.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
)


@dataclass(frozen=True)
class Input:
    """One image to explain: its file and its output name relative to ``--out``."""

    path: Path
    key: str


def collect_inputs(
    names: Sequence[str], dataset: str | None, root: str | None, limit: int | None
) -> list[Input]:
    """The inputs, sorted by output name; raises if two different files would share one."""
    pairs: list[tuple[Path, Path]] = []  # (file, folder its name is relative to)
    folders = [Path(n) for n in names if Path(n).is_dir()]
    files = [Path(n) for n in names if not Path(n).is_dir()]
    if folders:
        # one folder: names inside it; several: names from their common folder (a/..., b/...)
        base = Path(os.path.commonpath([str(f.resolve()) for f in folders]))
        if len(folders) == 1:
            base = folders[0].resolve()
        for folder in folders:
            found = [
                f for f in folder.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file()
            ]
            if not found:
                raise ImageError(
                    f"folder {folder} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})"
                )
            pairs += [(f, base) for f in found]
    if files:
        # files: their names, or, where two share a name, paths from their common folder
        resolved = {f.resolve() for f in files}
        unique = len({f.name for f in resolved}) == len(resolved)
        common = Path(os.path.commonpath([str(f.parent) for f in resolved]))
        pairs += [(f, f.resolve().parent if unique else common) for f in files]
    if dataset is not None:
        from licnn.data import load_dataset

        ds = load_dataset(dataset, root=root, limit=limit)
        pairs += [(r.path, ds.folder.resolve()) for r in ds.records]
    by_key: dict[str, Input] = {}
    for path, base in pairs:
        full = path.resolve()
        key = full.relative_to(base).as_posix() if full.is_relative_to(base) else path.name
        other = by_key.get(key)
        if other is not None and other.path.resolve() != full:
            raise LicnnError(
                f"{other.path} and {path} would both write {key}.*; run them separately "
                "or into different --out folders"
            )
        by_key[key] = Input(path, key)
    return [by_key[k] for k in sorted(by_key)]


#: One decoded input: (index, normalised tensor, uint8 crop, None) or (index, None, None, error).
_Item = tuple[int, torch.Tensor | None, torch.Tensor | None, str | None]
#: A collated batch: indices, stacked tensors and crops (None when all failed), failures.
_Batch = tuple[list[int], torch.Tensor | None, torch.Tensor | None, list[tuple[int, str]]]


class _Decoded(TorchDataset):
    """Inputs as (index, normalised tensor, uint8 crop) or (index, error message)."""

    def __init__(self, inputs: Sequence[Input], model: LoadedModel) -> None:
        self.inputs = inputs
        self.model = model

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, i: int) -> _Item:
        from licnn.imaging.images import load_image

        try:
            crop = self.model.crop(load_image(self.inputs[i].path))
        except ImageError as exc:
            return i, None, None, str(exc)
        return i, self.model.normalise(crop), torch.from_numpy(np.array(crop, np.uint8)), None


def _collate(items: Sequence[_Item]) -> _Batch:
    """One batch of decoded inputs: the good ones stacked, the failures listed apart."""
    good = [(i, x, c) for i, x, c, _ in items if x is not None and c is not None]
    bad = [(i, e) for i, _, _, e in items if e is not None]
    if not good:
        return [], None, None, bad
    return (
        [i for i, _, _ in good],
        torch.stack([x for _, x, _ in good]),
        torch.stack([c for _, _, c in good]),
        bad,
    )
