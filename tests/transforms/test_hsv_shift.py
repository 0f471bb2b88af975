"""uint8 HueSaturationValue's fast paths write the pixels of its 3-channel look-up table.

``color.shift_hsv`` adds whole S/V steps with one saturating ``cv2.add`` and shifts hue
through a single-channel table; for every shift (random, zero, and next to half-integer
rounding boundaries) the result must equal the table ``clip(rint(x + shift))`` per channel.
"""

from __future__ import annotations

import cv2
import numpy as np

from augcli.transforms.pixel.color import shift_hsv

# every (R, G, B) step of 8, so every hue, saturation and value bucket is hit
_GRID = np.stack(np.meshgrid(*[np.arange(0, 256, 8, dtype=np.uint8)] * 3, indexing="ij"), axis=-1)
IMAGE = np.ascontiguousarray(_GRID.reshape(64, 512, 3))


def table_shift(colour: np.ndarray, hue: float, sat: float, val: float) -> np.ndarray:
    """The reference: RGB -> HSV, one 3-channel table, HSV -> RGB."""
    x = np.arange(256, dtype=np.float64)
    luts = np.stack(
        [
            np.mod(np.rint(x + hue), 180.0).astype(np.uint8),
            np.clip(np.rint(x + sat), 0, 255).astype(np.uint8),
            np.clip(np.rint(x + val), 0, 255).astype(np.uint8),
        ],
        axis=1,
    )
    hsv = cv2.LUT(cv2.cvtColor(colour, cv2.COLOR_RGB2HSV), np.ascontiguousarray(luts).reshape(1, 256, 3))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def shifts() -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(15)
    out = [tuple(float(v) for v in rng.uniform(-40, 40, 3)) for _ in range(60)]
    out += [(0.0, 0.0, 0.0), (5.0, 0.0, 0.0), (0.0, -255.0, 0.0), (0.0, 0.0, 300.0), (-3.0, 12.0, -7.0)]
    for half in (0.5, -0.5, 2.5, -13.5):  # rint rounds half to even: not a whole step
        for v in (half, float(np.nextafter(half, 1e9)), float(np.nextafter(half, -1e9))):
            out += [(v, v, 0.0), (0.0, 3.0, v), (1.0, v, v)]
    out += [(0.0, 1.0 + 0.49999999999999994, 0.0)]  # x + s rounds up to a half for some x
    return out


def test_fast_paths_equal_the_three_channel_table():
    for hue, sat, val in shifts():
        assert np.array_equal(shift_hsv(IMAGE, hue, sat, val), table_shift(IMAGE, hue, sat, val)), (
            hue,
            sat,
            val,
        )
