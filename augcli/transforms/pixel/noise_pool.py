"""Noise from pooled tables: seeded windows of a fixed table instead of fresh draws.

Drawing a full-image field of normal (or uniform) values costs more than the
rest of a noise op together. Each process instead builds, once, a table of
``POOL_SIZE`` draws from a fixed seed (the same table in every worker, so
outputs still depend only on the op's seed), and an op reads its field as
windows of that table: one window per ``WINDOW`` values of the field, each at
an offset drawn from the op's seed. Every value is still a draw of the
right distribution, values within a window are independent draws, and two
seeds (two copies) read unrelated offsets; what is given up is freshness:
the same table values recur, shifted, in other windows, images and copies.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import cv2
import numpy as np

POOL_SIZE = 1 << 21  # values per table: 8 MiB of float32 normals, 4 MiB of uint16 uniforms
POOL_SEED = 0x617567  # fixed, so every process holds the same tables
WINDOW = 1 << 17  # values per window (68 rows of a 640-pixel RGB image)


@functools.cache
def normal_pool() -> np.ndarray:
    """``POOL_SIZE`` float32 N(0, 1) draws, read-only."""
    pool = np.empty(POOL_SIZE, np.float32)
    # OpenCV's generator is several times faster than numpy's normal sampler; it is
    # reseeded right here, so the table depends on POOL_SEED alone
    cv2.setRNGSeed(POOL_SEED)
    cv2.randn(pool, 0.0, 1.0)
    pool.flags.writeable = False
    return pool


@functools.cache
def uniform16_pool() -> np.ndarray:
    """``POOL_SIZE`` uint16 draws uniform on 0..65535, read-only."""
    pool = np.random.default_rng(POOL_SEED + 1).integers(0, 1 << 16, POOL_SIZE, dtype=np.uint16)
    pool.flags.writeable = False
    return pool


def windows(count: int, seed: int) -> Iterator[tuple[int, int, int]]:
    """``(start, stop, offset)`` per window of a flat field of ``count`` values:
    values ``start:stop`` are ``pool[offset : offset + stop - start]``."""
    rng = np.random.default_rng(seed)
    for start in range(0, count, WINDOW):
        stop = min(count, start + WINDOW)
        yield start, stop, int(rng.integers(0, POOL_SIZE - (stop - start) + 1))


def pooled_field(pool: np.ndarray, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A field of ``shape`` read from ``pool`` in seeded windows (a copy)."""
    count = int(np.prod(shape, dtype=np.int64))
    out = np.empty(count, pool.dtype)
    for start, stop, offset in windows(count, seed):
        out[start:stop] = pool[offset : offset + stop - start]
    return out.reshape(shape)


def add_normal(image: np.ndarray, std: float, mean: float, seed: int) -> np.ndarray:
    """``saturate(image + mean + std * N(0, 1))`` per value, for a uint8 or uint16 array:
    one weighted add per window of the normal pool, no field built."""
    flat = np.ascontiguousarray(image).reshape(-1)
    out = np.empty_like(flat)
    depth = cv2.CV_8U if image.dtype == np.uint8 else cv2.CV_16U
    pool = normal_pool()
    for start, stop, offset in windows(flat.size, seed):
        noise = pool[offset : offset + stop - start]
        cv2.addWeighted(flat[start:stop], 1.0, noise, std, mean, dst=out[start:stop], dtype=depth)
    return out.reshape(image.shape)
