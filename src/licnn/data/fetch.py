"""Put a dataset in the data root: from a local mirror, else from its public source.

For each file of the manifest, :func:`fetch` keeps a file that is already there with the right
checksum; else it copies the mirror's file, else downloads it from its URL with resume
(:mod:`licnn.data.download`). Files marked ``derived:RECIPE`` are rebuilt by
:mod:`licnn.data.derive` after the downloads. Every file is checked against its SHA-256; see
:class:`FetchReport` for the outcomes.

Files are copied, not hard-linked, unless ``link=True``: a hard link is the mirror's file
under a second name, so an edit in the data root would change (damage) the mirror too. When
copying, a file already present as a hard link to the mirror's file (left by a linking fetch)
is replaced by a copy. A file the mirror lacks is downloaded; if that fails, the error says
which file the mirror lacks.

Datasets listed in ``requires`` are fetched first. ``imagenet-a`` is extracted from its
tarball (its checksum is unknown, so only the file list is checked); ``imagenet-val`` cannot
be downloaded and is only looked for; ``imagenet-a-proxy`` is a subset of two other sets.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from licnn.data import derive
from licnn.data._mirror import _mirror_gap, _place, _same_file
from licnn.data.download import DownloadError, download
from licnn.data.loaders import imagenet_a_files as imagenet_a_files
from licnn.data.loaders import imagenet_val_folder as imagenet_val_folder
from licnn.data.loaders import proxy_rows, val_image_files
from licnn.data.manifest import FileEntry, dataset_info, read_manifest, sha256_file
from licnn.data.paths import MIRROR_ENV, data_root, mirror_dir
from licnn.data.state import read_state, write_state
from licnn.data.verify import stray_files
from licnn.errors import DataError

Log = Callable[[str], None]


@dataclass
class FetchReport:
    """What :func:`fetch` did for one dataset."""

    name: str
    n_files: int = 0
    present: int = 0
    linked: int = 0
    copied: int = 0
    unlinked: int = 0
    downloaded: int = 0
    derived: int = 0
    regenerated: list[str] = field(default_factory=list)
    not_in_mirror: list[str] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: counts by outcome."""
        parts = [
            f"{n} {what}"
            for n, what in (
                (self.present, "already present"),
                (self.linked, "linked"),
                (self.copied, "copied"),
                (self.unlinked, "hard links to the mirror replaced by copies"),
                (self.downloaded, "downloaded"),
                (self.derived, "rebuilt"),
                (len(self.regenerated), "regenerated (bytes differ from the manifest)"),
            )
            if n
        ]
        body = ", ".join(parts) if parts else "nothing to do"
        notes = list(self.notes)
        if self.not_in_mirror:
            notes.append(
                f"{len(self.not_in_mirror)} not in the mirror (first: {self.not_in_mirror[0]})"
            )
        if self.strays:
            notes.append(
                f"{len(self.strays)} not in the manifest, ignored by the loaders "
                f"(first: {self.strays[0]}; see licnn data verify {self.name})"
            )
        tail = "".join(f"; {note}" for note in notes)
        return f"{self.name}: {self.n_files} files: {body}{tail}"


def fetch(
    name: str,
    root: str | os.PathLike[str] | None = None,
    mirror: str | os.PathLike[str] | None = None,
    *,
    link: bool = False,
    progress: bool = True,
    log: Log | None = None,
    _done: set[str] | None = None,
) -> list[FetchReport]:
    """Fetch ``name`` and the datasets it requires into the data root; one report per dataset.

    ``link``: hard-link the mirror's files instead of copying them (no extra disk, but the
    data root's file *is* the mirror's: an edit to one changes the other).
    """
    info = dataset_info(name)
    done = _done if _done is not None else set()
    reports: list[FetchReport] = []
    for required in info.requires:
        if required not in done:
            reports += fetch(
                required, root, mirror, link=link, progress=progress, log=log, _done=done
            )
    if name in done:
        return reports
    done.add(name)
    base = data_root(root)
    source = mirror_dir(mirror)
    fetcher = {
        "files": _fetch_files,
        "archive": _fetch_archive,
        "folder": _check_folder,
        "subset": _check_subset,
    }.get(info.kind)
    if fetcher is None:
        raise DataError(f"dataset {name} has unknown kind {info.kind!r} in the index")
    report = fetcher(name, base, source, link, progress)
    if log is not None:
        log(report.summary())
    return [*reports, report]


