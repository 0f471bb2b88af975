"""Ops applied inside one box: the window's pixels change, and the labels in it follow.

The region of a box is its pixel window ``[floor(x0), ceil(x1)) x [floor(y0),
ceil(y1))`` clipped to the canvas. A pixel op (``paint_region``) changes the
window's pixels only, so every label stays byte-equal. A warp
(``warp_region``) moves the window's content through a matrix in window
coordinates, through the same one-warp core as a whole-image warp, run on the
window as if it were an image. Labels inside the window move with it, clipped
to the window:

- a polygon lying inside the window moves (and is clipped to it);
- a polygon crossing the window's border becomes an RLE mask when the writer
  stores masks (``meta['polygon_holes'] == 'rle'``), else the instance is
  dropped (reason ``inside_box_cut``): half of it moved and half not has no
  polygon;
- a mask's pixels inside the window move; those outside stay;
- labelled keypoints inside the window move; one leaving it becomes (0, 0, 0);
- part boxes (VOC) and extra boxes (``box_sets``, COCO-WholeBody faces and hands)
  lying in the window move like box-only boxes, clipped to it; extra points
  (``point_sets``) move like keypoints;
- the semantic map's window moves (new pixels get ``fill_mask`` or the ignore
  index);
- boxes never move (the op moves content, not boxes), except that an instance
  whose polygon or mask changed gets its box re-derived from the shape when
  ``labels.box`` is tight; an instance whose shape left the window entirely
  is dropped (reason ``outside``); visibility scales with the area kept.
"""

from __future__ import annotations

import math

import numpy as np

from augcli.core.policy import LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.apply import apply_warp
from augcli.geometry.extras import MIRROR_META
from augcli.geometry.filtering import drop_instances
from augcli.geometry.occlusion import polygon_hole_mode
from augcli.geometry.polygons import polygon_area, polygon_bounds, polygon_to_mask_in_box, polygon_to_rle
from augcli.geometry.warp import MatrixWarp

Rect = tuple[int, int, int, int]
_EPS = 1e-6


def region_of(box: np.ndarray, width: int, height: int) -> Rect | None:
    """The pixel window of a box on the canvas, or None when it holds no pixel."""
    if not np.isfinite(box).all():
        return None
    x0, y0 = max(0, math.floor(box[0] + _EPS)), max(0, math.floor(box[1] + _EPS))
    x1, y1 = min(width, math.ceil(box[2] - _EPS)), min(height, math.ceil(box[3] - _EPS))
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1, y1)


def paint_region(sample: Sample, rect: Rect, fn, where: np.ndarray | None = None) -> Sample:
    """``fn`` (image -> image of the same shape) applied to the window; ``where`` limits it to pixels."""
    x0, y0, x1, y1 = rect
    image = sample.image.copy()
    window = image[y0:y1, x0:x1]
    changed = fn(np.ascontiguousarray(window))
    if where is None:
        window[...] = changed
    else:
        window[where] = changed[where]
    return sample.replace(image=image)


def warp_region(
    sample: Sample, rect: Rect, matrix: np.ndarray, settings: dict, policy: LabelPolicy
) -> Sample:
    """Move the window's pixels and labels through ``matrix`` (window coordinates)."""
    sample = _convert_crossing_polygons(sample, rect)
    x0, y0, x1, y1 = rect
    size = (x1 - x0, y1 - y0)
    plan = _Window(sample, rect)
    local = Sample(
        image=np.ascontiguousarray(sample.image[y0:y1, x0:x1]),
        instances=plan.local_instances(),
        semantic=None if sample.semantic is None else np.ascontiguousarray(sample.semantic[y0:y1, x0:x1]),
        meta={k: sample.meta[k] for k in ("flip_perm", "ignore_index", MIRROR_META) if k in sample.meta},
    )
    moved = apply_warp(local, MatrixWarp(matrix, size), policy=policy, **settings)
    image = sample.image.copy()
    image[y0:y1, x0:x1] = moved.image
    semantic = None
    if sample.semantic is not None:
        semantic = sample.semantic.copy()
        semantic[y0:y1, x0:x1] = moved.semantic
    out = sample.replace(image=image, semantic=semantic)
    instances, gone = plan.merge(moved.instances, policy)
    return drop_instances(out.replace(instances=instances), ~gone, "outside")


