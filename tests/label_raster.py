"""Independent rasters for checking labels against pixels (shared by the alignment tests)."""

from __future__ import annotations

import numpy as np


def rasterise(rings, height: int, width: int) -> np.ndarray:
    """Pixels whose centres lie inside any ring (even-odd rule): an exact, independent raster."""
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    inside = np.zeros((height, width), bool)
    for ring in rings or []:
        ring = np.asarray(ring, float)
        odd = np.zeros((height, width), bool)
        for (x1, y1), (x2, y2) in zip(ring, np.roll(ring, -1, axis=0)):
            if y1 == y2:
                continue
            crosses = (y1 > ys) != (y2 > ys)
            x_at = x1 + (ys - y1) * (x2 - x1) / (y2 - y1)
            odd ^= crosses & (xs < x_at)
        inside |= odd
    return inside


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = np.count_nonzero(np.logical_or(a, b))
    return float(np.count_nonzero(np.logical_and(a, b)) / union) if union else 1.0