def _fetch_files(
    name: str, base: Path, mirror: Path | None, link: bool, progress: bool
) -> FetchReport:
    info = dataset_info(name)
    entries = read_manifest(name)
    folder = base / name
    state = read_state(folder)
    regenerated: dict[str, str] = state.setdefault("regenerated", {})
    report = FetchReport(name, n_files=len(entries))
    transform = info.transform or {}
    failed: list[str] = []
    deferred: list[FileEntry] = []
    for entry in tqdm(entries, desc=name, unit="file", disable=not progress, leave=False):
        dest = folder / entry.relpath
        candidate = mirror / name / entry.relpath if mirror is not None else None
        if dest.is_file() and _good(dest, entry, regenerated):
            if not link and _same_file(dest, candidate):
                # left by a linking fetch: an edit here would change the mirror's file
                _place(dest, dest, link=False)
                report.unlinked += 1
            else:
                report.present += 1
            continue
        if candidate is not None and candidate.is_file():
            digest = sha256_file(candidate)
            if digest != entry.sha256:
                raise DataError(
                    f"mirror file {candidate} fails its SHA-256 check (manifest "
                    f"{entry.sha256[:12]}, file {digest[:12]}): the mirror is damaged; "
                    "replace that file in the mirror, or fetch without a mirror (no --mirror, "
                    f"${MIRROR_ENV} unset) to download it"
                )
            how = _place(candidate, dest, link)
            setattr(report, how, getattr(report, how) + 1)
            regenerated.pop(entry.relpath, None)
            continue
        if entry.derived:
            deferred.append(entry)
            continue
        if mirror is not None:
            report.not_in_mirror.append(entry.relpath)
        applies = transform.get("applies_to")
        try:
            if applies and entry.relpath.startswith(applies):
                original = dest.with_name(dest.name + ".orig")
                download(entry.url, original, progress=False)
                size = derive.resize_shorter_side(original, dest)
                original.unlink()
                state.setdefault("orig_sizes", {})[Path(entry.relpath).name] = list(size)
            else:
                download(entry.url, dest, progress=False)
        except DownloadError as exc:
            write_state(folder, _clean(state))
            if mirror is None:
                raise
            raise _mirror_gap(name, entry.relpath, mirror, exc) from None
        report.downloaded += 1
        digest = sha256_file(dest)
        if digest == entry.sha256:
            regenerated.pop(entry.relpath, None)
        elif applies and entry.relpath.startswith(applies):
            regenerated[entry.relpath] = digest
            report.regenerated.append(entry.relpath)
        else:
            dest.unlink()
            failed.append(entry.relpath)
        write_state(folder, _clean(state))
    for entry in deferred:
        dest = folder / entry.relpath
        try:
            text = _derive(entry.derived or "", name, base, entries, state)
        except DownloadError as exc:
            if mirror is None:
                raise
            raise _mirror_gap(name, entry.relpath, mirror, exc) from None
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(text.encode("utf-8"))
        report.derived += 1
        digest = sha256_file(dest)
        if digest == entry.sha256:
            regenerated.pop(entry.relpath, None)
        else:
            regenerated[entry.relpath] = digest
            report.regenerated.append(entry.relpath)
    write_state(folder, _clean(state))
    if failed:
        raise DataError(
            f"{name}: {len(failed)} downloaded files fail their SHA-256 check (first: "
            f"{failed[0]}); the source changed or the transfer was damaged; fetch again or "
            "use --mirror DIR"
        )
    if report.regenerated:
        report.notes.append(
            f"{len(report.regenerated)} rebuilt files differ in bytes from the mirror's "
            "(recorded in .licnn-fetch.json; verify reports them as regenerated)"
        )
    report.strays = stray_files(folder, {e.relpath for e in entries})
    return report


def _good(path: Path, entry: FileEntry, regenerated: dict[str, str]) -> bool:
    """Whether ``path`` already holds the right bytes (or a recorded regeneration)."""
    if (
        entry.size is not None
        and path.stat().st_size != entry.size
        and entry.relpath not in regenerated
    ):
        return False
    digest = sha256_file(path)
    return digest == entry.sha256 or regenerated.get(entry.relpath) == digest


def _clean(state: dict) -> dict:
    return {k: v for k, v in state.items() if v}


def _derive(recipe: str, name: str, base: Path, entries: list[FileEntry], state: dict) -> str:
    """Run one :mod:`licnn.data.derive` recipe."""
    if recipe == "synset-words":
        return derive.synset_words()
    if recipe == "imagenet-val-1300-labels":
        files = [Path(e.relpath).name for e in entries if e.relpath.startswith("images/")]
        return derive.imagenet_val_1300_labels(files, base / "imagenet-val-annotations")
    if recipe == "imagenet-samples-1000-labels":
        sizes = {k: tuple(v) for k, v in state.get("orig_sizes", {}).items()}
        files = [Path(e.relpath).name for e in entries if e.relpath.startswith("images/")]
        unknown = [f for f in files if f not in sizes]
        if unknown:
            raise DataError(
                f"{name}: cannot rebuild labels.csv, the original sizes of {len(unknown)} images "
                f"are unknown (first: {unknown[0]}); delete {base / name} and fetch again"
            )
        return derive.imagenet_samples_labels({f: sizes[f] for f in files})
    if recipe == "imagenet-a-index":
        url = dataset_info(name).extra.get("derived_from", {}).get(recipe)
        if not url:
            raise DataError(f"{name}: the index gives no source for {recipe}")
        source = download(url, base / name / ".imagenet-a_images.csv", progress=False)
        text = derive.imagenet_a_index(source.read_text(encoding="utf-8"))
        source.unlink()
        return text
    raise DataError(f"{name}: unknown recipe {recipe!r} in the manifest; update licnn")


