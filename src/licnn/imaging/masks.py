"""Binary masks of controlled area, for blur experiments with area-matched controls.

Plain-array functions (NumPy in, boolean NumPy out, in the manner of scikit-image): a mask
is an ``H x W`` boolean array, its *area* the share of pixels that are True.

- :func:`top_share_mask`: the ``q`` share of pixels where a map is highest (ties broken by
  raster order, so the result is deterministic and has exactly ``round(q * H * W)`` pixels);
- :func:`threshold_mask`: the seed code's rule ``map > (max - min) / 5`` (its area is what it is);
- :func:`disc_mask`: a centred disc (the pixels nearest the centre) of a given area;
- :func:`blob_mask`: a seeded random region of a given area (the top of smoothed noise);
- :func:`box_mask`: the union of boxes (e.g. ground-truth object boxes), and
  :func:`crop_boxes`, which carries boxes from the image file into the network's centre crop;
- :func:`derangement`: a seeded pairing of each image with another (for shuffled masks).
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

#: The mask areas of the mask-area experiment (0.76 is close to the seed threshold's mean area).
AREAS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5, 0.76, 0.9)


def _map(values: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"map must be a non-empty 2-D array (H, W), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("map contains NaN or infinite values")
    return array


def _count(q: float, size: int) -> int:
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"area share must lie in [0, 1], got {q}")
    return int(round(q * size))


def top_share_mask(values: ArrayLike, q: float) -> NDArray[np.bool_]:
    """The ``round(q * H * W)`` pixels with the highest values, as a boolean mask.

    Among equal values the earlier pixel in raster order (row by row) is taken first, so the
    mask is deterministic and its area exactly the requested count, also on flat maps.
    """
    array = _map(values)
    k = _count(q, array.size)
    order = np.argsort(-array.ravel(), kind="stable")
    flat = np.zeros(array.size, dtype=bool)
    flat[order[:k]] = True
    return flat.reshape(array.shape)


def threshold_mask(values: ArrayLike) -> NDArray[np.bool_]:
    """The seed code's salient region, ``map > (max - min) / 5`` (see :func:`licnn.imaging.blur.salient_mask`)."""
    array = _map(values)
    return array > (array.max() - array.min()) / 5


def centre_distance(shape: tuple[int, int]) -> NDArray[np.float64]:
    """Each pixel centre's distance from the centre of an ``H x W`` grid."""
    h, w = shape
    y = np.arange(h) - (h - 1) / 2
    x = np.arange(w) - (w - 1) / 2
    return np.hypot(y[:, None], x[None, :])


def disc_mask(shape: tuple[int, int], q: float) -> NDArray[np.bool_]:
    """A centred disc of ``round(q * H * W)`` pixels: those nearest the grid's centre.

    Beyond the inscribed circle (q > pi / 4 on a square) the region is the disc clipped by
    the border; the area is always exact.
    """
    return top_share_mask(-centre_distance(shape), q)


def item_seed(name: str, salt: int = 0) -> int:
    """A stable seed from a name (CRC-32, not Python's salted ``hash``), e.g. per image file."""
    return zlib.crc32(name.encode()) ^ salt


def blob_mask(
    shape: tuple[int, int], q: float, seed: int, smoothness: float = 0.12
) -> NDArray[np.bool_]:
    """A seeded random region of ``round(q * H * W)`` pixels: the top of smoothed white noise.

    The noise is Gaussian-filtered with ``sigma = smoothness * min(H, W)`` (wrap-free,
    reflected at the border), so the region is one or a few smooth blobs of a size like a
    saliency map's, placed without regard to the image. Same seed, same region.
    """
    if smoothness <= 0:
        raise ValueError(f"smoothness must be positive, got {smoothness}")
    h, w = shape
    noise = np.random.default_rng(seed).standard_normal((h, w))
    field = ndimage.gaussian_filter(noise, sigma=smoothness * min(h, w), mode="reflect")
    return top_share_mask(field, q)


def crop_boxes(
    boxes: ArrayLike, image_size: tuple[int, int], resize_size: int, input_size: int
) -> NDArray[np.float64]:
    """Boxes ``x0, y0, x1, y1`` in an image of ``(width, height)`` carried into its centre crop.

    The crop is torchvision's: shorter side resized to ``resize_size``, then a centred
    ``input_size`` square (offset rounded as ``CenterCrop`` does). Boxes are clipped to the crop.
    """
    values = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    width, height = image_size
    scale = resize_size / min(width, height)
    new_w, new_h = (
        int(resize_size * width / height) if width > height else resize_size,
        (int(resize_size * height / width) if height > width else resize_size),
    )
    left = int(round((new_w - input_size) / 2.0))
    top = int(round((new_h - input_size) / 2.0))
    out = values * scale - np.array([left, top, left, top], dtype=np.float64)
    return np.clip(out, 0, input_size)


def box_mask(shape: tuple[int, int], boxes: ArrayLike) -> NDArray[np.bool_]:
    """Pixels whose centre lies in at least one box ``x0, y0, x1, y1`` (pixel units)."""
    h, w = shape
    values = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    ys = np.arange(h)[:, None] + 0.5
    xs = np.arange(w)[None, :] + 0.5
    mask = np.zeros((h, w), dtype=bool)
    for x0, y0, x1, y1 in values:
        mask |= (xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1)
    return mask


def derangement(n: int, seed: int = 0) -> NDArray[np.int64]:
    """``partner[i] != i`` for every ``i``: a seeded cyclic shift along a random order.

    Image ``order[j]`` is paired with ``order[j + 1]`` (the last with the first), so no image
    is its own partner when ``n >= 2``.
    """
    if n < 2:
        raise ValueError(f"a derangement needs at least 2 items, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    partner = np.empty(n, dtype=np.int64)
    partner[order] = np.roll(order, -1)
    return partner


def area(mask: ArrayLike) -> float:
    """Share of True pixels in a mask."""
    return float(np.asarray(mask, dtype=bool).mean())