def _convert_crossing_polygons(sample: Sample, rect: Rect) -> Sample:
    """Polygons half in the window: RLE masks if the writer stores them, else dropped."""
    inst = sample.instances
    crossing = [i for i, poly in enumerate(inst.polygons) if poly and _placement(poly, rect) == "crossing"]
    if not crossing:
        return sample
    if polygon_hole_mode(sample.meta) != "rle":
        keep = np.ones(len(inst), dtype=bool)
        keep[crossing] = False
        return drop_instances(sample, keep, "inside_box_cut")
    polygons, masks = list(inst.polygons), list(inst.masks)
    for i in crossing:
        masks[i] = polygon_to_rle(polygons[i], sample.height, sample.width)
        polygons[i] = None
    return sample.replace(instances=inst.replace(polygons=polygons, masks=masks))


def _placement(polygon, rect: Rect) -> str:
    """'inside', 'outside' or 'crossing' the window (outside: no pixel centre in it)."""
    x0, y0, x1, y1 = rect
    points = np.concatenate([np.asarray(r, np.float64).reshape(-1, 2) for r in polygon if len(r)])
    if (
        (points[:, 0] >= x0 - _EPS).all()
        and (points[:, 0] <= x1 + _EPS).all()
        and (points[:, 1] >= y0 - _EPS).all()
        and (points[:, 1] <= y1 + _EPS).all()
    ):
        return "inside"
    bounds = polygon_bounds(polygon)
    if bounds is None:
        return "outside"
    if bounds[2] <= x0 or bounds[0] >= x1 or bounds[3] <= y0 or bounds[1] >= y1:
        return "outside"
    if not polygon_to_mask_in_box(polygon, x0, y0, x1 - x0, y1 - y0).any():
        return "outside"
    return "crossing"


