"""Load any image file as an 8-bit RGB PIL image, or fail with one clear line.

:func:`load_image` is the only way the project reads images, so every command treats bad
input the same way: a :class:`licnn.errors.ImageError` that names the file, says what is
wrong and what to do. See its docstring for the conversions it makes and the limits it sets.
"""

from __future__ import annotations

import math
import os
import stat
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from licnn.errors import ImageError

#: Smallest accepted side, in pixels: smaller images carry too little for a 224 px classifier.
MIN_SIDE = 32
#: Largest accepted size, in pixels: Pillow's decompression-bomb error threshold
#: (twice ``Image.MAX_IMAGE_PIXELS``, about 179 Mpx with Pillow's default).
MAX_PIXELS = 2 * (Image.MAX_IMAGE_PIXELS or 89_478_485)
#: JPEGs are decoded at reduced scale (1/2, 1/4 or 1/8) only while the shorter side stays at
#: least this long, far above the 224-300 px a classifier needs.
DRAFT_MIN_SIDE = 1024

#: The EXIF tag that says how the stored pixels must be turned for display (1: as stored).
EXIF_ORIENTATION = 0x0112

_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


def load_image(
    path: str | os.PathLike[str],
    *,
    draft: bool = True,
    max_pixels: int = MAX_PIXELS,
    orientation: bool = True,
) -> Image.Image:
    """Read ``path`` as an 8-bit RGB image; raise :class:`ImageError` for unusable files.

    Rejected, each with a one-line message: a missing file, anything that is not a regular
    file (a directory, ``/dev/null``, a pipe), an empty file, a file Pillow cannot identify,
    a truncated or corrupt image, an image smaller than :data:`MIN_SIDE` px on a side, and an
    image over ``max_pixels`` pixels (:data:`MAX_PIXELS`, Pillow's decompression-bomb limit;
    a 10000 x 10000 image is under it and loads).

    Conversions to RGB, all lossless except where said:

    - grayscale and palette (``1``, ``L``, ``LA``, ``P``, ``PA``): grey copied to R, G, B;
    - with alpha (``RGBA``, ``LA``, ``PA``): the alpha channel is **dropped**, not composited
      on a background, so transparent pixels show their stored colour;
    - ``CMYK``, ``YCbCr``, ``LAB``, ``HSV``: Pillow's conversion (CMYK is converted naively,
      without an ICC profile);
    - 16-bit grey (``I;16``) and 32-bit integer grey (``I``) whose values fit 0..65535:
      scaled to 8 bits by dividing by 257 (65535 -> 255), never clipped; other ``I`` and
      float (``F``) images are scaled from their own min..max to 0..255.

    With ``draft`` (default), a JPEG whose shorter side is at least twice
    :data:`DRAFT_MIN_SIDE` is decoded by libjpeg at 1/2, 1/4 or 1/8 scale, keeping the
    shorter side at least :data:`DRAFT_MIN_SIDE` px; coordinates given in the file's pixels
    (boxes) then need scaling, so pass ``draft=False`` where they matter.

    With ``orientation`` (default) the EXIF orientation tag is applied, as image viewers do:
    a phone photo taken upright is explained upright, not lying on its side. Annotations in
    the stored pixel grid (the localisation benchmarks' boxes and masks) load with
    ``orientation=False``; no image of the project's datasets carries a tag other than 1
    (checked on all 4000 images of the mirror), so both give the same pixels there.
    """
    file = Path(path)
    _check_file(file)
    try:
        with warnings.catch_warnings():
            # Our own limit below replaces Pillow's warning between 1x and 2x its limit.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                _check_size(file, image.size, max_pixels)
                if draft and image.format == "JPEG":
                    _draft(image)
                image.load()
                if orientation and image.getexif().get(EXIF_ORIENTATION, 1) != 1:
                    return to_rgb(ImageOps.exif_transpose(image))
                return to_rgb(image)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(
            f"{file}: image is over Pillow's decompression-bomb pixel limit; "
            f"downscale it below {max_pixels / 1e6:.0f} Mpx"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            f"{file}: not an image file Pillow can read; give a JPEG, PNG or other image"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageError(
            f"{file}: image is truncated or corrupt ({reason}); re-download or re-save it"
        ) from None


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert a loaded PIL image of any mode to 8-bit RGB (see :func:`load_image`)."""
    mode = image.mode
    if mode == "RGB":
        return image.copy()
    if mode in _SIXTEEN_BIT or mode == "F":
        return Image.fromarray(_to_uint8(np.asarray(image))).convert("RGB")
    if mode == "PA" or (mode == "P" and "transparency" in image.info):
        return image.convert("RGBA").convert("RGB")
    if mode in ("LA", "La"):
        return image.convert("L").convert("RGB")
    return image.convert("RGB")


def _to_uint8(values: np.ndarray) -> np.ndarray:
    """Scale 16-bit (or wider) grey values to 0..255 without clipping."""
    if values.dtype.kind in "iu" and values.size and values.min() >= 0 and values.max() <= 65535:
        return np.round(values.astype(np.float64) / 257.0).astype(np.uint8)
    values = values.astype(np.float64)
    low = float(values.min()) if values.size else 0.0
    span = (float(values.max()) - low) if values.size else 0.0
    if span <= 0:
        return np.zeros(values.shape, np.uint8)
    return np.round((values - low) * (255.0 / span)).astype(np.uint8)


def _check_file(file: Path) -> None:
    """Reject missing, non-regular and empty files before Pillow sees them."""
    try:
        info = file.stat()
    except FileNotFoundError:
        raise ImageError(f"{file}: no such file; check the path") from None
    except OSError as exc:
        raise ImageError(f"{file}: cannot be read ({exc.strerror}); check the path") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
        raise ImageError(f"{file}: is {kind}, not an image file; give an image file")
    if info.st_size == 0:
        raise ImageError(f"{file}: file is empty (0 bytes); re-download or re-save it")
    if not os.access(file, os.R_OK):
        raise ImageError(f"{file}: permission denied; make it readable")


def _check_size(file: Path, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"{file}: image is {width}x{height} px; images need at least {MIN_SIDE} px on each side"
        )
    if width * height > max_pixels:
        raise ImageError(
            f"{file}: image is {width}x{height} px ({width * height / 1e6:.0f} Mpx), over the "
            f"{max_pixels / 1e6:.0f} Mpx limit; downscale it first"
        )


def _draft(image: Image.Image) -> None:
    """Let libjpeg decode a very large JPEG at reduced scale (keeps the shorter side long)."""
    width, height = image.size
    short = min(width, height)
    if short < 2 * DRAFT_MIN_SIDE:
        return
    scale = DRAFT_MIN_SIDE / short
    image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
