"""Blur experiments: the seed's mask rule and the image variants."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from licnn.imaging.blur import (
    RADII,
    blur_background,
    blur_object,
    blur_variants,
    erase_background,
    salient_mask,
)


@pytest.fixture
def image() -> Image.Image:
    """A 24 x 32 (H x W) RGB noise image: any blur changes almost every pixel."""
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8))


@pytest.fixture
def mask() -> np.ndarray:
    """Left half salient."""
    keep = np.zeros((24, 32), dtype=bool)
    keep[:, :16] = True
    return keep


def pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.int16)


def test_salient_mask_is_strictly_above_a_fifth_of_the_range():
    # range 5 -> threshold 1; the value 1 itself is not salient
    saliency = np.array([[0.0, 1.0], [2.0, 5.0]])
    np.testing.assert_array_equal(salient_mask(saliency), [[False, False], [True, True]])


def test_salient_mask_threshold_is_not_offset_by_the_minimum():
    # range 10 -> threshold 2 (min + range/5 would be -3 and keep 0 and 1 too)
    np.testing.assert_array_equal(
        salient_mask(np.array([[-5.0, 0.0], [1.0, 5.0]])), [[False, False], [False, True]]
    )
    # range 5 -> threshold 1: every value of a map with minimum 10 is salient
    assert salient_mask(np.array([[10.0, 11.0], [12.0, 15.0]])).all()


def test_blur_background_keeps_salient_pixels_and_blurs_the_rest(image, mask):
    out = blur_background(image, mask, radius=2)
    whole = image.filter(ImageFilter.GaussianBlur(2))
    np.testing.assert_array_equal(pixels(out)[mask], pixels(image)[mask])
    np.testing.assert_array_equal(pixels(out)[~mask], pixels(whole)[~mask])
    changed = np.any(pixels(out)[~mask] != pixels(image)[~mask], axis=-1)
    assert changed.mean() > 0.9
    assert out.size == image.size and out.mode == image.mode


def test_blur_object_blurs_salient_pixels_and_keeps_the_rest(image, mask):
    out = blur_object(image, mask, radius=5)
    whole = image.filter(ImageFilter.GaussianBlur(5))
    np.testing.assert_array_equal(pixels(out)[~mask], pixels(image)[~mask])
    np.testing.assert_array_equal(pixels(out)[mask], pixels(whole)[mask])
    assert np.any(pixels(out)[mask] != pixels(image)[mask])


def test_larger_radius_distorts_more(image, mask):
    diffs = [np.abs(pixels(blur_background(image, mask, r)) - pixels(image)).mean() for r in RADII]
    assert diffs[0] < diffs[1] < diffs[2]


def test_erase_background_sets_background_to_black_by_default(image, mask):
    out = pixels(erase_background(image, mask))
    np.testing.assert_array_equal(out[mask], pixels(image)[mask])
    assert np.all(out[~mask] == 0)
    grey = pixels(erase_background(image, mask, fill=(124, 116, 104)))
    np.testing.assert_array_equal(grey[0, -1], [124, 116, 104])


def test_greyscale_image_is_supported(mask):
    grey = Image.fromarray(np.full((24, 32), 200, dtype=np.uint8))
    assert pixels(erase_background(grey, mask, fill=0))[0, -1] == 0
    assert blur_background(grey, mask, 2).mode == "L"


def test_mask_of_wrong_size_is_rejected_with_the_sizes(image, mask):
    with pytest.raises(ValueError, match=r"\(24, 32\)"):
        blur_background(image, mask.T, 2)
    with pytest.raises(ValueError, match="does not match"):
        blur_variants(image, mask[:, :10])


def test_non_binary_mask_is_rejected(image):
    with pytest.raises(ValueError, match="boolean"):
        blur_object(image, np.full((24, 32), 0.5), 2)


def test_zero_one_integer_mask_works_like_bool(image, mask):
    a = pixels(blur_background(image, mask.astype(np.uint8), 2))
    b = pixels(blur_background(image, mask, 2))
    np.testing.assert_array_equal(a, b)


def test_blur_variants_keys_and_contents(image, mask):
    variants = blur_variants(image, mask)
    assert list(variants) == [
        "original",
        "background_r2",
        "background_r5",
        "background_r10",
        "object_r2",
        "object_r5",
        "object_r10",
    ]
    assert variants["original"] is image
    np.testing.assert_array_equal(
        pixels(variants["background_r5"]), pixels(blur_background(image, mask, 5))
    )
    np.testing.assert_array_equal(
        pixels(variants["object_r10"]), pixels(blur_object(image, mask, 10))
    )
