"""Files from a mirror: placing one in the data root (copy or hard link, never half written)
and the error for a file that the mirror lacks and that could not be downloaded either.
Used by :mod:`licnn.data.fetch` for every kind of dataset it fetches.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from licnn.data.download import DownloadError
from licnn.errors import DataError


def _place(source: Path, dest: Path, link: bool) -> str:
    """Copy ``source`` to ``dest`` (or hard-link it); return ``linked`` or ``copied``.

    The new file is made under a temporary name and renamed over ``dest``, so ``dest`` is
    never half written, and a hard link at ``dest`` is replaced, never written through. A
    link that the file system refuses (another device) falls back to a copy.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = dest.with_name(f".{dest.name}.licnn-tmp")
    scratch.unlink(missing_ok=True)
    try:
        if link:
            try:
                os.link(source, scratch)
                os.replace(scratch, dest)
                return "linked"
            except OSError:
                scratch.unlink(missing_ok=True)
        shutil.copyfile(source, scratch)
        os.replace(scratch, dest)
    finally:
        scratch.unlink(missing_ok=True)
    return "copied"


def _same_file(a: Path, b: Path | None) -> bool:
    """Whether ``a`` and ``b`` are one file (hard links to the same bytes)."""
    try:
        return b is not None and os.path.samefile(a, b)
    except OSError:
        return False


def _mirror_gap(name: str, relpath: str, mirror: Path, exc: DownloadError) -> DataError:
    """The error for a file that the given mirror lacks and that could not be downloaded."""
    where = (
        f"the mirror {mirror} has no {name} folder"
        if not (mirror / name).is_dir()
        else f"{mirror / name / relpath} is not in the mirror"
    )
    return DataError(
        f"{name}: {where}, and downloading {relpath} failed ({exc.reason}); add the file to "
        "the mirror, or fetch with network access"
    )
