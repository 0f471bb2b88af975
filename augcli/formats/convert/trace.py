"""Masks -> polygons, for formats that only store polygons (YOLO segment).

The outline is traced through pixel corners, not pixel centres: a grid of
the (H + 1) x (W + 1) corners marks every corner of a mask pixel, and
``cv2.findContours`` follows that grid's border. Corner ``(row i, col j)``
is the continuous point ``(j, i)``, so a rectangle of pixels comes back as
exactly its rectangle. The tracer cuts concave corners diagonally (half a
pixel square each); holes are not traced (outer contours only).
"""

from __future__ import annotations

import cv2
import numpy as np

from augcli.geometry import rle


def mask_to_rings(mask: dict) -> list[np.ndarray]:
    """Outer rings of a COCO RLE mask, largest first, in continuous coordinates."""
    pixels = rle.decode(mask)
    height, width = pixels.shape
    corners = np.zeros((height + 1, width + 1), dtype=np.uint8)
    for dy in (0, 1):
        for dx in (0, 1):
            corners[dy : dy + height, dx : dx + width] |= pixels
    contours, _ = cv2.findContours(corners, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rings = [c.reshape(-1, 2).astype(np.float64) for c in contours if len(c) >= 3]
    rings.sort(key=lambda r: -abs(_area(r)))
    return rings


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
