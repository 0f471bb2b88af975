"""The sun of RandomSunFlare as rings: which ring each pixel's distance falls in, and the
blend towards the sun's colour by ring, byte for byte what the per-pixel float code gives.

Both fast paths work on 8-bit rings (at most 254 radii), the blend on uint8 images; other
inputs take the plain numpy path, with the same result.
"""

from __future__ import annotations

import cv2
import numpy as np

from augcli.transforms.pixel.support import blend_field

MAX_RINGS = 254  # ring numbers 0..count, and one more for an estimate, fit in a byte
SHRT_MAX = 32767  # cv2.remap's limit on the size of its images


def ring_index(radii: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """``np.searchsorted(radii, dist, side="left")`` (how many radii lie below each
    distance) for ascending, evenly spaced radii: an estimate from one scaling, off by at
    most one, then both neighbours compared exactly as searchsorted compares."""
    count = len(radii)
    step = (radii[-1] - radii[0]) / (count - 1) if count > 1 else 0.0
    dist = np.asarray(dist, dtype=np.float32)
    if not step > 0 or not np.isfinite(dist).all():
        return np.searchsorted(radii, dist, side="left")
    if count <= MAX_RINGS and radii[0] / step <= 0.5 and dist.ndim <= 2:
        return _ring_index_8bit(radii, step, dist)
    estimate = dist - np.float32(radii[0])
    estimate *= np.float32(1.0 / step)
    np.ceil(estimate, out=estimate)
    np.clip(estimate, 0, count, out=estimate)
    index = estimate.astype(np.intp)
    above = np.append(radii, np.inf)  # above[i] is radii[i]
    below = np.concatenate([[-np.inf], radii])  # below[i] is radii[i - 1]
    index += np.take(above, index) < dist  # radii[index] still below d: one more
    index -= np.take(below, index) >= dist  # radii[index - 1] not below d: one fewer
    return index


def _ring_index_8bit(radii: np.ndarray, step: float, dist: np.ndarray) -> np.ndarray:
    """``ring_index`` as a uint8 array: the estimate rounded by OpenCV, each neighbour
    radius looked up with cv2.LUT as the float32 that compares with a float32 distance
    as the float64 radius does."""
    shape, count = dist.shape, len(radii)
    dist = dist.reshape(dist.shape[0] if dist.ndim else 1, -1)
    # round((d - r0) / step + 0.5): the ceil of (d - r0) / step give or take one; the
    # absolute value convertScaleAbs takes never matters, r0 / step being <= 0.5
    index = cv2.convertScaleAbs(dist, alpha=1.0 / step, beta=0.5 - radii[0] / step)
    np.minimum(index, count, out=index)
    exact = _largest_float32_not_above(radii)  # r < d exactly when exact(r) < d, for f32 d
    above = np.full(256, np.inf, np.float32)
    above[:count] = exact  # above[i] is radii[i]
    below = np.full(256, np.inf, np.float32)
    below[0], below[1 : count + 1] = -np.inf, exact  # below[i] is radii[i - 1]
    index += cv2.LUT(index, above) < dist  # radii[index] still below d: one more
    index -= cv2.LUT(index, below) >= dist  # radii[index - 1] not below d: one fewer
    return index.reshape(shape)


def _largest_float32_not_above(values: np.ndarray) -> np.ndarray:
    rounded = values.astype(np.float32)
    return np.where(rounded > values, np.nextafter(rounded, np.float32(-np.inf)), rounded)


def blend_rings(colour: np.ndarray, target: tuple, ring: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """``blend_field(colour, target, cover[ring])``: towards the colour ``target`` by the
    float32 weight of each pixel's ring.

    For uint8 an output byte depends only on (ring, channel, input byte), so the blend
    runs once per such triple, into a table ``blend_field``'s own float32 operations
    fill, and cv2.remap looks every pixel up in it (nearest, integer maps: exact).
    """
    height, width = colour.shape[:2]
    channels = 1 if colour.ndim == 2 else colour.shape[2]
    rows = len(cover) * channels
    too_big = max(height, width * channels, rows) >= SHRT_MAX
    if colour.dtype != np.uint8 or len(cover) > MAX_RINGS + 1 or too_big:
        return blend_field(colour, target, cover[ring])
    table = _ring_table(target, cover, colour.ndim, channels)
    where = np.empty((height, width, channels, 2), np.int16)  # (x, y) = (input byte, ring row)
    where[..., 0] = colour.reshape(height, width, channels)
    first_row = ring.astype(np.int16) * np.int16(channels)
    for c in range(channels):
        np.add(first_row, np.int16(c), out=where[:, :, c, 1])
    out = cv2.remap(table, where.reshape(height, width * channels, 2), None, cv2.INTER_NEAREST)
    return out.reshape(colour.shape)


def _ring_table(target: tuple, cover: np.ndarray, ndim: int, channels: int) -> np.ndarray:
    """Row ``ring * channels + c``, column ``v``: channel c of a pixel of value v in that
    ring after ``blend_field``, which computes it here on a (ring, value) image."""
    values = np.arange(256, dtype=np.uint8)
    shape = (len(cover), 256) if ndim == 2 else (len(cover), 256, channels)
    grid = np.ascontiguousarray(np.broadcast_to(values[:, None] if ndim == 3 else values, shape))
    weight = np.ascontiguousarray(np.broadcast_to(cover[:, None], (len(cover), 256)))
    blended = blend_field(grid, target, weight).reshape(len(cover), 256, channels)
    return np.ascontiguousarray(blended.transpose(0, 2, 1).reshape(len(cover) * channels, 256))
