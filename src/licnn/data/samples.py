"""Seeded uniform draws of a dataset, named ``NAME:N`` or ``NAME:N:seed=S``.

The seed's blur experiments used 7500 images drawn at random from the 50,000 of the
ILSVRC2012 validation set. ``load_dataset("imagenet-val:7500")`` is such a draw from the
user's val folder (seed 0 unless ``:seed=S`` is given); any dataset of images can be drawn
from the same way (``imagenet-val-1300:2`` for a quick run on the fetched data).

The draw is a seeded permutation of the base dataset's records, in its loader's order (for
``imagenet-val``: the order of the annotations' label file), cut after N. So a smaller draw
with the same seed is the start of a larger one, and ``limit`` keeps the first images of the
draw, which are again a uniform draw. The dataset's name is the name as written, so the
records, figures and result files say which draw they come from; :func:`sample_summary`
lists the chosen images for a results file.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from licnn.data.records import Dataset
from licnn.errors import DataError

#: ``base:N`` or ``base:N:seed=S``; ``base`` is a dataset name of the index.
SAMPLE_NAME = re.compile(r"^(?P<base>[a-z0-9][a-z0-9-]*):(?P<n>\d+)(?::seed=(?P<seed>\d+))?$")


@dataclass(frozen=True)
class SampleName:
    """A parsed draw name: ``n`` images of ``base`` drawn with ``seed``."""

    base: str
    n: int
    seed: int = 0


def parse_sample_name(name: str) -> SampleName | None:
    """The parts of a draw name, or None for a plain dataset name.

    A name with a colon that is not of the form ``NAME:N[:seed=S]`` (N at least 1) is a
    :class:`DataError`, so a typo is not taken for a dataset of that name.
    """
    if ":" not in name:
        return None
    match = SAMPLE_NAME.match(name)
    if match is None or int(match["n"]) < 1:
        raise DataError(
            f"{name!r} is not a dataset draw; write NAME:N or NAME:N:seed=S "
            "(e.g. imagenet-val:7500, N at least 1)"
        )
    return SampleName(match["base"], int(match["n"]), int(match["seed"] or 0))


def draw_indices(population: int, n: int, seed: int) -> list[int]:
    """The positions of a uniform draw of ``n`` of ``population`` items, in draw order."""
    return [int(i) for i in np.random.default_rng(seed).permutation(population)[:n]]


def draw(name: str, sample: SampleName, base: Dataset) -> Dataset:
    """``sample.n`` records of ``base`` drawn uniformly with ``sample.seed``, named ``name``."""
    if sample.n > len(base):
        raise DataError(
            f"{name}: asks for {sample.n} images, but {base.name} has {len(base)} in {base.folder}"
        )
    chosen = draw_indices(len(base), sample.n, sample.seed)
    records = tuple(dataclasses.replace(base.records[i], dataset=name) for i in chosen)
    return Dataset(
        name=name,
        records=records,
        manifest_hash=base.manifest_hash,
        labelled=base.labelled,
        folder=base.folder,
        class_indices=base.class_indices,
        description=(
            f"{sample.n} images drawn uniformly at random (seed {sample.seed}) from the "
            f"{len(base)} of {base.name} in {base.folder}"
        ),
    )


def sample_summary(dataset: Dataset, drawn_from: int) -> dict[str, Any]:
    """What a results file records of a draw: its parts, where from, and the images chosen.

    ``drawn_from`` is the number of images of the base dataset the draw was made from.
    """
    sample = parse_sample_name(dataset.name)
    if sample is None:
        raise ValueError(f"{dataset.name} is not a dataset draw (NAME:N[:seed=S])")
    return {
        "name": dataset.name,
        "base": sample.base,
        "n": sample.n,
        "seed": sample.seed,
        "drawn_from": drawn_from,
        "folder": str(dataset.folder),
        "manifest_sha256": dataset.manifest_hash,
        "images": [record.key for record in dataset.records],
    }
