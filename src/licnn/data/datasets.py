"""Datasets as sequences of records: image path, ImageNet label and metadata.

``load_dataset(name)`` reads a fetched dataset from the data root. Every record has the
image's path, its label as an ImageNet 1000-class index (None for PASCAL-S, which has no
classes), the class name and WordNet id, boxes (``x0, y0, x1, y1`` in the image file's own
pixels, float32 ``n x 4``) where the dataset has them, and the mask path for PASCAL-S.
Records are in manifest order, so ``limit=N`` always gives the same first N images.
``NAME:N`` (or ``NAME:N:seed=S``) is a seeded uniform draw of N images of ``NAME``
(:mod:`licnn.data.samples`): ``imagenet-val:7500`` is the seed's 7500 validation images.

Only what the manifest lists is loaded: a file added to a dataset folder by hand is ignored
(``licnn data verify`` reports it), and a listed file that is not there is an error naming
it, not a record that fails later. Nothing here needs torch; :func:`iter_images` loads the
images with :func:`licnn.imaging.images.load_image` and skips (and reports) bad files.

The record types are in :mod:`licnn.data.records` and the per-dataset loaders in
:mod:`licnn.data.loaders`; their public names are re-exported here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence

from PIL import Image

from licnn.data.loaders import LOADERS, imagenet_val_folder
from licnn.data.loaders import parse_boxes as parse_boxes
from licnn.data.loaders import proxy_rows as proxy_rows
from licnn.data.loaders import val_image_files as val_image_files
from licnn.data.manifest import dataset_info, manifest_hash
from licnn.data.paths import data_root
from licnn.data.records import Dataset as Dataset
from licnn.data.records import Record as Record
from licnn.data.records import imagenet_a_class_indices as imagenet_a_class_indices
from licnn.data.records import wnid_to_index as wnid_to_index
from licnn.data.samples import draw, parse_sample_name
from licnn.errors import DataError, ImageError
from licnn.imaging.images import load_image

#: Datasets of images (the others hold labels or file lists only).
IMAGE_DATASETS = (
    "imagenet-val-1300",
    "imagenet-samples-1000",
    "pascal-s",
    "imagenet-val",
    "imagenet-a",
    "imagenet-a-proxy",
)


def load_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    limit: int | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Dataset:
    """Load a fetched dataset from the data root (``root``, ``$LICNN_DATA`` or ``data/``).

    ``limit`` keeps the first N records. ``path`` gives the image folder of ``imagenet-val``
    (else ``$LICNN_IMAGENET_VAL`` or ``<data root>/imagenet-val``). ``name`` may be a draw,
    ``NAME:N`` or ``NAME:N:seed=S`` (see :mod:`licnn.data.samples`); ``limit`` then keeps
    the first records of the draw. Raises :class:`DataError` naming the ``licnn data
    fetch`` command when the data is missing.
    """
    sample = parse_sample_name(name)
    if sample is not None:
        drawn = draw(name, sample, load_dataset(sample.base, root, path=path))
        if limit is None:
            return drawn
        return dataclasses.replace(drawn, records=drawn.records[: max(0, limit)])
    info = dataset_info(name)
    if name not in IMAGE_DATASETS:
        raise DataError(
            f"{name} holds {info.description.split(':')[0]}, not images to load; "
            f"choose one of: {', '.join(IMAGE_DATASETS)}"
        )
    base = data_root(root)
    loader = LOADERS[name]
    folder = imagenet_val_folder(base, path) if name == "imagenet-val" else base / name
    records = loader(base, folder)
    if limit is not None:
        records = records[: max(0, limit)]
    classes = imagenet_a_class_indices() if name in ("imagenet-a", "imagenet-a-proxy") else None
    return Dataset(
        name=name,
        records=tuple(records),
        manifest_hash=manifest_hash(name),
        labelled=info.labelled,
        folder=folder,
        class_indices=classes,
        description=info.description,
    )


def iter_images(
    records: Sequence[Record], errors: list[tuple[Record, str]] | None = None
) -> Iterator[tuple[Record, Image.Image]]:
    """Yield ``(record, RGB image)``; a file that cannot be read is skipped, and noted in ``errors``."""
    for record in records:
        try:
            image = load_image(record.path)
        except ImageError as exc:
            if errors is not None:
                errors.append((record, str(exc)))
            continue
        yield record, image
