"""load_image: every kind of bad input gives a one-line ImageError; safe conversions to RGB."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from licnn.errors import ImageError
from licnn.imaging.images import DRAFT_MIN_SIDE, MAX_PIXELS, MIN_SIDE, load_image


def _jpeg(path: Path, size: tuple[int, int] = (64, 48), colour=(200, 30, 40), **kw) -> Path:
    Image.new("RGB", size, colour).save(path, "JPEG", **kw)
    return path


def _huge_header_jpeg(path: Path, width: int, height: int) -> Path:
    """A small JPEG whose frame header claims ``width x height`` (cheap to make, never decoded)."""
    data = bytearray(_jpeg(path).read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def make_bad(kind: str, tmp_path: Path) -> Path:
    """A file of the given bad kind in ``tmp_path``."""
    if kind == "truncated":
        data = _jpeg(tmp_path / "ok.jpg", (256, 256), quality=95).read_bytes()
        (path := tmp_path / "truncated.jpg").write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        (path := tmp_path / "empty.jpg").write_bytes(b"")
    elif kind == "text":
        (path := tmp_path / "notes.jpg").write_text("this is not an image\n")
    elif kind == "tiny":
        Image.new("RGB", (8, 8), "red").save(path := tmp_path / "tiny.png")
    elif kind == "devnull":
        path = Path(os.devnull)
    elif kind == "missing":
        path = tmp_path / "missing.jpg"
    elif kind == "directory":
        (path := tmp_path / "folder.jpg").mkdir()
    elif kind == "bomb":
        path = _huge_header_jpeg(tmp_path / "bomb.jpg", 30000, 30000)
    else:
        raise ValueError(kind)
    return path


BAD = {
    "truncated": "truncated or corrupt",
    "empty": "empty",
    "text": "not an image",
    "tiny": f"at least {MIN_SIDE} px",
    "devnull": "not an image file",
    "missing": "no such file",
    "directory": "directory",
    "bomb": "Mpx",
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_gives_one_line_image_error(kind: str, tmp_path: Path) -> None:
    path = make_bad(kind, tmp_path)
    with pytest.raises(ImageError) as info:
        load_image(path)
    message = str(info.value)
    assert "\n" not in message
    assert BAD[kind] in message
    assert path.name in message


def test_own_pixel_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "big.jpg", (100, 100))
    with pytest.raises(ImageError, match="limit"):
        load_image(path, max_pixels=5000)
    assert MAX_PIXELS > 100_000_000  # a 10000 x 10000 image is allowed


def test_100_megapixel_jpeg_loads_at_reduced_scale(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "huge.jpg", (10000, 10000), (10, 120, 200), quality=50)
    image = load_image(path)
    assert image.mode == "RGB"
    assert min(image.size) >= DRAFT_MIN_SIDE
    assert image.size[0] < 10000
    assert np.allclose(image.getpixel((50, 50)), (10, 120, 200), atol=4)


def test_grayscale_and_palette_become_rgb(tmp_path: Path) -> None:
    Image.new("L", (40, 40), 77).save(tmp_path / "l.png")
    Image.new("LA", (40, 40), (77, 10)).save(tmp_path / "la.png")
    palette = Image.new("P", (40, 40), 1)
    palette.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    palette.save(tmp_path / "p.png")
    assert load_image(tmp_path / "l.png").getpixel((3, 3)) == (77, 77, 77)
    assert load_image(tmp_path / "la.png").getpixel((3, 3)) == (77, 77, 77)
    assert load_image(tmp_path / "p.png").getpixel((3, 3)) == (10, 20, 30)


def test_rgba_drops_alpha(tmp_path: Path) -> None:
    Image.new("RGBA", (40, 40), (10, 20, 30, 0)).save(tmp_path / "rgba.png")
    image = load_image(tmp_path / "rgba.png")
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (10, 20, 30)  # stored colour kept, not composited


def test_cmyk_becomes_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(tmp_path / "cmyk.jpg", quality=95)
    image = load_image(tmp_path / "cmyk.jpg")
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((20, 20))
    assert red > 200 and green < 50 and blue < 50


def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.tile(np.array([0, 257 * 64, 32896, 65535], dtype=np.uint16), (40, 10))
    Image.fromarray(values).save(tmp_path / "grey16.png")
    assert Image.open(tmp_path / "grey16.png").mode in ("I;16", "I")
    image = np.asarray(load_image(tmp_path / "grey16.png"))
    assert image.dtype == np.uint8 and image.shape == (40, 40, 3)
    assert image[0, :4, 0].tolist() == [0, 64, 128, 255]


def test_rgb_jpeg_loads_unchanged(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "ok.jpg", (64, 48), quality=100)
    image = load_image(path)
    assert image.size == (64, 48) and image.mode == "RGB"
    assert np.allclose(image.getpixel((10, 10)), (200, 30, 40), atol=3)


def test_real_image_from_the_data_root(samples_dir: Path) -> None:
    image = load_image(samples_dir / "n02110341_dalmatian.JPEG")
    assert image.mode == "RGB" and min(image.size) == 256


# Issue 15, class 6: phone photos carry an EXIF orientation tag; it is applied when loading.
_ORIENTATIONS = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    6: lambda a: np.rot90(a, -1),
    8: lambda a: np.rot90(a, 1),
}


@pytest.mark.parametrize("orientation", sorted(_ORIENTATIONS))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_applied(tmp_path, orientation, fmt):
    rng = np.random.default_rng(orientation)
    stored = np.zeros((48, 64, 3), np.uint8)
    stored[:8, :16] = 255  # a bright block in the stored top-left corner
    stored += rng.integers(0, 5, stored.shape, dtype=np.uint8)
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = orientation
    path = tmp_path / f"photo.{fmt.lower()}"
    image.save(path, fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {}))
    expected = _ORIENTATIONS[orientation](stored).astype(float)
    loaded = np.asarray(load_image(path), dtype=float)
    assert loaded.shape == expected.shape
    assert np.abs(loaded - expected).mean() < 4
    raw = np.asarray(load_image(path, orientation=False), dtype=float)
    assert raw.shape == stored.shape  # the stored grid, for annotations made on it
