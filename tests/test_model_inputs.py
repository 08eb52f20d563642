"""licnn.models.crop_batch: the crops a model sees and its normalised batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from licnn.errors import ImageError
from licnn.models import IMAGENET_MEAN, IMAGENET_STD, crop_batch
from tiny_cli import SIZE, tiny_model

#: A colour whose normalised value is easy to work out by hand.
COLOUR = (255, 0, 51)


def test_crop_batch_of_a_plain_colour_by_hand(tmp_path: Path) -> None:
    model = tiny_model()
    image = Image.new("RGB", (60, 45), COLOUR)
    path = tmp_path / "plain.png"
    image.save(path)
    crops, batch = crop_batch(model, [image, path])
    assert [c.size for c in crops] == [(SIZE, SIZE)] * 2
    assert batch.shape == (2, 3, SIZE, SIZE)
    assert batch.device == model.device
    expected = [
        (c / 255 - m) / s for c, m, s in zip(COLOUR, IMAGENET_MEAN, IMAGENET_STD, strict=True)
    ]
    for channel, value in enumerate(expected):
        np.testing.assert_allclose(batch[:, channel].numpy(), value, rtol=0, atol=1e-6)


def test_crop_batch_is_the_model_preprocessing(tmp_path: Path) -> None:
    model = tiny_model()
    pixels = np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    crops, batch = crop_batch(model, [image])
    assert torch.equal(batch[0], model.preprocess(image))
    assert np.array_equal(np.asarray(crops[0]), np.asarray(model.crop(image)))


def test_crop_batch_errors(tmp_path: Path) -> None:
    model = tiny_model()
    with pytest.raises(ValueError, match="at least one image"):
        crop_batch(model, [])
    with pytest.raises(ImageError, match="missing.png"):
        crop_batch(model, [tmp_path / "missing.png"])
