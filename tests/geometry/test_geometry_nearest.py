"""Nearest resampling copies the same source pixel into every raster, whatever its dtype.

OpenCV's warpAffine/warpPerspective round half-pixel ties differently by
dtype and channel count (IPP for some types, SIMD kernels for others, and
which ones changed between 4.x and 5.x), so a 16-bit label map could sample
another pixel than its uint8 RGB image. Each raster here holds its own
pixels' coordinates; after a nearest warp, every dtype and layout must name
the same source pixel as the uint8 RGB image does, for warps full of ties,
on every border mode.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from geometry_scenes import grid_for

from augcli.geometry.raster import Resampler
from augcli.geometry.warp import MatrixWarp, rotation_about, scaling, translation

W, H = 64, 48
OUT = 100  # fill: no coordinate of the input (x < 64, y < 48)
YS, XS = np.mgrid[0:H, 0:W]
BORDERS = [
    cv2.BORDER_CONSTANT,
    cv2.BORDER_REPLICATE,
    cv2.BORDER_REFLECT,
    cv2.BORDER_WRAP,
    cv2.BORDER_REFLECT_101,
]
LABEL_DTYPES = [np.uint8, np.int8, np.uint16, np.int16, np.int32, np.uint32, np.int64, np.float32, np.float64]
IMAGE_LAYOUTS = [(np.uint8, 1), (np.uint8, 2), (np.uint8, 4), (np.uint8, 6), (np.uint16, 1), (np.uint16, 3)]
IMAGE_LAYOUTS += [(np.uint16, 4), (np.int16, 3), (np.float32, 1), (np.float32, 3), (np.float64, 3)]


PERSPECTIVE = np.array([[1.05, 0.1, -2.0], [0.03, 0.95, 1.5], [0.0015, -0.001, 1.0]])
WARPS = {
    # source x = column - row / 4: every fourth row samples exactly on pixel boundaries
    "shear-ties": MatrixWarp([[1.0, 0.25, 0.375], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], (W, H)),
    # the ShearY-then-ShearX RandAugment drew when 5.1's uint16 maps left their pixels
    "randaugment-shears": MatrixWarp([[1.0196, 0.14, -0.0798], [0.14, 1.0, -0.07], [0.0, 0.0, 1.0]], (W, H)),
    "rotation": MatrixWarp(rotation_about(23.0, 31.5, 24.0) @ scaling(1.1, 1.1), (W, H)),
    "perspective": MatrixWarp(PERSPECTIVE, (W, H)),
    "grid": grid_for(rotation_about(-17.0, 32.0, 24.0), W, H),
    "crop-and-scale": MatrixWarp(scaling(1.5, 1.25) @ translation(-4.0, -2.0), (60, 50)),
}


def image_of(dtype, channels: int) -> np.ndarray:
    planes = [XS, YS] + [(XS + k * YS) % 50 for k in range(1, channels - 1)]
    image = np.stack(planes[:channels], axis=-1).astype(dtype)
    return image[:, :, 0] if channels == 1 else image


def source_of_image(resampler: Resampler, dtype, channels: int, border: int) -> np.ndarray:
    """(x, y) of the pixel each output pixel copied; a one-channel image is warped twice."""
    if channels == 1:
        x = resampler.image(XS.astype(dtype), interpolation=cv2.INTER_NEAREST, border_mode=border, fill=OUT)
        y = resampler.image(YS.astype(dtype), interpolation=cv2.INTER_NEAREST, border_mode=border, fill=OUT)
        return np.stack([x, y], axis=-1).astype(np.int64)
    fill = [OUT] * channels
    out = resampler.image(
        image_of(dtype, channels), interpolation=cv2.INTER_NEAREST, border_mode=border, fill=fill
    )
    return out[:, :, :2].astype(np.int64)


def source_of_labels(resampler: Resampler, dtype, border: int) -> np.ndarray:
    x = resampler.labels(XS.astype(dtype), fill=OUT, border_mode=border)
    y = resampler.labels(YS.astype(dtype), fill=OUT, border_mode=border)
    assert x.dtype == np.dtype(dtype)
    return np.stack([x, y], axis=-1).astype(np.int64)


def source_of_masks(resampler: Resampler) -> np.ndarray:
    """The coordinates' 12 bits as 12 boolean masks through ``mask_stack`` (packed 8 to a plane)."""
    bits = np.stack([(XS >> b) & 1 for b in range(6)] + [(YS >> b) & 1 for b in range(6)], axis=-1)
    warped = resampler.mask_stack(np.asfortranarray(bits.astype(bool))).astype(np.int64)
    x = sum(warped[:, :, b] << b for b in range(6))
    y = sum(warped[:, :, 6 + b] << b for b in range(6))
    return np.stack([x, y], axis=-1)


def reference(resampler: Resampler, border: int) -> np.ndarray:
    source = source_of_image(resampler, np.uint8, 3, border)
    assert (source < OUT).any() and len(np.unique(source[:, :, 0])) > W // 2  # the warp moved pixels
    return source


@pytest.mark.parametrize("border", BORDERS)
@pytest.mark.parametrize("name", list(WARPS))
def test_every_dtype_copies_the_pixel_the_rgb_image_copies(name, border):
    resampler = Resampler(WARPS[name])
    expected = reference(resampler, border)
    inside = (expected < OUT).all(-1)
    for dtype, channels in IMAGE_LAYOUTS:
        got = source_of_image(resampler, dtype, channels, border)
        assert np.array_equal(got, expected), f"{np.dtype(dtype).name} x {channels} image left the RGB image"
    for dtype in LABEL_DTYPES:
        got = source_of_labels(resampler, dtype, border)
        assert np.array_equal(got, expected), f"{np.dtype(dtype).name} labels left the RGB image"
    if border == cv2.BORDER_CONSTANT:  # masks are always filled with False outside
        got = source_of_masks(resampler)
        assert np.array_equal(got[inside], expected[inside]), "masks left the RGB image"
        assert (got[~inside] == 0).all()


def test_the_shear_samples_on_ties():
    """A hair either way picks other pixels in every fourth row: the test is about rounding."""
    nudged = []
    for dx in (-1e-3, 1e-3):
        warp = MatrixWarp(translation(dx, 0.0) @ WARPS["shear-ties"].matrix, (W, H))
        nudged.append(reference(Resampler(warp), cv2.BORDER_CONSTANT)[:, :, 0])
    moved_rows = np.nonzero((nudged[0] != nudged[1]).any(axis=1))[0]
    assert list(moved_rows) == list(range(0, H, 4))
