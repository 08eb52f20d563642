"""Reading each dataset of the report into records: one loader per dataset.

A loader gets the data root and the dataset's folder and returns its :class:`Record` list in
manifest order, having checked that every file the records use is listed in the manifest
and present (:func:`_checked`). Also here: where the ILSVRC2012 val images are
(:func:`imagenet_val_folder`, :func:`val_image_files`) and the file lists of the datasets
made from others (:func:`imagenet_a_files`, :func:`proxy_rows`), which
:mod:`licnn.data.fetch` and :mod:`licnn.data.verify` read too.
:func:`licnn.data.datasets.load_dataset` picks the loader.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np

from licnn.data import synsets
from licnn.data.manifest import dataset_info, listed_files
from licnn.data.paths import manifests_dir
from licnn.data.records import Record, wnid_to_index
from licnn.errors import DataError


def imagenet_val_folder(base: Path, path: str | os.PathLike[str] | None = None) -> Path:
    """The ILSVRC2012 val folder: ``path``, ``$LICNN_IMAGENET_VAL`` or ``<data root>/imagenet-val``."""
    if path is None:
        path = os.environ.get("LICNN_IMAGENET_VAL") or base / "imagenet-val"
    return Path(path).expanduser()


def imagenet_a_files(base: Path) -> list[dict[str, str]]:
    """The rows of the ImageNet-A file list (``imagenet-a-index/imagenet-a.csv``)."""
    path = base / "imagenet-a-index" / "imagenet-a.csv"
    if not path.is_file():
        raise DataError(
            f"ImageNet-A file list {path} not found; run: licnn data fetch imagenet-a-index"
        )
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _missing(name: str, where: Path) -> DataError:
    return DataError(
        f"dataset {name} not found in {where}; run: licnn data fetch {name} --mirror DIR "
        "(or without --mirror to download it)"
    )


def _read_csv(path: Path, name: str) -> list[dict[str, str]]:
    if not path.is_file():
        raise _missing(name, path.parent)
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def parse_boxes(text: str) -> np.ndarray:
    """``x0 y0 x1 y1;x0 y0 x1 y1`` as a float32 ``n x 4`` array (``0 x 4`` when empty)."""
    boxes = [[float(v) for v in part.split()] for part in text.split(";") if part.strip()]
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)


def _checked(name: str, folder: Path, records: list[Record], *, complete: bool) -> list[Record]:
    """``records`` if every file they use is listed in ``name``'s manifest and present.

    With ``complete``, every image the manifest lists must also have a record (a labels
    table that lost rows would otherwise drop images without a word).
    """
    listed = listed_files(name)
    used = [
        path.relative_to(folder).as_posix()
        for r in records
        for path in (r.path, r.mask)
        if path is not None
    ]
    unlisted = [rel for rel in used if rel not in listed]
    if unlisted:
        raise DataError(
            f"{name}: {len(unlisted)} files its labels name are not in its manifest (first: "
            f"{unlisted[0]}); run: licnn data verify {name}, then fetch it again"
        )
    if complete:
        images = {rel for rel in listed if rel.startswith("images/")}
        unused = sorted(images - set(used))
        if unused:
            raise DataError(
                f"{name}: {len(unused)} images of its manifest have no labels row (first: "
                f"{unused[0]}); run: licnn data verify {name}, then fetch it again"
            )
    missing = [rel for rel in used if not (folder / rel).is_file()]
    if missing:
        raise DataError(
            f"{name}: {len(missing)} of the {len(used)} files it uses are missing from "
            f"{folder} (first: {missing[0]}); run: licnn data fetch {name}"
        )
    return records


def _val_1300(base: Path, folder: Path) -> list[Record]:
    rows = _read_csv(folder / "labels.csv", "imagenet-val-1300")
    records = [
        Record(
            path=folder / "images" / r["file"],
            label=int(r["label"]),
            name=r["name"],
            wnid=r["wnid"],
            boxes=parse_boxes(r["boxes_xyxy_227"]),
            dataset="imagenet-val-1300",
            key=r["file"],
        )
        for r in rows
    ]
    return _checked("imagenet-val-1300", folder, records, complete=True)


def _samples_1000(base: Path, folder: Path) -> list[Record]:
    rows = _read_csv(folder / "labels.csv", "imagenet-samples-1000")
    records = [
        Record(
            path=folder / "images" / r["file"],
            label=int(r["label"]),
            name=r["name"],
            wnid=r["wnid"],
            dataset="imagenet-samples-1000",
            key=r["file"],
        )
        for r in rows
    ]
    return _checked("imagenet-samples-1000", folder, records, complete=True)


def _pascal_s(base: Path, folder: Path) -> list[Record]:
    """The manifest's images (never a file merely found in the folder), in numeric order."""
    if not (folder / "images").is_dir():
        raise _missing("pascal-s", folder)
    listed = listed_files("pascal-s")
    images = [PurePosixPath(rel) for rel in listed if rel.startswith("images/")]
    images.sort(key=lambda p: (len(p.stem), p.stem))
    unmasked = [str(p) for p in images if f"masks/{p.stem}.png" not in listed]
    if unmasked:
        raise DataError(
            f"pascal-s: its manifest lists {len(unmasked)} images without a mask (first: "
            f"{unmasked[0]}); restore data/manifests/pascal-s.csv with git"
        )
    records = [
        Record(
            path=folder / image,
            label=None,
            mask=folder / "masks" / f"{image.stem}.png",
            dataset="pascal-s",
            key=image.name,
        )
        for image in images
    ]
    return _checked("pascal-s", folder, records, complete=True)


