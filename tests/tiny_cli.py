"""A tiny classifier and tiny images, so command-line tests run the whole pipeline fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from licnn.models import wrap_model

#: Side of the tiny model's input (the images are cropped to it).
SIZE = 32


def tiny_model():
    """A two-convolution ReLU network with 1000 outputs on 32 x 32 inputs (seeded)."""
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 1000),
    )
    return wrap_model(module, name="tiny", input_size=SIZE, resize_size=SIZE)


@pytest.fixture
def tiny(monkeypatch):
    """Make ``licnn saliency`` / ``bench`` load :func:`tiny_model` whatever ``--model`` says."""
    import licnn.cli.bench  # before the patch, or it would keep the patched name for good
    import licnn.models

    def load(name="tiny", weights=None, device="cpu", seed=0):
        from licnn.device import resolve_device

        return tiny_model().to(resolve_device(device))

    monkeypatch.setattr(licnn.models, "load_model", load)
    monkeypatch.setattr(licnn.cli.bench, "load_model", load)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a net this small only loses to thread hand-offs
    yield load
    torch.set_num_threads(threads)


def write_image(path: Path, seed: int, side: int = 40) -> Path:
    """A random RGB image at ``path`` (format from its suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def map_files(folder: Path) -> list[str]:
    """Every file under ``folder`` but the run record, relative and sorted ([] if absent)."""
    if not folder.exists():
        return []
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "licnn-run.json"
    )
