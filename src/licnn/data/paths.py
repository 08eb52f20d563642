"""Where data lives: the repository root, the data root, the manifests and a local mirror.

- The **repository root** is the parent of ``src/`` when licnn is installed in editable mode
  from a checkout (``src/licnn/data/paths.py`` -> three levels up, recognised by its
  ``pyproject.toml``); otherwise the current directory.
- The **data root** is ``$LICNN_DATA`` if set, else ``<repository root>/data``. Each dataset is
  a folder there (``data/imagenet-val-1300/...``); images are never committed.
- The **manifests** are committed in ``<repository root>/data/manifests`` (``$LICNN_MANIFESTS``
  overrides it, e.g. for tests or an installed copy without the checkout).
- A **mirror** is a folder laid out like the data root (``<mirror>/<dataset>/<file>``), given
  with ``--mirror`` or ``$LICNN_DATA_MIRROR``.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "LICNN_DATA"
MANIFESTS_ENV = "LICNN_MANIFESTS"
MIRROR_ENV = "LICNN_DATA_MIRROR"


def repo_root() -> Path:
    """The checkout this package was installed from (editable install), else the cwd."""
    here = Path(__file__).resolve()
    candidate = here.parents[3]
    if here.parents[2].name == "src" and (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder that holds the datasets: ``root``, ``$LICNN_DATA`` or ``<repo>/data``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    return repo_root() / "data"


def manifests_dir() -> Path:
    """The folder of committed manifests: ``$LICNN_MANIFESTS`` or ``<repo>/data/manifests``."""
    env = os.environ.get(MANIFESTS_ENV)
    if env:
        return Path(env).expanduser()
    return repo_root() / "data" / "manifests"


def mirror_dir(mirror: str | os.PathLike[str] | None = None) -> Path | None:
    """The local mirror to copy from: ``mirror``, ``$LICNN_DATA_MIRROR`` or None."""
    if mirror is not None:
        return Path(mirror).expanduser()
    env = os.environ.get(MIRROR_ENV)
    return Path(env).expanduser() if env else None
