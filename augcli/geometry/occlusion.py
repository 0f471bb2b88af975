"""Labels under dropout: what happens to instances when pixels are covered.

The dropout op paints the covered pixels itself and passes the boolean
``covered`` map here. Per instance, the covered fraction of its shape (its
polygon rasterised, else its mask, else its box; pixels count when their
centre is inside) scales ``visibility`` by ``1 - fraction``, so successive
dropouts multiply:

- labelled keypoints (v > 0) on covered pixels become v = 1 (occluded),
  they are never deleted;
- masks lose the covered pixels and their boxes are re-derived tight;
- box-only instances keep their box, shrunk only where whole rows or
  columns at its sides are covered (the box of what is still visible);
- a polygon that a hole cuts into follows ``meta['polygon_holes']``, which
  the engine sets from what the writer can store: 'rle' turns the instance
  into an RLE mask without the covered pixels (its box re-derived), 'keep'
  (the default) keeps the polygon outlining the whole object, as COCO
  annotates occluded objects, and only lowers visibility;
- an instance whose whole shape is covered is dropped (reason 'occluded'),
  one whose visibility falls below ``policy.min_visibility`` is dropped
  (reason 'min_visibility') with all its columns.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.filtering import drop_instances
from augcli.geometry.polygons import polygon_bounds, polygon_to_mask, polygon_to_mask_in_box

POLYGON_HOLES = "polygon_holes"  # sample.meta key: 'rle' or 'keep'
POLYGON_HOLE_MODES = ("rle", "keep")
DEFAULT_POLYGON_HOLES = "keep"
_TOLERANCE = 1e-9


def polygon_hole_mode(meta: dict) -> str:
    mode = meta.get(POLYGON_HOLES, DEFAULT_POLYGON_HOLES)
    if mode not in POLYGON_HOLE_MODES:
        raise ValueError(f"meta[{POLYGON_HOLES!r}] must be one of {POLYGON_HOLE_MODES}, got {mode!r}")
    return mode


def apply_occlusion(sample: Sample, covered: np.ndarray, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
    """Update every label for the ``covered`` (H, W) pixels; the image is left as it is."""
    covered = np.asarray(covered, dtype=bool)
    if covered.shape != (sample.height, sample.width):
        raise ValueError(
            f"covered map {covered.shape} does not match the image {(sample.height, sample.width)}"
        )
    inst = sample.instances
    if len(inst) == 0 or not covered.any():
        return sample
    state = _Occluded(inst, covered, polygon_hole_mode(sample.meta))
    state.masks_lose_pixels()
    state.polygons_lose_area()
    state.boxes_lose_area()
    visibility = inst.visibility * (1.0 - state.fraction)
    updated = inst.replace(
        boxes=state.boxes,
        polygons=state.polygons,
        masks=state.masks,
        visibility=visibility,
        keypoints=occlude_keypoints(inst.keypoints, covered),
    )
    out = drop_instances(sample.replace(instances=updated), ~state.whole, "occluded")
    if policy.min_visibility > 0 and len(out.instances):
        keep = out.instances.visibility >= policy.min_visibility - _TOLERANCE
        out = drop_instances(out, keep, "min_visibility")
    return out


class _Occluded:
    """Per-instance results of one occlusion, filled in target by target."""

    def __init__(self, inst: Instances, covered: np.ndarray, polygon_holes: str):
        self.inst = inst
        self.covered = covered
        self.counter = _CoverCounter(covered)
        self.polygon_holes = polygon_holes
        n = len(inst)
        self.fraction = np.zeros(n)
        self.whole = np.zeros(n, dtype=bool)
        self.boxes = inst.boxes.copy()
        self.masks = list(inst.masks)
        self.polygons = list(inst.polygons)

    def _hit(self, i: int, hit: int, total: int) -> None:
        self.fraction[i] = hit / total
        self.whole[i] = hit == total

    def masks_lose_pixels(self) -> None:
        inst, covered = self.inst, self.covered
        rows = [
            i
            for i in range(len(inst))
            if not inst.polygons[i] and inst.masks[i] is not None and self.counter.touches(inst.boxes[i])
        ]
        if not rows:
            return
        height, width = covered.shape
        stack = rle.decode_many([inst.masks[i] for i in rows], height, width)
        hits = (stack & covered[:, :, None]).sum(axis=(0, 1))
        totals = stack.sum(axis=(0, 1))
        encoded = rle.encode_many(stack & ~covered[:, :, None])
        for k, i in enumerate(rows):
            if hits[k] == 0:
                continue
            self.masks[i] = encoded[k]
            self._hit(i, int(hits[k]), int(totals[k]))
            if not self.whole[i]:
                self.boxes[i] = rle.bounds(encoded[k])

    def polygons_lose_area(self) -> None:
        inst, covered = self.inst, self.covered
        height, width = covered.shape
        for i in range(len(inst)):
            if not inst.polygons[i]:
                continue
            window = self.counter.polygon_window(inst.polygons[i])
            if window is None:
                self._box_only(i)
                continue
            c0, r0, c1, r1 = window
            if self.counter.count(c0, r0, c1, r1) == 0:
                continue
            shape = polygon_to_mask_in_box(inst.polygons[i], c0, r0, c1 - c0, r1 - r0)
            total = int(np.count_nonzero(shape))
            if total == 0:  # a sliver without pixel centres: use its box
                self._box_only(i)
                continue
            hidden = shape & covered[r0:r1, c0:c1]
            hit = int(np.count_nonzero(hidden))
            if hit == 0:
                continue
            self._hit(i, hit, total)
            if self.polygon_holes == "rle" and not self.whole[i]:
                # rasterised in the full frame: pycocotools' polygon raster of a window
                # can differ by a pixel on edges that fall on half pixels
                left = polygon_to_mask(inst.polygons[i], height, width) & ~covered
                mask = rle.encode(left)
                self.polygons[i], self.masks[i] = None, mask
                self.boxes[i] = rle.bounds(mask)

    def boxes_lose_area(self) -> None:
        inst = self.inst
        for i in range(len(inst)):
            if not inst.polygons[i] and inst.masks[i] is None:
                self._box_only(i)

    def _box_only(self, i: int) -> None:
        """Visibility from the box's pixels; the box shrinks past fully covered side rows/columns."""
        box = self.inst.boxes[i]
        c0, r0, c1, r1 = self.counter.box_window(box)
        total = (c1 - c0) * (r1 - r0)
        hit = self.counter.count(c0, r0, c1, r1) if total else 0
        if hit == 0:
            return
        self._hit(i, hit, total)
        if self.whole[i] or self.inst.polygons[i]:
            return  # a polygon keeps the box that holds it
        sub = self.covered[r0:r1, c0:c1]
        open_cols = np.flatnonzero(~sub.all(axis=0))
        open_rows = np.flatnonzero(~sub.all(axis=1))
        x1, y1, x2, y2 = (float(v) for v in box)
        if open_cols[0] > 0:
            x1 = float(c0 + open_cols[0])
        if open_cols[-1] < c1 - c0 - 1:
            x2 = float(c0 + open_cols[-1] + 1)
        if open_rows[0] > 0:
            y1 = float(r0 + open_rows[0])
        if open_rows[-1] < r1 - r0 - 1:
            y2 = float(r0 + open_rows[-1] + 1)
        self.boxes[i] = (x1, y1, x2, y2)


