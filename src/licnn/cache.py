"""Per-item results on disk, so long runs resume where they stopped.

A :class:`ResultCache` is a folder named after the experiment and a hash of everything the
results depend on (model, weights, parameters). Each item (an image) is one ``.npz`` file,
written atomically (a temporary file renamed into place), so an interrupted run never leaves
half an item behind and a finished item is never computed again; a damaged item is warned
about and computed again (see :class:`ResultCache`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

CACHE_ENV = "LICNN_CACHE"


def cache_root() -> Path:
    """``$LICNN_CACHE``, else ``<repository root>/cache`` (ignored by git)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    from licnn.data.paths import repo_root

    return repo_root() / "cache"


def _digest(key: Mapping[str, Any]) -> str:
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


#: Key stored in every entry: the item it belongs to, checked when it is read.
ITEM_KEY = "__item__"
#: What a damaged ``.npz`` raises when read (truncated zip, flipped bytes, bad header).
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, KeyError)


class ResultCache:
    """Items of one experiment under ``root/experiment-<hash of key>/``.

    Each item is one file. An item whose name is already file-safe (letters, digits,
    ``-_.``) keeps its plain name ``<item>.npz``; any other item is stored as
    ``<sanitised>-<12 hex digits of its SHA-256>.npz``, so two names that sanitise alike
    (``a/b`` and ``a_b``, ``x y`` and ``x_y``) never share a file. Entries also record their
    item (:data:`ITEM_KEY`), checked when read. Entries written before the hash suffix (the
    plain sanitised name, no item recorded) are still read, unless two of the items asked
    for in one :meth:`map` sanitise to that same name: then nobody can tell whose it is and
    it is recomputed. A damaged entry (truncated, flipped bytes) is reported with a warning
    naming the file, removed and recomputed. Writes go to a unique temporary file in the
    folder, renamed into place, so concurrent writers never meet half a file.
    """

    def __init__(
        self, experiment: str, key: Mapping[str, Any], root: str | os.PathLike[str] | None = None
    ) -> None:
        self.key = dict(key)
        base = Path(root) if root is not None else cache_root()
        self.folder = base / f"{_safe(experiment)}-{_digest(self.key)}"
        self.folder.mkdir(parents=True, exist_ok=True)
        #: Legacy (hash-less) file names that more than one item maps to: never read.
        self.ambiguous: set[str] = set()
        meta = self.folder / "key.json"
        if not meta.exists():
            _write_atomic(
                meta,
                lambda fh: fh.write(
                    (json.dumps(self.key, sort_keys=True, indent=2, default=str) + "\n").encode()
                ),
            )

    def path(self, item: str) -> Path:
        """The file of ``item`` (plain name when safe, else with a hash suffix)."""
        safe = _safe(item)
        if safe == item:
            return self.folder / f"{item}.npz"
        suffix = hashlib.sha256(item.encode()).hexdigest()[:12]
        return self.folder / f"{safe}-{suffix}.npz"

    def legacy_path(self, item: str) -> Path:
        """Where entries were stored before the hash suffix: the sanitised name alone."""
        return self.folder / f"{_safe(item)}.npz"

    def note_items(self, items: Iterable[str]) -> None:
        """Mark the legacy names that several of ``items`` share, so none of them reads one."""
        seen: dict[str, str] = {}
        for item in items:
            name = self.legacy_path(item).name
            if seen.setdefault(name, item) != item:
                self.ambiguous.add(name)

    def _existing(self, item: str) -> Path | None:
        path = self.path(item)
        if path.exists():
            return path
        legacy = self.legacy_path(item)
        if legacy != path and legacy.name not in self.ambiguous and legacy.exists():
            return legacy
        return None

    def __contains__(self, item: str) -> bool:
        """Whether a file for ``item`` exists (cheap; :meth:`get` checks its content)."""
        return self._existing(item) is not None

    def get(self, item: str) -> dict[str, np.ndarray] | None:
        """The entry of ``item``, or None if absent, damaged (warned, removed) or another item's."""
        path = self._existing(item)
        if path is None:
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                values = {k: data[k] for k in data.files}
        except _DAMAGED as exc:
            warnings.warn(
                f"cache entry {path} is damaged ({type(exc).__name__}: {exc}); "
                "removing it, it will be computed again",
                CacheWarning,
                stacklevel=2,
            )
            path.unlink(missing_ok=True)
            return None
        owner = values.pop(ITEM_KEY, None)
        if owner is not None and str(owner) != item:
            return None  # another item's entry under a legacy name
        return values

    def put(self, item: str, values: Mapping[str, Any]) -> None:
        """Store ``item`` atomically (unique temporary file, then rename)."""
        if ITEM_KEY in values:
            raise ValueError(f"{ITEM_KEY!r} is reserved for the cache's own use")
        arrays = {k: np.asarray(v) for k, v in values.items()}
        arrays[ITEM_KEY] = np.asarray(item)
        # numpy's stub types every **kwds value against savez's keyword allow_pickle (numpy
        # >= 2.1), and passing allow_pickle explicitly would store it as an array on 1.26.
        _write_atomic(
            self.path(item),
            lambda fh: np.savez(fh, **arrays),  # type: ignore[arg-type]
        )

    def map(
        self,
        items: Iterable[str],
        compute: Callable[[list[str]], Sequence[Mapping[str, Any]]],
        batch_size: int = 8,
        desc: str | None = None,
        progress: bool = True,
        aligned: bool = False,
    ) -> dict[str, dict[str, np.ndarray]]:
        """Results for every item: cached ones are read, the others computed in batches and stored.

        ``compute`` gets a list of item names and returns one mapping of arrays per item;
        ``aligned`` as in :func:`map_caches`.
        """
        return map_caches(
            [self], items, lambda chunk: [compute(chunk)], batch_size, desc, progress, aligned
        )[0]


