"""Check fetched datasets against their manifests and say so in one line each.

A ``files`` dataset is checked file by file (SHA-256); a file rebuilt from the source whose
bytes differ from the mirror's (recorded by fetch) counts as *regenerated*, not bad.
``imagenet-a`` has no checksums: every file of its list must be present. ``imagenet-val`` is
counted against the annotations. ``imagenet-a-proxy`` checks its images in the two natural
sets against their manifests.

Besides what is wrong with the listed files, each line says what else is there: files and
folders in a dataset folder that the manifest does not list (*strays*: the loaders ignore
them, so a file added by hand is not silently used), and files that are hard links (an edit
to one changes the other, e.g. the mirror's). A manifest CSV that no longer has the SHA-256
the index records for it fails verification: it would change what counts as correct.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from licnn.data.manifest import (
    dataset_info,
    manifest_changed,
    manifest_hash,
    read_manifest,
    sha256_file,
)
from licnn.data.paths import data_root
from licnn.data.state import STATE_FILE, read_state
from licnn.errors import DataError

OK, REGENERATED, FAILED, ABSENT = "ok", "regenerated", "FAILED", "absent"


@dataclass
class VerifyReport:
    """The outcome of verifying one dataset."""

    name: str
    status: str
    n_files: int = 0
    n_bytes: int = 0
    missing: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    regenerated: list[str] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)
    hard_links: int = 0
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def summary(self) -> str:
        """One line for ``licnn data verify``."""
        head = f"{self.name}: {self.status}"
        if self.status == ABSENT:
            return f"{head} ({self.detail})"
        parts = [f"{self.n_files} files"]
        if self.n_bytes:
            parts.append(f"{self.n_bytes / 1e6:.1f} MB")
        if self.bad:
            parts.append(f"{len(self.bad)} bad checksum (first: {self.bad[0]})")
        if self.missing:
            parts.append(f"{len(self.missing)} missing (first: {self.missing[0]})")
        if self.regenerated:
            parts.append(f"{len(self.regenerated)} regenerated from the source")
        if self.strays:
            parts.append(
                f"{len(self.strays)} not in the manifest, ignored by the loaders "
                f"(first: {self.strays[0]})"
            )
        if self.hard_links:
            parts.append(
                f"{self.hard_links} hard links (an edit changes the linked copy too, "
                "e.g. the mirror's; fetch without --link copies them)"
            )
        if self.detail:
            parts.append(self.detail)
        return f"{head}, " + ", ".join(parts)


def verify(
    name: str, root: str | os.PathLike[str] | None = None, *, progress: bool = False
) -> VerifyReport:
    """Verify one dataset in the data root; never raises for bad or missing files."""
    info = dataset_info(name)
    base = data_root(root)
    if info.kind == "files":
        return _verify_files(name, base, progress)
    if info.kind == "archive":
        return _verify_archive(name, base)
    if info.kind == "folder":
        return _verify_folder(name, base)
    return _verify_subset(name, base)


def stray_files(folder: Path, listed: set[str]) -> list[str]:
    """What ``folder`` holds besides the ``listed`` relpaths (and fetch's state file), sorted.

    A folder that holds no listed file is one entry, ``name/``, however much is in it; inside
    the folders that do hold listed files every unlisted file is an entry. Symbolic links
    to folders are followed only where listed files are expected.
    """
    expected = {str(parent) for rel in listed for parent in PurePosixPath(rel).parents}
    expected.discard(".")
    strays: list[str] = []
    for where, dirs, files in os.walk(folder, followlinks=True):
        rel = Path(where).relative_to(folder).as_posix()
        prefix = "" if rel == "." else f"{rel}/"
        for sub in list(dirs):
            if f"{prefix}{sub}" not in expected:
                strays.append(f"{prefix}{sub}/")
                dirs.remove(sub)
        for file in files:
            path = f"{prefix}{file}"
            if path not in listed and path != STATE_FILE:
                strays.append(path)
    return sorted(strays)


def _changed_manifest(name: str, n_files: int) -> VerifyReport:
    return VerifyReport(
        name,
        FAILED,
        n_files,
        detail=f"its manifest {dataset_info(name).manifest} differs from the SHA-256 in "
        "index.json; restore it with git (or rerun scripts/make_manifests.py)",
    )


def _hard_links(paths: list[Path]) -> int:
    """How many of ``paths`` (existing files) have another name on the file system."""
    return sum(path.stat().st_nlink > 1 for path in paths)


def _verify_files(name: str, base: Path, progress: bool) -> VerifyReport:
    folder = base / name
    entries = read_manifest(name)
    if not folder.is_dir():
        return VerifyReport(name, ABSENT, len(entries), detail=f"run: licnn data fetch {name}")
    if manifest_changed(name):
        return _changed_manifest(name, len(entries))
    regenerated = read_state(folder).get("regenerated", {})
    report = VerifyReport(name, OK, len(entries), detail=f"manifest {manifest_hash(name)[:12]}")
    present: list[Path] = []
    for entry in tqdm(entries, desc=name, unit="file", disable=not progress, leave=False):
        path = folder / entry.relpath
        if not path.is_file():
            report.missing.append(entry.relpath)
            continue
        present.append(path)
        size = path.stat().st_size
        report.n_bytes += size
        digest = sha256_file(path)
        if digest == entry.sha256:
            continue
        if regenerated.get(entry.relpath) == digest:
            report.regenerated.append(entry.relpath)
        else:
            report.bad.append(entry.relpath)
    report.strays = stray_files(folder, {e.relpath for e in entries})
    report.hard_links = _hard_links(present)
    if report.bad or report.missing:
        report.status = FAILED
    elif report.regenerated:
        report.status = REGENERATED
    return report


def _verify_archive(name: str, base: Path) -> VerifyReport:
    from licnn.data.loaders import imagenet_a_files

    folder = base / name
    if not folder.is_dir():
        return VerifyReport(name, ABSENT, detail=f"run: licnn data fetch {name}")
    try:
        files = [row["file"] for row in imagenet_a_files(base)]
    except DataError as exc:
        return VerifyReport(name, FAILED, detail=str(exc))
    if manifest_changed(name):
        return _changed_manifest(name, len(files))
    missing = [f for f in files if not (folder / f).is_file()]
    sha = read_state(folder).get("archive_sha256")
    detail = "no published checksum: presence checked only"
    if sha:
        detail += f", tarball SHA-256 {sha[:12]}"
    return VerifyReport(
        name,
        FAILED if missing else OK,
        len(files),
        missing=missing,
        strays=stray_files(folder, set(files)),
        detail=detail,
    )


def _verify_folder(name: str, base: Path) -> VerifyReport:
    from licnn.data.loaders import imagenet_val_folder, val_image_files

    folder = imagenet_val_folder(base)
    labels = base / "imagenet-val-annotations" / "class_labels.txt"
    if not folder.is_dir() or not labels.is_file():
        return VerifyReport(
            name, ABSENT, detail="set LICNN_IMAGENET_VAL and fetch imagenet-val-annotations"
        )
    keys = [line.split(",", 1)[0] for line in labels.read_text().splitlines() if line]
    available = val_image_files(folder)
    missing = [k for k in keys if k.rsplit("/", 1)[-1] not in available]
    report = VerifyReport(name, OK, len(keys) - len(missing), detail=f"in {folder}")
    if len(missing) == len(keys):
        report.status = FAILED
        report.missing = missing
    elif missing:
        report.detail += f", {len(missing)} of {len(keys)} val images not there (partial set)"
    return report


def _verify_subset(name: str, base: Path) -> VerifyReport:
    from licnn.data.loaders import proxy_rows

    try:
        rows = proxy_rows()
    except DataError as exc:
        return VerifyReport(name, FAILED, detail=str(exc))
    if manifest_changed(name):
        return _changed_manifest(name, len(rows))
    wanted = {(r["dataset"], f"images/{r['file']}") for r in rows}
    report = VerifyReport(name, OK, len(rows), detail=f"manifest {manifest_hash(name)[:12]}")
    seen: set[tuple[str, str]] = set()
    for source in sorted({d for d, _ in wanted}):
        if not (base / source).is_dir():
            return VerifyReport(name, ABSENT, len(rows), detail=f"run: licnn data fetch {name}")
        regenerated = read_state(base / source).get("regenerated", {})
        for entry in read_manifest(source):
            if (source, entry.relpath) not in wanted:
                continue
            seen.add((source, entry.relpath))
            path = base / source / entry.relpath
            key = f"{source}/{entry.relpath}"
            if not path.is_file():
                report.missing.append(key)
                continue
            report.n_bytes += path.stat().st_size
            digest = sha256_file(path)
            if digest == entry.sha256:
                continue
            if regenerated.get(entry.relpath) == digest:
                report.regenerated.append(key)
            else:
                report.bad.append(key)
    unlisted = sorted(f"{d}/{p}" for d, p in wanted - seen)
    if unlisted:
        report.bad += unlisted
        report.detail += (
            f", {len(unlisted)} listed images not in their dataset's manifest "
            f"(first: {unlisted[0]}); remake the list with scripts/make_imagenet_a_proxy.py"
        )
    if report.bad or report.missing:
        report.status = FAILED
    elif report.regenerated:
        report.status = REGENERATED
    return report


def is_present(name: str, root: str | os.PathLike[str] | None = None) -> tuple[int, int]:
    """``(files present, files expected)`` by existence only (fast, for ``licnn data list``)."""
    info = dataset_info(name)
    base = data_root(root)
    if info.kind == "files":
        entries = read_manifest(name)
        return sum((base / name / e.relpath).is_file() for e in entries), len(entries)
    if info.kind == "archive":
        from licnn.data.loaders import imagenet_a_files

        folder = base / name
        if not folder.is_dir():
            return 0, info.n_files
        try:
            files = [row["file"] for row in imagenet_a_files(base)]
        except DataError:
            return 0, info.n_files
        return sum((folder / f).is_file() for f in files), info.n_files
    if info.kind == "folder":
        report = _verify_folder(name, base)
        return (report.n_files if report.status == OK else 0), info.n_files
    return _verify_subset_presence(base), info.n_files


def _verify_subset_presence(base: Path) -> int:
    from licnn.data.loaders import proxy_rows

    try:
        rows = proxy_rows()
    except DataError:
        return 0
    return sum((base / r["dataset"] / "images" / r["file"]).is_file() for r in rows)
