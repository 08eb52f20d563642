"""Shared fixtures: the local dataset mirror, a data root fetched from it, and two models."""

import os
from pathlib import Path

import pytest

from licnn.models import load_model

REPO = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("LICNN_DATA_MIRROR") or REPO.parent / "shared" / "datasets")
#: The datasets :func:`fetched_data` links from the mirror (hard links: fast, no copies).
FETCHED = (
    "imagenet-val-1300",
    "imagenet-samples-1000",
    "pascal-s",
    "imagenet-val-annotations",
    "imagenet-a-index",
)


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The read-only local mirror of the datasets (``LICNN_DATA_MIRROR``, else
    ``../shared/datasets``); skip if absent."""
    if not MIRROR.is_dir():
        pytest.skip(f"dataset mirror {MIRROR} not present")
    return MIRROR


@pytest.fixture(scope="session")
def samples_dir(mirror: Path) -> Path:
    """The mirror's ``imagenet-samples-1000/images`` folder."""
    return mirror / "imagenet-samples-1000" / "images"


@pytest.fixture(scope="session")
def fetched_data(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root with the mirror's datasets fetched into it; never write to its files
    (they are hard links to the mirror): unlink a file first to replace it."""
    from licnn.data import fetch

    root = tmp_path_factory.mktemp("data")
    done: set[str] = set()
    for name in FETCHED:
        fetch(name, root, mirror, progress=False, _done=done)
    return root


@pytest.fixture(scope="session")
def lite0():
    return load_model("efficientnet-lite0")


@pytest.fixture(scope="session")
def vgg_random():
    return load_model("vgg16-random")
