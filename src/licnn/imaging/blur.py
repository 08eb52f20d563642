"""Blur experiments of the seed report (section 4): blur the background or the salient object.

A saliency map gives a binary mask (:func:`salient_mask`); the mask selects, pixel by pixel,
between the image and a copy blurred as a whole with Pillow's ``ImageFilter.GaussianBlur``
(the seed used Pillow). The functions work on the image as given: the experiments pass the
224 x 224 centre crop the network sees, and the mask must have the same size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image, ImageFilter

#: Blur radii (pixels, Pillow's Gaussian radius) used in the seed report.
RADII: tuple[int, ...] = (2, 5, 10)

#: The ImageNet mean colour in 0-255 RGB; as a fill it becomes a zero input after normalisation.
IMAGENET_MEAN_RGB: tuple[int, int, int] = (124, 116, 104)


def salient_mask(saliency: ArrayLike) -> NDArray[np.bool_]:
    """The seed code's salient region: pixels with ``map > (max - min) / 5``.

    The threshold is the fifth of the map's range, not ``min + (max - min) / 5``: for a map
    with a negative minimum it lies higher, for a positive minimum lower, than a fifth of
    the way up. It is kept exactly as in the seed author's code.
    """
    values = np.asarray(saliency, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"saliency map must be 2-D (H, W), got shape {values.shape}")
    return values > (values.max() - values.min()) / 5


def _check_mask(image: Image.Image, mask: ArrayLike) -> Image.Image:
    """The mask as a Pillow 'L' image (255 = salient), checked against the image's size."""
    values = np.asarray(mask)
    if values.dtype != np.bool_:
        if not np.all((values == 0) | (values == 1)):
            raise ValueError("mask must be boolean (or contain only 0 and 1); see salient_mask")
        values = values.astype(bool)
    expected = (image.height, image.width)
    if values.shape != expected:
        raise ValueError(
            f"mask shape {values.shape} does not match the image size (H, W) = {expected}"
        )
    return Image.fromarray(values.astype(np.uint8) * 255)


def _gaussian_blur(image: Image.Image, radius: float) -> Image.Image:
    """The whole image blurred with Pillow's Gaussian filter of ``radius`` pixels."""
    return image.filter(ImageFilter.GaussianBlur(radius))


def blur_background(image: Image.Image, mask: ArrayLike, radius: float) -> Image.Image:
    """Keep the salient region (``mask`` True) sharp; elsewhere use the image blurred by ``radius`` px."""
    keep = _check_mask(image, mask)
    return Image.composite(image, _gaussian_blur(image, radius), keep)


def blur_object(image: Image.Image, mask: ArrayLike, radius: float) -> Image.Image:
    """Blur the salient region (``mask`` True) by ``radius`` px; keep the background as it is."""
    keep = _check_mask(image, mask)
    return Image.composite(_gaussian_blur(image, radius), image, keep)


def erase_background(
    image: Image.Image, mask: ArrayLike, fill: int | tuple[int, ...] = (0, 0, 0)
) -> Image.Image:
    """Set every pixel outside the salient region to the constant colour ``fill`` (black by default).

    Black is the plain "erase"; :data:`IMAGENET_MEAN_RGB` is the alternative that the
    network's input normalisation turns into zeros.
    """
    keep = _check_mask(image, mask)
    return Image.composite(image, Image.new(image.mode, image.size, fill), keep)


def blur_variants(
    image: Image.Image, mask: ArrayLike, radii: Sequence[float] = RADII
) -> dict[str, Image.Image]:
    """The seed's image variants: ``'original'``, ``'background_r{r}'`` and ``'object_r{r}'`` per radius.

    Keys are ordered: original, then the background-blurred images, then the object-blurred
    ones, each by increasing position in ``radii``.
    """
    keep = _check_mask(image, mask)
    blurred = {r: _gaussian_blur(image, r) for r in radii}
    variants = {"original": image}
    for r in radii:
        variants[f"background_r{r:g}"] = Image.composite(image, blurred[r], keep)
    for r in radii:
        variants[f"object_r{r:g}"] = Image.composite(blurred[r], image, keep)
    return variants
