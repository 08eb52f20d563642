"""ImageNet class synsets: wnids and words of the 1000 classes, the 200 of ImageNet-A.

``IMAGENET_WNIDS[i]`` and ``SYNSET_WORDS[i]`` are class ``i`` (torchvision order);
``IMAGENET_A_WNIDS[j]`` is ImageNet-A's class ``j`` (label200 order).

The table is package data, ``synsets.tsv`` beside this module (written by
``scripts/make_manifests.py``; do not edit it by hand): one row per class in index order,
``wnid<TAB>imagenet_a_label<TAB>words``, the label empty for classes ImageNet-A lacks. It is
read on the first use of one of the three names, not when the module is imported, and then
kept.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING

from licnn.errors import DataError

__all__ = ["IMAGENET_A_WNIDS", "IMAGENET_WNIDS", "SYNSET_WORDS"]

#: The package data file the names are read from.
TABLE = "synsets.tsv"
N_CLASSES = 1000
N_IMAGENET_A_CLASSES = 200

# Declared for type checkers; the values come from __getattr__ on first access.
IMAGENET_WNIDS: tuple[str, ...]
SYNSET_WORDS: tuple[str, ...]
IMAGENET_A_WNIDS: tuple[str, ...]


@functools.cache
def _load() -> dict[str, tuple[str, ...]]:
    """The three tables from :data:`TABLE`, read once."""
    return parse_table(resources.files("licnn.data").joinpath(TABLE).read_text(encoding="utf-8"))


def parse_table(text: str) -> dict[str, tuple[str, ...]]:
    """The three tables from the text of :data:`TABLE`; a damaged one raises :class:`DataError`."""
    header, *lines = text.splitlines() or [""]
    if header.split("\t") != ["wnid", "imagenet_a_label", "words"] or len(lines) != N_CLASSES:
        raise DataError(
            f"{TABLE} of licnn.data is not the {N_CLASSES}-class table; reinstall licnn"
        )
    wnids, words, labelled = [], [], []
    for line in lines:
        parts = line.split("\t", 2)
        if len(parts) != 3 or not (parts[1] == "" or parts[1].isdigit()):
            raise DataError(f"{TABLE} of licnn.data has a bad row {line[:40]!r}; reinstall licnn")
        wnid, label, names = parts
        wnids.append(wnid)
        words.append(names)
        if label:
            labelled.append((int(label), wnid))
    labelled.sort()
    if [label for label, _ in labelled] != list(range(N_IMAGENET_A_CLASSES)):
        raise DataError(
            f"{TABLE} of licnn.data does not give ImageNet-A labels 0..199 once each; "
            "reinstall licnn"
        )
    return {
        "IMAGENET_WNIDS": tuple(wnids),
        "SYNSET_WORDS": tuple(words),
        "IMAGENET_A_WNIDS": tuple(wnid for _, wnid in labelled),
    }


if not TYPE_CHECKING:  # hidden from type checkers, which then flag names other than the three

    def __getattr__(name: str) -> tuple[str, ...]:
        """The three tables, read on first access (PEP 562) and then kept in the module."""
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        tables = _load()
        globals().update(tables)  # later uses are plain attribute reads
        return tables[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
