"""Instances painted into one label map (VOC SegmentationClass/Object, mask folders).

A pixel holds one value, so overlapping instances compete for it. They are
painted from the largest area to the smallest (equal areas in file order),
so a small object drawn on a large one (a window on a facade) stays
visible instead of being erased by it. ``owner_map`` says which instance
owns each pixel and counts what the others lost: ``overlap_pixels_lost``
(pixels of any instance painted over) and ``overlap_mostly_hidden``
(non-crowd instances that lost more than half of their pixels).
"""

from __future__ import annotations

import numpy as np

from augcli.core.sample import Instances
from augcli.formats.convert.losses import Losses
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_to_mask

NOBODY = -1


def owner_map(inst: Instances, height: int, width: int, losses: Losses | None = None) -> np.ndarray:
    """(H, W) int32: the row of the instance painted on each pixel, ``NOBODY`` elsewhere."""
    owner = np.full((height, width), NOBODY, dtype=np.int32)
    shaped = list(shapes(inst, height, width))
    if not shaped:
        return owner
    areas = np.array([int(np.count_nonzero(pixels)) for _, pixels in shaped], dtype=np.int64)
    for k in sorted(range(len(shaped)), key=lambda k: -areas[k]):
        row, pixels = shaped[k]
        owner[pixels] = row
    if losses is not None:
        rows = np.array([row for row, _ in shaped], dtype=np.int64)
        kept = np.bincount(owner[owner >= 0].ravel(), minlength=len(inst))[rows]
        lost = areas - kept
        losses["overlap_pixels_lost"] += int(lost.sum())
        hidden = (lost * 2 > areas) & ~np.asarray(inst.crowd, dtype=bool)[rows]
        losses["overlap_mostly_hidden"] += int(np.count_nonzero(hidden))
    return owner


def paint(owner: np.ndarray, values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` with ``values[row]`` on every pixel that instance ``row`` owns."""
    painted = owner >= 0
    out[painted] = np.asarray(values)[owner[painted]]
    return out


def shapes(inst: Instances, height: int, width: int):
    """(row, boolean pixels) of every instance with a polygon or a mask."""
    for row in range(len(inst)):
        if inst.masks[row] is not None:
            yield row, rle.decode(inst.masks[row])
        elif inst.polygons[row]:
            yield row, polygon_to_mask(inst.polygons[row], height, width)
