"""Shared fixtures: the fetched data root, a scratch data root fetched from it, two models.

Tests that need real images read them from the data root (:func:`licnn.data.data_root`:
``$LICNN_DATA`` or ``<checkout>/data``), where ``make data`` / ``licnn data fetch`` put them.
A dataset missing there FAILS those tests, with a message saying to run ``make data``: a
test run that quietly skipped the work on real images would look green and check nothing.
Set ``LICNN_ALLOW_MISSING_DATA=1`` to skip them instead (e.g. on a machine without the data).
"""

import functools
import os
from pathlib import Path

import pytest

from licnn.data import data_root, is_present
from licnn.models import load_model
from tiny_cli import tiny  # noqa: F401  (fixture: the tiny model for command-line tests)

ALLOW_MISSING_ENV = "LICNN_ALLOW_MISSING_DATA"
#: The datasets the tests use; ``make data`` fetches all of them.
DATASETS = (
    "imagenet-val-1300",
    "imagenet-samples-1000",
    "pascal-s",
    "imagenet-val-annotations",
    "imagenet-a-index",
)


@functools.cache
def _missing(name: str, root: Path) -> str | None:
    present, expected = is_present(name, root)
    return None if present >= expected else f"{name} ({present} of {expected} files)"


def require_data(*names: str) -> Path:
    """The data root, after checking that ``names`` are fetched there; fail (or skip) if not."""
    root = data_root()
    missing = [m for m in (_missing(n, root) for n in names) if m]
    if missing:
        message = (
            f"datasets not fetched in the data root {root}: {', '.join(missing)}; run "
            f"`make data` (or `licnn data fetch NAME`), or set {ALLOW_MISSING_ENV}=1 to skip"
        )
        if os.environ.get(ALLOW_MISSING_ENV) == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    return root


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The data root with every dataset of :data:`DATASETS` fetched. It is laid out like a
    mirror, so the fetch tests fetch from it. Read only: never write to its files."""
    return require_data(*DATASETS)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The data root's ``imagenet-samples-1000/images`` folder."""
    return require_data("imagenet-samples-1000") / "imagenet-samples-1000" / "images"


@pytest.fixture(scope="session")
def fetched_data(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch data root with the datasets fetched (copied) into it from :func:`data_dir`,
    for tests that add to a data root; it is shared by the session, so a test that damages a
    file there must work on a copy of its own instead."""
    from licnn.data import fetch

    root = tmp_path_factory.mktemp("data")
    done: set[str] = set()
    for name in DATASETS:
        fetch(name, root, data_dir, progress=False, _done=done)
    return root


@pytest.fixture(scope="session")
def lite0():
    return load_model("efficientnet-lite0")


@pytest.fixture(scope="session")
def vgg_random():
    return load_model("vgg16-random")
