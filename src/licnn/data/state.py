"""What fetch records in a dataset folder (``.licnn-fetch.json``) for verify to read.

- ``regenerated``: relpath -> SHA-256 of files rebuilt from the source whose bytes differ from
  the manifest (a resize with another Pillow version); verify reports them, not fails them.
- ``orig_sizes``: file -> [width, height] of downloaded originals before a resize (they go
  into ``imagenet-samples-1000/labels.csv``).
- ``archive_sha256``: the checksum of the archive an ``archive`` dataset was extracted from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FILE = ".licnn-fetch.json"


def read_state(folder: Path) -> dict[str, Any]:
    """The fetch record of a dataset folder (empty when there is none or it is unreadable)."""
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(folder: Path, state: dict[str, Any]) -> None:
    """Save the fetch record; an empty record removes the file."""
    path = folder / STATE_FILE
    if not state:
        path.unlink(missing_ok=True)
        return
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
