"""A model's inputs: the centre crops the maps refer to, and the batch the network sees.

The maps LICNN and the baselines make are on the model's input grid (224 x 224 for
EfficientNet-Lite0), so a figure draws them over the model's crop, not over the original
photograph. :func:`crop_batch` gives both at once, from files or from images already loaded,
with the batch on the model's device, so a notebook or script needs no preprocessing of its
own and runs unchanged on a GPU.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from PIL import Image

from licnn.imaging.images import load_image
from licnn.models.loading import LoadedModel

#: What :func:`crop_batch` accepts per image: a file (read by :func:`load_image`) or an image.
ImageSource = str | os.PathLike[str] | Image.Image


def crop_batch(
    model: LoadedModel, images: Sequence[ImageSource]
) -> tuple[list[Image.Image], torch.Tensor]:
    """The model's crops of ``images`` and their normalised batch (``N x 3 x S x S``).

    Each image is resized and centre-cropped as the model expects (:meth:`LoadedModel.crop`,
    ``S = model.input_size``), then normalised with the model's mean and standard deviation;
    the batch is on ``model.device``. A path is read with
    :func:`licnn.imaging.images.load_image`, so an unreadable file is one
    :class:`licnn.errors.ImageError` naming it. An empty list is a :class:`ValueError`.
    """
    if len(images) == 0:
        raise ValueError("crop_batch needs at least one image")
    loaded = [im.convert("RGB") if isinstance(im, Image.Image) else load_image(im) for im in images]
    crops = [model.crop(image) for image in loaded]
    batch = torch.stack([model.normalise(crop) for crop in crops]).to(model.device)
    return crops, batch
