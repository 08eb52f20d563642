"""Per-item results on disk, so long runs resume where they stopped.

A :class:`ResultCache` is a folder named after the experiment and a hash of everything the
results depend on (model, weights, parameters). Each item (an image) is one ``.npz`` file,
written atomically (a temporary file renamed into place), so an interrupted run never leaves
half an item behind and a finished item is never computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
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


class ResultCache:
    """Items of one experiment under ``root/experiment-<hash of key>/``."""

    def __init__(
        self, experiment: str, key: Mapping[str, Any], root: str | os.PathLike[str] | None = None
    ) -> None:
        self.key = dict(key)
        base = Path(root) if root is not None else cache_root()
        self.folder = base / f"{_safe(experiment)}-{_digest(self.key)}"
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "key.json"
        if not meta.exists():
            meta.write_text(json.dumps(self.key, sort_keys=True, indent=2, default=str) + "\n")

    def path(self, item: str) -> Path:
        return self.folder / f"{_safe(item)}.npz"

    def __contains__(self, item: str) -> bool:
        return self.path(item).exists()

    def get(self, item: str) -> dict[str, np.ndarray] | None:
        path = self.path(item)
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def put(self, item: str, values: Mapping[str, Any]) -> None:
        path = self.path(item)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, **{k: np.asarray(v) for k, v in values.items()})
        os.replace(tmp, path)

    def map(
        self,
        items: Iterable[str],
        compute: Callable[[list[str]], list[Mapping[str, Any]]],
        batch_size: int = 8,
        desc: str | None = None,
        progress: bool = True,
    ) -> dict[str, dict[str, np.ndarray]]:
        """Results for every item: cached ones are read, the others computed in batches and stored.

        ``compute`` gets a list of item names and returns one mapping of arrays per item.
        """
        return map_caches(
            [self], items, lambda chunk: [compute(chunk)], batch_size, desc, progress
        )[0]


def map_caches(
    caches: Sequence[ResultCache],
    items: Iterable[str],
    compute: Callable[[list[str]], Sequence[Sequence[Mapping[str, Any]]]],
    batch_size: int = 8,
    desc: str | None = None,
    progress: bool = True,
) -> list[dict[str, dict[str, np.ndarray]]]:
    """:meth:`ResultCache.map` for several caches filled by one computation.

    For the items missing from any of ``caches``, ``compute`` returns, per cache, one mapping
    per item (e.g. one configuration per cache, computed together because they share work).
    Items a cache already holds are not rewritten.
    """
    items = list(items)
    todo = [i for i in items if any(i not in cache for cache in caches)]
    bar = tqdm(total=len(items), initial=len(items) - len(todo), desc=desc, disable=not progress)
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        results = compute(chunk)
        if len(results) != len(caches):
            raise ValueError(
                f"compute gave results for {len(results)} caches, expected {len(caches)}"
            )
        for cache, values in zip(caches, results, strict=True):
            for item, item_values in zip(chunk, values, strict=True):
                if item not in cache:
                    cache.put(item, item_values)
        bar.update(len(chunk))
    bar.close()
    return [{i: cache.get(i) for i in items} for cache in caches]