class _Window:
    """Which instances have labels in the window, their local copies, and the merge back."""

    def __init__(self, sample: Sample, rect: Rect):
        self.sample = sample
        self.rect = rect
        inst = sample.instances
        x0, y0, x1, y1 = rect
        self.offset = np.array([x0, y0], np.float64)
        n = len(inst)
        self.polygon_rows = [
            i for i in range(n) if inst.polygons[i] and _placement(inst.polygons[i], rect) == "inside"
        ]
        self.mask_rows = [
            i for i in range(n) if inst.masks[i] is not None and self._mask_meets(inst.masks[i])
        ]
        self.kp_inside: np.ndarray | None = None  # (N, J) keypoints labelled inside the window
        if inst.keypoints is not None:
            kx, ky, kv = inst.keypoints[..., 0], inst.keypoints[..., 1], inst.keypoints[..., 2]
            self.kp_inside = (kv > 0) & (kx >= x0) & (kx < x1) & (ky >= y0) & (ky < y1)
        kp_rows = [] if self.kp_inside is None else list(np.flatnonzero(self.kp_inside.any(axis=1)))
        self.set_boxes_inside = {
            name: [b is not None and bool(self._parts_inside(b)[0]) for b in column]
            for name, column in inst.box_sets.items()
        }
        self.set_points_inside = {
            name: [None if pts is None else self._points_inside(pts) for pts in column]
            for name, column in inst.point_sets.items()
        }
        set_rows = {i for flags in self.set_boxes_inside.values() for i, f in enumerate(flags) if f}
        set_rows |= {
            i
            for flags in self.set_points_inside.values()
            for i, f in enumerate(flags)
            if f is not None and f.any()
        }
        part_rows = [
            i
            for i in range(n)
            if inst.part_boxes[i] is not None and self._parts_inside(inst.part_boxes[i]).any()
        ]
        self.rows = sorted(
            set(self.polygon_rows)
            | set(self.mask_rows)
            | set(part_rows)
            | set_rows
            | {int(r) for r in kp_rows}
        )

    def _mask_meets(self, mask) -> bool:
        """True when the mask has a pixel in the window (its bounds first: no decode when apart)."""
        x0, y0, x1, y1 = self.rect
        bx0, by0, bx1, by1 = rle.bounds(mask)
        if bx1 <= x0 or bx0 >= x1 or by1 <= y0 or by0 >= y1:
            return False
        return bool(rle.decode(mask)[y0:y1, x0:x1].any())

    def local_instances(self) -> Instances:
        inst = self.sample.instances
        x0, y0, x1, y1 = self.rect
        width, height = x1 - x0, y1 - y0
        polygons, masks, boxes = [], [], []
        for i in self.rows:
            poly = None
            if i in self.polygon_rows:
                poly = [np.asarray(r, np.float64).reshape(-1, 2) - self.offset for r in inst.polygons[i]]
            mask = None
            if i in self.mask_rows:
                mask = rle.encode(rle.decode(inst.masks[i])[y0:y1, x0:x1])
            polygons.append(poly)
            masks.append(mask)
            boxes.append([0.0, 0.0, float(width), float(height)])
        parts = []
        for i in self.rows:
            own = inst.part_boxes[i]
            parts.append(
                None if own is None else np.asarray(own, np.float64).reshape(-1, 4) - np.tile(self.offset, 2)
            )
        keypoints = None
        if inst.keypoints is not None and self.kp_inside is not None:
            keypoints = inst.keypoints[self.rows].copy()
            keypoints[..., :2] -= self.offset
            keypoints[~self.kp_inside[self.rows]] = 0.0
        return Instances(
            labels=inst.labels[self.rows],
            boxes=np.asarray(boxes, np.float64).reshape(-1, 4),
            polygons=polygons,
            masks=masks,
            keypoints=keypoints,
            extra={"row": list(self.rows)},
            part_boxes=parts,
            box_sets={
                name: [self._local_box(column[i]) for i in self.rows]
                for name, column in inst.box_sets.items()
            },
            point_sets={
                name: [self._local_points(column[i], self.set_points_inside[name][i]) for i in self.rows]
                for name, column in inst.point_sets.items()
            },
        )

    def _local_box(self, box):
        return None if box is None else np.asarray(box, np.float64).reshape(4) - np.tile(self.offset, 2)

    def _local_points(self, points, inside):
        if points is None:
            return None
        local = np.asarray(points, np.float64).reshape(-1, 3).copy()
        local[:, :2] -= self.offset
        local[~inside] = 0.0
        return local

    def _points_inside(self, points) -> np.ndarray:
        x0, y0, x1, y1 = self.rect
        p = np.asarray(points, np.float64).reshape(-1, 3)
        return (p[:, 2] > 0) & (p[:, 0] >= x0) & (p[:, 0] < x1) & (p[:, 1] >= y0) & (p[:, 1] < y1)

    def merge(self, moved: Instances, policy: LabelPolicy) -> tuple[Instances, np.ndarray]:
        """The full instances with the moved labels put back, and which rows lost their shape."""
        inst = self.sample.instances
        x0, y0, x1, y1 = self.rect
        polygons, masks, parts = list(inst.polygons), list(inst.masks), list(inst.part_boxes)
        boxes, visibility = inst.boxes.copy(), inst.visibility.copy()
        keypoints = None if inst.keypoints is None else inst.keypoints.copy()
        gone = np.zeros(len(inst), dtype=bool)
        found = {int(row): k for k, row in enumerate(moved.extra.get("row", []))}
        for i in self.rows:
            k = found.get(i)
            if i in self.polygon_rows:
                before = polygon_area(polygons[i])
                polygons[i] = [] if k is None else [r + self.offset for r in moved.polygons[k]]
                self._reshaped(
                    i, polygons[i], polygon_area(polygons[i]), before, boxes, visibility, gone, policy
                )
            elif i in self.mask_rows:
                full = rle.decode(masks[i]).copy()
                before = int(full.sum())
                full[y0:y1, x0:x1] = False if k is None else rle.decode(moved.masks[k])
                masks[i] = rle.encode(full)
                self._reshaped(i, masks[i], int(full.sum()), before, boxes, visibility, gone, policy)
            if parts[i] is not None and k is not None:
                parts[i] = self._moved_parts(np.asarray(parts[i], np.float64), moved.part_boxes[k])
            if keypoints is not None and self.kp_inside is not None:
                inside = self.kp_inside[i]
                if k is None:
                    keypoints[i][inside] = 0.0
                else:
                    local = np.asarray(moved.keypoints)[k].copy()  # moved from these keypoints
                    labelled = local[:, 2] > 0
                    local[labelled, :2] += self.offset
                    keypoints[i][inside] = local[inside]
        box_sets, point_sets = self._merge_sets(moved, found)
        merged = inst.replace(
            boxes=boxes,
            polygons=polygons,
            masks=masks,
            keypoints=keypoints,
            visibility=visibility,
            part_boxes=parts,
            box_sets=box_sets,
            point_sets=point_sets,
        )
        return merged, gone

    def _merge_sets(self, moved: Instances, found: dict) -> tuple[dict, dict]:
        """Extra boxes lying in the window and extra points in it take their moved values."""
        inst = self.sample.instances
        shift = np.tile(self.offset, 2)
        box_sets = {name: list(column) for name, column in inst.box_sets.items()}
        for name, column in box_sets.items():
            for i, inside in enumerate(self.set_boxes_inside[name]):
                if not inside:
                    continue
                k = found.get(i)
                box = None if k is None else np.asarray(moved.box_sets[name][k], np.float64)
                column[i] = np.zeros(4) if box is None or not (box[2:] > box[:2]).all() else box + shift
        point_sets = {name: list(column) for name, column in inst.point_sets.items()}
        for name, column in point_sets.items():
            for i, points_inside in enumerate(self.set_points_inside[name]):
                if points_inside is None or not points_inside.any():
                    continue
                k = found.get(i)
                points = np.asarray(column[i], np.float64).reshape(-1, 3).copy()
                if k is None:
                    points[points_inside] = 0.0
                else:
                    local = np.asarray(moved.point_sets[name][k], np.float64).reshape(-1, 3).copy()
                    labelled = local[:, 2] > 0
                    local[labelled, :2] += self.offset
                    points[points_inside] = local[points_inside]
                column[i] = points
        return box_sets, point_sets

    def _parts_inside(self, parts) -> np.ndarray:
        x0, y0, x1, y1 = self.rect
        b = np.asarray(parts, np.float64).reshape(-1, 4)
        return (
            (b[:, 0] >= x0 - _EPS) & (b[:, 1] >= y0 - _EPS) & (b[:, 2] <= x1 + _EPS) & (b[:, 3] <= y1 + _EPS)
        )

    def _moved_parts(self, before: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """Part boxes lying in the window take their moved box; the others stay."""
        inside = self._parts_inside(before)
        out = before.copy()
        out[inside] = np.asarray(moved, np.float64).reshape(-1, 4)[inside] + np.tile(self.offset, 2)
        return out

    @staticmethod
    def _reshaped(i, shape, area_after, area_before, boxes, visibility, gone, policy) -> None:
        if area_after <= 0:
            gone[i] = True
            return
        if area_before > 0:
            visibility[i] *= min(1.0, area_after / area_before)
        if policy.box == "tight":
            bounds = polygon_bounds(shape) if isinstance(shape, list) else rle.bounds(shape)
            if bounds is not None:
                boxes[i] = bounds