def occlude_keypoints(keypoints: np.ndarray | None, covered: np.ndarray) -> np.ndarray | None:
    """Labelled keypoints whose pixel is covered become v = 1; nothing else changes."""
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


def instance_region(instances: Instances, i: int, height: int, width: int) -> np.ndarray:
    """Boolean (H, W) map of the pixels instance ``i`` covers: polygon, else mask, else box
    (pixels whose centre is inside; a box too thin for a centre gives the pixels it touches)."""
    region = np.zeros((height, width), dtype=bool)
    polygon, mask = instances.polygons[i], instances.masks[i]
    windows = _Window(height, width)
    if polygon:
        window = windows.polygon_window(polygon)
        if window is not None:
            c0, r0, c1, r1 = window
            region[r0:r1, c0:c1] = polygon_to_mask_in_box(polygon, c0, r0, c1 - c0, r1 - r0)
            if region.any():
                return region
    elif mask is not None:
        return rle.decode(mask)
    return box_region(instances.boxes[i], height, width)


def box_region(box: np.ndarray, height: int, width: int) -> np.ndarray:
    """Boolean (H, W) map of the pixels whose centre is in ``box`` (the pixels it touches
    when it is too thin for a centre)."""
    region = np.zeros((height, width), dtype=bool)
    c0, r0, c1, r1 = _Window(height, width).box_window(box)
    region[r0:r1, c0:c1] = True
    return region


class _Window:
    """Pixel windows of boxes and polygons on an (H, W) canvas."""

    def __init__(self, height: int, width: int):
        self.height, self.width = height, width

    def window(self, box: np.ndarray, centres: bool) -> tuple[int, int, int, int]:
        """Pixel window of a box: pixels whose centre is inside, or (centres=False) that it touches."""
        x0, y0, x1, y1 = (float(v) for v in box)
        if not all(map(math.isfinite, (x0, y0, x1, y1))):
            return 0, 0, 0, 0
        if centres:
            c0, r0 = math.ceil(x0 - 0.5), math.ceil(y0 - 0.5)
            c1, r1 = math.floor(x1 - 0.5) + 1, math.floor(y1 - 0.5) + 1
        else:
            c0, r0 = math.floor(x0), math.floor(y0)
            c1, r1 = math.ceil(x1), math.ceil(y1)
        c0, c1 = max(c0, 0), min(c1, self.width)
        r0, r1 = max(r0, 0), min(r1, self.height)
        return c0, r0, max(c1, c0), max(r1, r0)

    def box_window(self, box: np.ndarray) -> tuple[int, int, int, int]:
        """Pixels whose centre is in the box; a box too thin for any centre uses the pixels it touches."""
        c0, r0, c1, r1 = self.window(box, centres=True)
        if c1 <= c0 or r1 <= r0:
            c0, r0, c1, r1 = self.window(box, centres=False)
        return c0, r0, c1, r1

    def polygon_window(self, polygon: list) -> tuple[int, int, int, int] | None:
        bounds = polygon_bounds(polygon)
        if bounds is None:
            return None
        c0, r0, c1, r1 = self.window(bounds, centres=False)
        return None if c1 <= c0 or r1 <= r0 else (c0, r0, c1, r1)


class _CoverCounter(_Window):
    """Counts covered pixels in windows with a summed-area table."""

    def __init__(self, covered: np.ndarray):
        super().__init__(*covered.shape)
        self.table = cv2.integral(np.ascontiguousarray(covered).view(np.uint8), sdepth=cv2.CV_32S)

    def count(self, c0: int, r0: int, c1: int, r1: int) -> int:
        """Covered pixels in columns [c0, c1) and rows [r0, r1), already clamped."""
        t = self.table
        return int(t[r1, c1] - t[r0, c1] - t[r1, c0] + t[r0, c0])

    def touches(self, box: np.ndarray) -> bool:
        if not np.isfinite(box).all():
            return True
        return self.count(*self.window(box, centres=False)) > 0