def val_image_files(folder: Path) -> dict[str, Path]:
    """The images of an ILSVRC2012 val folder (files directly in it or in ``val/``), by name."""
    found: dict[str, Path] = {}
    for where in (folder / "val", folder):
        if where.is_dir():
            with os.scandir(where) as entries:
                found.update((e.name, Path(e.path)) for e in entries if e.is_file())
    return found


def _annotations(base: Path) -> Path:
    folder = base / "imagenet-val-annotations"
    if not (folder / "class_labels.txt").is_file():
        raise _missing("imagenet-val-annotations", folder)
    return folder


def _imagenet_val(base: Path, folder: Path) -> list[Record]:
    notes = _annotations(base)
    if not folder.is_dir():
        raise DataError(
            f"ILSVRC2012 val folder {folder} not found; set LICNN_IMAGENET_VAL to the folder "
            "with ILSVRC2012_val_*.JPEG (from image-net.org)"
        )
    boxes: dict[str, list[list[float]]] = defaultdict(list)
    for line in (notes / "localization.txt").read_text().splitlines():
        key, *values = line.split(",")
        if values:
            boxes[key].append([float(v) for v in values])
    records = []
    available = val_image_files(folder)
    for line in (notes / "class_labels.txt").read_text().splitlines():
        if not line:
            continue
        key, label_text = line.split(",")
        path = available.get(key.rsplit("/", 1)[-1])
        if path is None:
            continue
        label = int(label_text)
        records.append(
            Record(
                path=path,
                label=label,
                name=synsets.SYNSET_WORDS[label].split(",")[0],
                wnid=synsets.IMAGENET_WNIDS[label],
                boxes=np.asarray(boxes.get(key, []), dtype=np.float32).reshape(-1, 4),
                dataset="imagenet-val",
                key=path.name,
            )
        )
    if not records:
        raise DataError(
            f"no ILSVRC2012 val images in {folder}; expected files like "
            "ILSVRC2012_val_00000001.JPEG there or in val/"
        )
    return records


def _imagenet_a(base: Path, folder: Path) -> list[Record]:
    if not folder.is_dir():
        raise _missing("imagenet-a", folder)
    records = []
    rows = imagenet_a_files(base)
    missing = [row["file"] for row in rows if not (folder / row["file"]).is_file()]
    if missing:
        raise DataError(
            f"imagenet-a: {len(missing)} of the {len(rows)} listed images are missing from "
            f"{folder} (first: {missing[0]}); run: licnn data fetch imagenet-a"
        )
    for row in rows:
        label = wnid_to_index(row["wnid"])
        records.append(
            Record(
                path=folder / row["file"],
                label=label,
                name=row["name"],
                wnid=row["wnid"],
                dataset="imagenet-a",
                key=row["file"],
            )
        )
    return records


def proxy_rows() -> list[dict[str, str]]:
    """The rows of ``data/manifests/imagenet-a-proxy.csv`` (dataset, file, label, lite2_top1)."""
    path = manifests_dir() / (dataset_info("imagenet-a-proxy").manifest or "")
    if not path.is_file():
        raise DataError(f"{path} not found; make it with: python scripts/make_imagenet_a_proxy.py")
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _proxy(base: Path, folder: Path) -> list[Record]:
    """The listed images, with labels and boxes from the natural set each one comes from."""
    rows = proxy_rows()
    loaders = {"imagenet-val-1300": _val_1300, "imagenet-samples-1000": _samples_1000}
    sources: dict[str, dict[str, Record]] = {}
    for source in sorted({row["dataset"] for row in rows}):
        if source not in loaders:
            raise DataError(
                f"imagenet-a-proxy lists images of {source!r}, not one of "
                f"{', '.join(loaders)}; remake the list with scripts/make_imagenet_a_proxy.py"
            )
        sources[source] = {r.key: r for r in loaders[source](base, base / source)}
    records = []
    for row in rows:
        record = sources[row["dataset"]].get(row["file"])
        if record is None:
            raise DataError(
                f"imagenet-a-proxy lists {row['dataset']}/{row['file']}, which that dataset "
                "does not have; remake the list with scripts/make_imagenet_a_proxy.py"
            )
        records.append(
            Record(
                path=record.path,
                label=record.label,
                name=record.name,
                wnid=record.wnid,
                boxes=record.boxes,
                dataset="imagenet-a-proxy",
                key=f"{row['dataset']}/{row['file']}",
            )
        )
    return records


#: The loader of each dataset of images: ``(data root, dataset folder) -> records``.
LOADERS: dict[str, Callable[[Path, Path], list[Record]]] = {
    "imagenet-val-1300": _val_1300,
    "imagenet-samples-1000": _samples_1000,
    "pascal-s": _pascal_s,
    "imagenet-val": _imagenet_val,
    "imagenet-a": _imagenet_a,
    "imagenet-a-proxy": _proxy,
}
