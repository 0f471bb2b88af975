"""Pixel masks -> polygons that rasterise back to the same pixels.

The mask is doubled (every pixel becomes 2 x 2 sub-pixels) and
``cv2.findContours`` follows the outer sub-pixel centres. Back in continuous
coordinates the outline runs a quarter pixel inside the mask's outer pixel
edges and cuts concave corners a quarter pixel from them, so every mask pixel
centre is inside (by at least 1/4 px, more than pycocotools' 1/5 px rounding)
and every other centre outside (by at least 1/4 px): rasterising the rings by
pixel centres gives the mask again.

Each 8-connected part is one ring. COCO polygon parts are unions and cannot
cut holes, so a hole (a fold can open one) is spliced into its part's ring
through a zero-width bridge traversed both ways: by the even-odd rule that
every polygon rasteriser applies within a ring, the bridge cancels and the
hole stays empty.
"""

from __future__ import annotations

import cv2
import numpy as np


def mask_to_rings(mask: np.ndarray, x0: int = 0, y0: int = 0) -> list[np.ndarray]:
    """One ring per 8-connected part of a boolean mask (holes spliced in), largest first,
    offset by (x0, y0) pixels."""
    pixels = np.asarray(mask, dtype=np.uint8)
    if not pixels.any():
        return []
    doubled = np.repeat(np.repeat(pixels, 2, axis=0), 2, axis=1)
    contours, hierarchy = cv2.findContours(doubled, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    offset = np.array([x0, y0], dtype=np.float64)
    rings = [(c.reshape(-1, 2).astype(np.float64) + 0.5) / 2.0 + offset for c in contours]
    parents = hierarchy.reshape(-1, 4)[:, 3]
    out = []
    for k, ring in enumerate(rings):
        if parents[k] >= 0:
            continue  # a hole: spliced into its part below
        if len(ring) < 3:  # a straight run of sub-pixels: widen it to a sliver around its centres
            ring = _sliver(ring)
        for hole in (rings[h] for h in np.flatnonzero(parents == k)):
            ring = _splice(ring, hole)
        out.append(ring)
    out.sort(key=lambda r: -abs(_twice_area(r)))
    return out


def _splice(ring: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``ring`` with ``hole`` inserted through a bridge between their closest vertices."""
    dist = ((ring[:, None, :] - hole[None, :, :]) ** 2).sum(axis=2)
    i, j = np.unravel_index(int(dist.argmin()), dist.shape)
    around = np.concatenate([hole[j:], hole[: j + 1]])
    return np.concatenate([ring[: i + 1], around, ring[i:]])


def _sliver(points: np.ndarray) -> np.ndarray:
    """A thin rectangle around one or two sub-pixel centres (a 1-pixel dot or line)."""
    lo, hi = points.min(axis=0) - 0.25, points.max(axis=0) + 0.25
    return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])


def _twice_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
