"""Labels under dropout: what happens to instances when pixels are covered.

The dropout op paints the covered pixels itself and passes the boolean
``covered`` map here. Per instance, the covered fraction of its shape (its
polygon rasterised, else its mask, else its box; pixels count when their
centre is inside) scales ``visibility`` by ``1 - fraction``:

- labelled keypoints (v > 0) on covered pixels become v = 1 (occluded),
  they are never deleted;
- masks lose the covered pixels and their boxes are re-derived tight;
- polygons stay as they are: holes are not cut into polygons (yet), so a
  polygon still outlines the whole object, as COCO annotates occluded
  objects;
- an instance whose whole shape is covered is dropped (reason 'occluded').
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from augcli.core.sample import Sample
from augcli.geometry import rle
from augcli.geometry.filtering import drop_instances
from augcli.geometry.polygons import polygon_bounds, polygon_to_mask_in_box


def apply_occlusion(sample: Sample, covered: np.ndarray) -> Sample:
    """Update every label for the ``covered`` (H, W) pixels; the image is left as it is."""
    covered = np.asarray(covered, dtype=bool)
    if covered.shape != (sample.height, sample.width):
        raise ValueError(f"covered map {covered.shape} does not match the image "
                         f"{(sample.height, sample.width)}")
    inst = sample.instances
    if len(inst) == 0 or not covered.any():
        return sample
    counter = _CoverCounter(covered)
    n = len(inst)
    fraction = np.zeros(n)
    whole = np.zeros(n, dtype=bool)
    boxes = inst.boxes.copy()
    masks = list(inst.masks)

    mask_rows = [i for i in range(n) if not inst.polygons[i] and inst.masks[i] is not None
                 and counter.touches(inst.boxes[i])]
    if mask_rows:
        stack = rle.decode_many([inst.masks[i] for i in mask_rows], sample.height, sample.width)
        hits = (stack & covered[:, :, None]).sum(axis=(0, 1))
        totals = stack.sum(axis=(0, 1))
        encoded = rle.encode_many(stack & ~covered[:, :, None])
        for k, i in enumerate(mask_rows):
            if hits[k] == 0:
                continue
            masks[i] = encoded[k]
            fraction[i] = hits[k] / totals[k]
            whole[i] = hits[k] == totals[k]
            if not whole[i]:
                boxes[i] = rle.bounds(encoded[k])

    for i in range(n):
        if inst.polygons[i] and counter.touches(inst.boxes[i]):
            hit, total = counter.in_polygon(inst.polygons[i])
            if total == 0:
                hit, total = counter.in_box(inst.boxes[i])
        elif not inst.polygons[i] and inst.masks[i] is None:
            hit, total = counter.in_box(inst.boxes[i])
        else:
            continue
        if total > 0 and hit > 0:
            fraction[i] = hit / total
            whole[i] = hit == total

    visibility = inst.visibility * (1.0 - fraction)
    keypoints = _occlude_keypoints(inst.keypoints, covered)
    updated = inst.replace(boxes=boxes, masks=masks, visibility=visibility, keypoints=keypoints)
    return drop_instances(sample.replace(instances=updated), ~whole, "occluded")


def _occlude_keypoints(keypoints: np.ndarray | None, covered: np.ndarray) -> np.ndarray | None:
    if keypoints is None:
        return None
    out = keypoints.copy()
    labeled = out[:, :, 2] > 0
    if not labeled.any():
        return out
    height, width = covered.shape
    cols = np.clip(np.floor(out[:, :, 0]), 0, width - 1).astype(np.int64)
    rows = np.clip(np.floor(out[:, :, 1]), 0, height - 1).astype(np.int64)
    hidden = labeled & covered[rows, cols]
    out[:, :, 2][hidden] = 1
    return out


class _CoverCounter:
    """Counts covered pixels inside boxes (summed-area table) and polygons (rasterised windows)."""

    def __init__(self, covered: np.ndarray):
        self.covered = covered
        self.height, self.width = covered.shape
        self.table = cv2.integral(np.ascontiguousarray(covered).view(np.uint8), sdepth=cv2.CV_32S)

    def _count(self, c0: int, r0: int, c1: int, r1: int) -> int:
        """Covered pixels in columns [c0, c1) and rows [r0, r1), already clamped."""
        t = self.table
        return int(t[r1, c1] - t[r0, c1] - t[r1, c0] + t[r0, c0])

    def _window(self, box: np.ndarray, centres: bool) -> tuple[int, int, int, int]:
        """Pixel window of a box: pixels whose centre is inside, or (centres=False) that it touches."""
        x0, y0, x1, y1 = (float(v) for v in box)
        if centres:
            c0, r0 = math.ceil(x0 - 0.5), math.ceil(y0 - 0.5)
            c1, r1 = math.floor(x1 - 0.5) + 1, math.floor(y1 - 0.5) + 1
        else:
            c0, r0 = math.floor(x0), math.floor(y0)
            c1, r1 = math.ceil(x1), math.ceil(y1)
        c0, c1 = max(c0, 0), min(c1, self.width)
        r0, r1 = max(r0, 0), min(r1, self.height)
        return c0, r0, max(c1, c0), max(r1, r0)

    def touches(self, box: np.ndarray) -> bool:
        if not np.isfinite(box).all():
            return True
        return self._count(*self._window(box, centres=False)) > 0

    def in_box(self, box: np.ndarray) -> tuple[int, int]:
        """(covered, total) pixels of a box; a box too thin to hold a pixel centre uses the pixels it touches."""
        c0, r0, c1, r1 = self._window(box, centres=True)
        if c1 <= c0 or r1 <= r0:
            c0, r0, c1, r1 = self._window(box, centres=False)
        return self._count(c0, r0, c1, r1), (c1 - c0) * (r1 - r0)

    def in_polygon(self, polygon: list) -> tuple[int, int]:
        bounds = polygon_bounds(polygon)
        if bounds is None:
            return 0, 0
        c0, r0, c1, r1 = self._window(bounds, centres=False)
        if c1 <= c0 or r1 <= r0:
            return 0, 0
        shape = polygon_to_mask_in_box(polygon, c0, r0, c1 - c0, r1 - r0)
        hit = int(np.count_nonzero(shape & self.covered[r0:r1, c0:c1]))
        return hit, int(np.count_nonzero(shape))
