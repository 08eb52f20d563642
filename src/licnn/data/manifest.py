"""The committed manifests: which files each dataset has, their SHA-256, size and source.

``data/manifests/index.json`` lists the datasets (description, licence, source, kind, file
count and the SHA-256 of each dataset's manifest CSV). A dataset's CSV has one row per file:
``relpath,sha256,size,url``. ``url`` is a raw download URL, or ``derived:RECIPE`` for a file
that the source does not have as such and :mod:`licnn.data.fetch` rebuilds from it.
Both are written by ``scripts/make_manifests.py`` from the local mirror.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from licnn.data.paths import manifests_dir
from licnn.data.samples import parse_sample_name
from licnn.errors import DataError

INDEX_FILE = "index.json"
MANIFEST_COLUMNS = ("relpath", "sha256", "size", "url")
#: The value of ``sha256`` where the checksum is not known (the ImageNet-A tarball).
UNKNOWN = "unknown"


@dataclass(frozen=True)
class FileEntry:
    """One file of a dataset: path inside the dataset folder, checksum, size, source URL."""

    relpath: str
    sha256: str
    size: int | None
    url: str

    @property
    def derived(self) -> str | None:
        """The recipe name for a file rebuilt from the source, else None."""
        return self.url.removeprefix("derived:") if self.url.startswith("derived:") else None


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset's entry in the index."""

    name: str
    kind: str
    description: str
    licence: str
    source: str
    manifest: str | None
    manifest_sha256: str | None
    n_files: int
    labelled: bool
    requires: tuple[str, ...] = ()
    transform: dict[str, Any] | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _read_index(directory: Path) -> dict[str, DatasetInfo]:
    path = directory / INDEX_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"dataset index {path} not found; run licnn from the repository checkout "
            "or set LICNN_MANIFESTS to its data/manifests folder"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"dataset index {path} is not valid JSON ({exc}); restore it with git"
        ) from None
    known = {f for f in DatasetInfo.__dataclass_fields__ if f not in ("name", "extra", "requires")}
    infos = {}
    for name, entry in raw["datasets"].items():
        infos[name] = DatasetInfo(
            name=name,
            requires=tuple(entry.get("requires", ())),
            extra={k: v for k, v in entry.items() if k not in known and k != "requires"},
            **{k: entry.get(k) for k in known if k in entry},
        )
    return infos


def read_index() -> dict[str, DatasetInfo]:
    """All datasets in the index, by name, in index order."""
    return dict(_read_index(manifests_dir()))


def dataset_names() -> list[str]:
    """The dataset names, in index order."""
    return list(read_index())


def dataset_info(name: str) -> DatasetInfo:
    """The index entry of ``name``; :class:`DataError` for an unknown name."""
    index = read_index()
    if name not in index:
        raise DataError(f"unknown dataset {name!r}; choose one of: {', '.join(index)}")
    return index[name]


def manifest_path(name: str) -> Path | None:
    """The manifest CSV of ``name``, or None for a dataset without one (``imagenet-val``)."""
    info = dataset_info(name)
    return manifests_dir() / info.manifest if info.manifest else None


def read_manifest(name: str) -> list[FileEntry]:
    """The file rows of a ``files`` or ``archive`` dataset's manifest."""
    path = manifest_path(name)
    if path is None:
        return []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if tuple(reader.fieldnames or ()) != MANIFEST_COLUMNS:
                raise DataError(f"{path} is not a file manifest (columns {reader.fieldnames})")
            entries = [
                FileEntry(
                    r["relpath"], r["sha256"], int(r["size"]) if r["size"] else None, r["url"]
                )
                for r in reader
            ]
    except FileNotFoundError:
        raise DataError(f"manifest {path} not found; restore it with git") from None
    except ValueError as exc:  # a size that is not a number
        raise DataError(f"manifest {path} has a bad row ({exc}); restore it with git") from None
    _check_relpaths(path, entries)
    return entries


def _check_relpaths(path: Path, entries: list[FileEntry]) -> None:
    """Refuse rows that would leave the dataset folder or name one file twice.

    Fetch writes every row to ``<data root>/<dataset>/<relpath>``: an absolute path or a
    ``..`` part would write elsewhere, and a repeated path would be two rows for one file.
    """
    seen: set[str] = set()
    for entry in entries:
        parts = PurePosixPath(entry.relpath).parts
        if not parts or entry.relpath.startswith("/") or ".." in parts or "\\" in entry.relpath:
            raise DataError(
                f"manifest {path} lists {entry.relpath!r}, not a path inside the dataset "
                "folder; restore the manifest with git"
            )
        if entry.relpath in seen:
            raise DataError(
                f"manifest {path} lists {entry.relpath} twice; restore the manifest with git"
            )
        seen.add(entry.relpath)


def listed_files(name: str) -> set[str]:
    """The relpaths a ``files`` or ``archive`` dataset's manifest lists (what loaders may use)."""
    return {entry.relpath for entry in read_manifest(name)}


def manifest_changed(name: str) -> bool:
    """Whether ``name``'s manifest CSV differs from the SHA-256 the index records for it.

    The index and the CSVs are written together by ``scripts/make_manifests.py``; a CSV
    edited (or damaged) since then would silently change what fetch and verify accept.
    """
    info = dataset_info(name)
    if info.manifest is None or not info.manifest_sha256:
        return False
    return manifest_hash(name) != info.manifest_sha256


def manifest_hash(name: str) -> str:
    """SHA-256 of the manifest CSV that defines ``name`` (the provenance the report prints).

    ``imagenet-val`` has no manifest of its own; its labels and boxes come from
    ``imagenet-val-annotations``, whose manifest hash is returned. A draw ``NAME:N[:seed=S]``
    has the hash of ``NAME`` (its name says which images were drawn).
    """
    sample = parse_sample_name(name)
    if sample is not None:
        return manifest_hash(sample.base)
    info = dataset_info(name)
    if info.manifest is None:
        if not info.requires:
            raise DataError(f"dataset {name} has no manifest")
        return manifest_hash(info.requires[0])
    path = manifests_dir() / info.manifest
    if not path.is_file():
        raise DataError(f"manifest {path} not found; restore it with git")
    return sha256_file(path)