def _fetch_archive(
    name: str, base: Path, mirror: Path | None, link: bool, progress: bool
) -> FetchReport:
    """Fetch ImageNet-A: files from a mirror folder, else its tarball (mirror or download)."""
    (entry,) = read_manifest(name)
    files = [row["file"] for row in imagenet_a_files(base)]
    folder = base / name
    report = FetchReport(name, n_files=len(files))
    missing = [f for f in files if not (folder / f).is_file()]
    report.present = len(files) - len(missing)
    if not missing:
        return report
    mirrored = mirror / name if mirror is not None else None
    tar = mirrored / entry.relpath if mirrored is not None else None
    from_folder = mirrored is not None and mirrored.is_dir() and not (tar and tar.is_file())
    if from_folder and mirrored is not None:
        for file in tqdm(missing, desc=name, unit="file", disable=not progress, leave=False):
            candidate = mirrored / file
            if candidate.is_file():
                how = _place(candidate, folder / file, link)
                setattr(report, how, getattr(report, how) + 1)
            else:
                report.not_in_mirror.append(file)
    else:
        if tar is None or not tar.is_file():
            try:
                tar = download(entry.url, folder / entry.relpath, progress=progress)
            except DownloadError as exc:
                if mirror is None:
                    raise
                raise _mirror_gap(name, entry.relpath, mirror, exc) from None
            report.downloaded += 1
        digest = sha256_file(tar)
        _extract(tar, base, name)
        state = read_state(folder)
        state["archive_sha256"] = digest
        write_state(folder, state)
        report.notes.append(
            f"extracted {tar.name}, SHA-256 {digest} (not checked: no published checksum)"
        )
        if tar.parent == folder:
            tar.unlink()
    still = [f for f in files if not (folder / f).is_file()]
    if still and from_folder:
        raise DataError(
            f"{name}: {len(still)} of {len(files)} listed files are not in the mirror "
            f"{mirrored} (first: {still[0]}); add them there, or put {entry.relpath} there "
            "instead of the folder"
        )
    if still:
        raise DataError(
            f"{name}: {len(still)} of {len(files)} listed files missing after extracting "
            f"{entry.relpath} (first: {still[0]}); the archive is incomplete, delete it and "
            "fetch again"
        )
    report.strays = stray_files(folder, set(files))
    return report


def _extract(tar: Path, base: Path, name: str) -> None:
    """Extract the members under ``name/`` of a tarball into ``base``, safely."""
    try:
        with tarfile.open(tar) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith(f"{name}/")]
            archive.extractall(base, members=members, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise DataError(f"cannot extract {tar} ({exc}); delete it and fetch again") from None


def _check_folder(
    name: str, base: Path, mirror: Path | None, link: bool, progress: bool
) -> FetchReport:
    """``imagenet-val``: nothing to download; say how many images the folder has."""
    folder = imagenet_val_folder(base)
    labels = base / "imagenet-val-annotations" / "class_labels.txt"
    keys = [line.split(",", 1)[0] for line in labels.read_text().splitlines() if line]
    available = val_image_files(folder)
    found = sum(key.rsplit("/", 1)[-1] in available for key in keys)
    if not found:
        raise DataError(
            f"no ILSVRC2012 val images in {folder}; they cannot be downloaded automatically "
            "(register at image-net.org), then set LICNN_IMAGENET_VAL to the folder"
        )
    report = FetchReport(name, n_files=len(keys), present=found)
    report.notes.append(f"{found} of {len(keys)} images found in {folder}")
    return report


def _check_subset(
    name: str, base: Path, mirror: Path | None, link: bool, progress: bool
) -> FetchReport:
    """``imagenet-a-proxy``: its files come from the datasets it requires; check they are there."""
    rows = proxy_rows()
    missing = [r for r in rows if not (base / r["dataset"] / "images" / r["file"]).is_file()]
    if missing:
        raise DataError(
            f"{name}: {len(missing)} images missing (first: {missing[0]['file']}); "
            f"run: licnn data fetch {missing[0]['dataset']}"
        )
    return FetchReport(name, n_files=len(rows), present=len(rows))
