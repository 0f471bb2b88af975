"""Extra boxes and keypoint sets attached to instances (``Instances.box_sets`` /
``point_sets``), moved by the same warp as every other target.

- Boxes: corners mapped, clipped to the canvas; a box that leaves the canvas
  collapses to zero size (``[0, 0, 0, 0]``). They never decide whether their
  instance survives.
- Points: labelled points (``v > 0``) are mapped; those that leave the canvas
  become ``(0, 0, 0)``; ``v`` is kept as it was.
- On a fold of the warp (``geometry.folds``) ``geometry.apply`` passes
  ``refine_boxes`` / ``refine_points``: boxes there come from their warped
  rasters and points take the keypoint rule's copy, as for the main columns.
- Mirroring warps apply ``meta['set_mirror']``: ``{"swap": [[a, b], ...],
  "perm": {name: permutation}}``. ``swap`` exchanges two whole sets (left and
  right hand), ``perm`` reorders the points of one set (new[k] = old[perm[k]]),
  after the swap.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from augcli.core.sample import Instances
from augcli.geometry.boxes import clip_boxes, warp_boxes
from augcli.geometry.points import map_points
from augcli.geometry.warp import Warp

MIRROR_META = "set_mirror"
RefineBoxes = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (input boxes, moved boxes) -> boxes
RefinePoints = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def move_box_sets(
    inst: Instances, warp: Warp, mirror: dict | None, refine_boxes: RefineBoxes | None = None
) -> dict[str, list]:
    width, height = warp.out_size
    out = {}
    for name, column in inst.box_sets.items():
        rows = [i for i, b in enumerate(column) if b is not None]
        moved = list(column)
        if rows:
            boxes = np.asarray([column[i] for i in rows], dtype=np.float64).reshape(-1, 4)
            mapped = warp_boxes(boxes, warp)
            mapped[~np.isfinite(mapped).all(axis=1)] = 0.0
            clipped = clip_boxes(mapped, width, height)
            if refine_boxes is not None:
                clipped = refine_boxes(boxes, clipped)
            empty = (clipped[:, 2] <= clipped[:, 0]) | (clipped[:, 3] <= clipped[:, 1])
            clipped[empty] = 0.0
            for k, i in enumerate(rows):
                moved[i] = clipped[k]
        out[name] = moved
    return _mirrored(out, mirror, permute=False) if warp.mirrors else out


def move_point_sets(
    inst: Instances, warp: Warp, mirror: dict | None, refine_points: RefinePoints | None = None
) -> dict[str, list]:
    width, height = warp.out_size
    out = {}
    for name, column in inst.point_sets.items():
        moved = list(column)
        for i, points in enumerate(column):
            if points is None:
                continue
            points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
            result = np.zeros_like(points)
            labelled = points[:, 2] > 0
            if labelled.any():
                xy = map_points(points[labelled, :2], warp)
                inside = (
                    np.isfinite(xy).all(axis=1)
                    & (xy[:, 0] >= 0)
                    & (xy[:, 0] <= width)
                    & (xy[:, 1] >= 0)
                    & (xy[:, 1] <= height)
                )
                if refine_points is not None:
                    xy, inside = refine_points(points[labelled, :2], xy, inside)
                rows = np.flatnonzero(labelled)[inside]
                result[rows, :2] = xy[inside]
                result[rows, 2] = points[rows, 2]
            moved[i] = result
        out[name] = moved
    return _mirrored(out, mirror, permute=True) if warp.mirrors else out


def _mirrored(columns: dict[str, list], mirror: dict | None, permute: bool) -> dict[str, list]:
    mirror = mirror or {}
    out = dict(columns)
    for a, b in mirror.get("swap", ()):
        if a in out and b in out:
            out[a], out[b] = out[b], out[a]
    if permute:
        for name, perm in (mirror.get("perm") or {}).items():
            if name not in out:
                continue
            perm = np.asarray(perm, dtype=np.int64)
            out[name] = [p if p is None or len(p) != len(perm) else p[perm] for p in out[name]]
    return out
