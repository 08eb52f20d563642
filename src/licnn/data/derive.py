"""Rebuild the files the sources do not have as such (label tables, resized images).

The local mirror holds a few files made from the sources rather than copied: the label
tables of ``imagenet-val-1300`` and ``imagenet-samples-1000``, ``synset_words.txt``, the
ImageNet-A index, and the ``imagenet-samples-1000`` images resized to a shorter side of
256 px. A download from the sources runs the same recipes here. Text recipes reproduce the
mirror's bytes exactly (``scripts/make_manifests.py`` checks this). The resize depends on
Pillow's Lanczos filter and libjpeg, so a resized image may differ in bytes across Pillow
versions; :mod:`licnn.data.fetch` then reports it as *regenerated* rather than failing.
Images already at most 256 px on the shorter side were left unchanged in the mirror.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from PIL import Image

from licnn.data import synsets

#: The one image transform the mirror applied (imagenet-samples-1000).
RESIZE_SHORTER_SIDE = 256
RESIZE_QUALITY = 95
TRANSFORM_NAME = "shorter-side-256-lanczos-q95"


def _csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV text as Python's csv module writes it (CRLF line ends, minimal quoting)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def synset_words() -> str:
    """``synset_words.txt``: ``wnid words`` per line, class index order."""
    pairs = zip(synsets.IMAGENET_WNIDS, synsets.SYNSET_WORDS, strict=True)
    return "".join(f"{wnid} {words}\n" for wnid, words in pairs)


def imagenet_val_1300_labels(files: Iterable[str], annotations: Path, side: int = 227) -> str:
    """``imagenet-val-1300/labels.csv`` from the val annotations, boxes scaled to ``side`` px."""
    labels = {_base(k): int(v[0]) for k, v in _rows(annotations / "class_labels.txt")}
    sizes = {_base(k): (int(v[0]), int(v[1])) for k, v in _rows(annotations / "image_sizes.txt")}
    boxes: dict[str, list[list[float]]] = defaultdict(list)
    for key, values in _rows(annotations / "localization.txt"):
        boxes[_base(key)].append([float(v) for v in values])
    rows = []
    for file in sorted(files):
        label = labels[file]
        width, height = sizes[file]
        scaled = ";".join(
            " ".join(
                f"{v:.1f}"
                for v in (
                    b[0] * side / width,
                    b[1] * side / height,
                    b[2] * side / width,
                    b[3] * side / height,
                )
            )
            for b in boxes[file]
        )
        name = synsets.SYNSET_WORDS[label].split(",")[0]
        rows.append([file, label, synsets.IMAGENET_WNIDS[label], name, width, height, scaled])
    header = ["file", "label", "wnid", "name", "orig_width", "orig_height", "boxes_xyxy_227"]
    return _csv_text(header, rows)


def imagenet_samples_labels(sizes: Mapping[str, tuple[int, int]]) -> str:
    """``imagenet-samples-1000/labels.csv`` from file names ``WNID_name.JPEG`` and original sizes."""
    index = {wnid: i for i, wnid in enumerate(synsets.IMAGENET_WNIDS)}
    rows = []
    for file in sorted(sizes, key=lambda f: index[f.split("_", 1)[0]]):
        label = index[file.split("_", 1)[0]]
        wnid, words = synsets.IMAGENET_WNIDS[label], synsets.SYNSET_WORDS[label]
        rows.append([file, label, wnid, words, *sizes[file]])
    return _csv_text(["file", "label", "wnid", "name", "orig_width", "orig_height"], rows)


def imagenet_a_index(source_csv: str) -> str:
    """The ImageNet-A index (file, label200, wnid, name) from natural-adv-examples' image list."""
    rows = []
    for row in csv.DictReader(io.StringIO(source_csv)):
        file = row["path"].split("/imagenet-a/", 1)[1]
        rows.append([file, int(row["label"]), file.split("/", 1)[0], row["class"]])
    return _csv_text(["file", "label200", "wnid", "name"], rows)


def resize_shorter_side(
    source: Path, dest: Path, side: int = RESIZE_SHORTER_SIDE
) -> tuple[int, int]:
    """Shrink an image to a shorter side of ``side`` px (Lanczos, JPEG q95); return its original size.

    Images whose shorter side is ``side`` or less are copied unchanged, as in the mirror.
    """
    with Image.open(source) as image:
        width, height = image.size
        if min(width, height) <= side:
            shutil.copyfile(source, dest)
            return width, height
        image.load()
        scale = side / min(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        resized = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    resized.save(dest, format="JPEG", quality=RESIZE_QUALITY)
    return width, height


def _base(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _rows(path: Path) -> Iterable[tuple[str, list[str]]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.strip().split(",")
            if len(parts) > 1:
                yield parts[0], parts[1:]
