"""Download one URL to a file, resuming a partial download with an HTTP Range request.

The bytes go to ``DEST.part``; when a ``.part`` file is already there, the request asks for
the rest (``Range: bytes=N-``) and appends if the server answers 206, or starts again if it
answers 200. The file is renamed to ``DEST`` only when complete, so an interrupted download
is resumed by running the same command again. ``file://`` URLs work too (no resume).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from licnn.errors import DataError

USER_AGENT = "licnn-data/0.1 (python urllib)"
CHUNK = 1 << 16


class DownloadError(DataError):
    """A URL could not be fetched; ``reason`` is why, without the advice of the message."""

    def __init__(self, message: str, url: str, reason: str) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` collect while downloading."""
    return dest.with_name(dest.name + ".part")


def download(
    url: str, dest: str | os.PathLike[str], *, progress: bool = True, timeout: float = 60.0
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part``; raise :class:`DataError` on failure."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # nothing left to send: the .part is complete
            part.replace(dest)
            return dest
        reason = f"HTTP {exc.code} {exc.reason}"
        raise DownloadError(f"download of {url} failed: {reason}", url, reason) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = str(getattr(exc, "reason", exc))
        raise DownloadError(
            f"cannot download {url} ({reason}); check the network, or use a local copy "
            "with --mirror DIR",
            url,
            reason,
        ) from None
    with response:
        status = getattr(response, "status", None) or response.getcode() or 200
        resumed = offset > 0 and status == 206
        if not resumed:
            offset = 0
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        received = offset
        with (
            open(part, "ab" if resumed else "wb") as fh,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=dest.name[:30],
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            try:
                while block := response.read(CHUNK):
                    fh.write(block)
                    received += len(block)
                    bar.update(len(block))
            except OSError as exc:
                raise DataError(
                    f"download of {url} stopped after {received:,} bytes ({exc}); "
                    "run the same command again to resume"
                ) from None
    if total is not None and received < total:
        raise DataError(
            f"download of {url} stopped after {received:,} of {total:,} bytes; "
            "run the same command again to resume"
        )
    part.replace(dest)
    return dest
