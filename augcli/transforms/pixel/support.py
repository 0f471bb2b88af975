"""Building blocks of the catalogue's colour, weather and corruption ops.

``ColourOp`` handles image layouts once: it splits off alpha, hands the
colour channels (``(H, W)`` or ``(H, W, C)``, contiguous) to
``apply_colour`` and puts the result back in the input's shape. The field
helpers multiply or blend an image with per-pixel float32 fields using
OpenCV's saturating arithmetic, so uint8 and uint16 need no float copy of
the whole image.
"""

from __future__ import annotations

import cv2
import numpy as np

from augcli.transforms.base import PixelOp
from augcli.transforms.params import INTERPOLATION_NAMES, Param
from augcli.transforms.pixel.imageops import (
    join_alpha,
    keep_shape,
    max_value,
    num_channels,
    split_alpha,
)

INTERPOLATIONS = (0, 1, 2, 3, 4)  # cv2.INTER_NEAREST, LINEAR, CUBIC, AREA, LANCZOS4


def interpolation_param(default: int = 1, name: str = "interpolation", what: str = "resampling") -> Param:
    return Param(
        name,
        "choice",
        default,
        f"OpenCV interpolation flag for the {what} (0 nearest, 1 linear, 2 cubic, 3 area, 4 lanczos4), "
        "by number or name",
        choices=INTERPOLATIONS,
        names=INTERPOLATION_NAMES,
    )


class ColourOp(PixelOp):
    """A pixel op that changes colour channels only; alpha passes through untouched."""

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        raise NotImplementedError

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        maxv = max_value(image)
        colour, alpha = split_alpha(image)
        out = self.apply_colour(np.ascontiguousarray(colour), maxv)
        return join_alpha(keep_shape(out, colour), alpha)


def seeded(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def depth_of(image: np.ndarray) -> int:
    return cv2.CV_8U if image.dtype == np.uint8 else cv2.CV_16U


def per_channel(field: np.ndarray, like: np.ndarray) -> np.ndarray:
    """An (H, W) field repeated over ``like``'s channels (OpenCV wants equal shapes)."""
    channels = num_channels(like)
    if like.ndim == 2 or channels == 1:
        return field.reshape(like.shape)
    if channels <= 4:
        return cv2.merge([field] * channels)
    return np.repeat(field[..., None], channels, axis=2)


def multiply_field(colour: np.ndarray, field: np.ndarray) -> np.ndarray:
    """colour * field (an (H, W) or same-shape float32 field), rounded and saturated."""
    if field.shape != colour.shape:
        field = per_channel(field, colour)
    return cv2.multiply(colour, field, dtype=depth_of(colour))


def add_field(colour: np.ndarray, field: np.ndarray) -> np.ndarray:
    """colour + field (float32, image units), rounded and saturated."""
    if field.shape != colour.shape:
        field = per_channel(field, colour)
    return cv2.add(colour, field, dtype=depth_of(colour))


def blend_field(colour: np.ndarray, target, weight: np.ndarray) -> np.ndarray:
    """(1 - w) * colour + w * target, with w an (H, W) float32 field in [0, 1].

    ``target`` is a same-shape image, or a colour (one number per channel).
    """
    maxv = max_value(colour)
    src = colour.astype(np.float32)
    if np.isscalar(target) or isinstance(target, (tuple, list)):
        values = np.broadcast_to(np.asarray(target, np.float32), (num_channels(colour),))
        out = np.subtract(values if colour.ndim == 3 else values[0], src)  # broadcast: no target image
    else:
        out = np.subtract(target.astype(np.float32, copy=False), src)
    # the same float32 operations OpenCV did, in place and with the weight broadcast (not merged)
    weight = np.asarray(weight, dtype=np.float32)
    out *= weight if colour.ndim == 2 else weight.reshape(weight.shape[:2] + (1,))
    out += src
    return to_image(out, colour.dtype, maxv)


def to_float(colour: np.ndarray, maxv: int) -> np.ndarray:
    """float32 copy scaled to [0, 1]."""
    return colour.astype(np.float32) * np.float32(1.0 / maxv)


def to_image(values: np.ndarray, dtype: np.dtype, maxv: int, scale: float = 1.0) -> np.ndarray:
    """float32 values * scale, rounded and saturated to the dtype in one OpenCV pass."""
    depth = cv2.CV_8U if np.dtype(dtype) == np.uint8 else cv2.CV_16U
    # addWeighted scales every channel (a scalar multiply would touch channel 0 only).
    return cv2.addWeighted(values, float(scale), values, 0.0, 0.0, dtype=depth)


def rgb_only(colour: np.ndarray) -> bool:
    return colour.ndim == 3 and colour.shape[2] == 3


def grey_view(colour: np.ndarray) -> np.ndarray:
    """Single-channel colour as (H, W)."""
    return colour.reshape(colour.shape[:2])


def plasma(
    height: int, width: int, roughness: float, rng: np.random.Generator, size: int = 256
) -> np.ndarray:
    """A (height, width) float32 diamond-square fractal in [0, 1].

    Built on a ``2**k + 1`` square grid with ``2**k >= size`` and resized to
    cover the image (cropped to keep it isotropic). The noise amplitude
    shrinks by ``1 + 1 / roughness`` per octave: higher roughness keeps more
    fine detail.
    """
    side = 1 << max(1, int(np.ceil(np.log2(max(2, size)))))
    grid = np.zeros((side + 1, side + 1), np.float32)
    grid[::side, ::side] = rng.uniform(-1.0, 1.0, (2, 2))
    decay = 1.0 + 1.0 / max(roughness, 1e-3)
    amplitude, step = 1.0, side
    while step > 1:
        half = step // 2
        _diamond(grid, step, half, amplitude, rng)
        _square(grid, half, amplitude, rng)
        amplitude /= decay
        step = half
    longest = max(height, width)
    field = cv2.resize(grid, (longest, longest), interpolation=cv2.INTER_LINEAR)[:height, :width]
    return cv2.normalize(field, None, 0.0, 1.0, cv2.NORM_MINMAX, dtype=cv2.CV_32F)


def _diamond(grid: np.ndarray, step: int, half: int, amplitude: float, rng) -> None:
    corners = grid[::step, ::step]
    mean = (corners[:-1, :-1] + corners[:-1, 1:] + corners[1:, :-1] + corners[1:, 1:]) * 0.25
    grid[half::step, half::step] = mean + amplitude * rng.uniform(-1, 1, mean.shape).astype(np.float32)


def _square(grid: np.ndarray, half: int, amplitude: float, rng) -> None:
    # On the lattice of spacing ``half``, points with odd (row + col) are the
    # unknown edge midpoints; each averages its in-bounds 4-neighbours.
    lattice = grid[::half, ::half]
    rows, cols = lattice.shape
    padded = np.pad(lattice, 1)
    ones = np.pad(np.ones_like(lattice), 1)
    total = padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
    count = ones[:-2, 1:-1] + ones[2:, 1:-1] + ones[1:-1, :-2] + ones[1:-1, 2:]
    odd = (np.add.outer(np.arange(rows), np.arange(cols)) % 2) == 1
    noise = amplitude * rng.uniform(-1, 1, int(odd.sum())).astype(np.float32)
    lattice[odd] = total[odd] / count[odd] + noise  # a view: writes into grid


def odd_at_least(value: float, minimum: int = 3) -> int:
    """The odd integer nearest above ``value``, at least ``minimum``."""
    k = max(minimum, int(np.ceil(value)))
    return k if k % 2 == 1 else k + 1