def map_caches(
    caches: Sequence[ResultCache],
    items: Iterable[str],
    compute: Callable[[list[str]], Sequence[Sequence[Mapping[str, Any]]]],
    batch_size: int = 8,
    desc: str | None = None,
    progress: bool = True,
    aligned: bool = False,
) -> list[dict[str, dict[str, np.ndarray]]]:
    """:meth:`ResultCache.map` for several caches filled by one computation.

    For the items missing from any of ``caches``, ``compute`` returns, per cache, one mapping
    per item (e.g. one configuration per cache, computed together because they share work).
    Items a cache already holds are not rewritten.

    By default the missing items are batched together in order. With ``aligned``, the batches
    are fixed slices of ``items`` (``items[0:batch_size]``, ...) and a batch with any item
    missing is computed and stored whole (its cached items are replaced), so every item is
    computed beside the same companions whether a run is fresh or resumed: for computations
    whose result depends on the batch (such as a control that pairs each item with the next
    one of its batch).
    """
    items = list(items)
    found: list[dict[str, dict[str, np.ndarray]]] = []
    for cache in caches:
        cache.note_items(items)
        found.append({i: v for i in items if (v := cache.get(i)) is not None})
    missing = {i for i in items if any(i not in done for done in found)}
    if aligned:
        slices = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
        chunks = [chunk for chunk in slices if missing.intersection(chunk)]
    else:
        todo = [i for i in items if i in missing]
        chunks = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    done_count = len(items) - sum(len(chunk) for chunk in chunks)
    bar = tqdm(total=len(items), initial=done_count, desc=desc, disable=not progress)
    for chunk in chunks:
        results = compute(chunk)
        if len(results) != len(caches):
            raise ValueError(
                f"compute gave results for {len(results)} caches, expected {len(caches)}"
            )
        for cache, done, values in zip(caches, found, results, strict=True):
            for item, item_values in zip(chunk, values, strict=True):
                # An aligned batch is stored whole: an item already held was computed beside
                # other companions (a shorter run's last batch) and is replaced.
                if aligned or item not in done:
                    cache.put(item, item_values)
                    done[item] = {k: np.asarray(v) for k, v in item_values.items()}
        bar.update(len(chunk))
    bar.close()
    return [{i: done[i] for i in items} for done in found]


class CacheWarning(UserWarning):
    """A cache entry could not be used (damaged) and is computed again."""


def _write_atomic(path: Path, write: Callable[[Any], object]) -> None:
    """Write ``path`` through a unique temporary file in its folder, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
