"""Folds of a sampling grid: where a warp lays the image over itself.

A ``GridWarp`` maps every output pixel centre q to the input point g(q) it
samples. Where the Jacobian of g has a negative determinant (positive for a
warp that mirrors as a whole) the grid runs backwards: the output shows that
part of the input a second time, mirrored, between two upright copies (a fold). Every output pixel still shows one input
pixel, so rasters (masks, semantic maps) stay exact, but an input point has
several output positions there: one polygon outline or one keypoint cannot
follow all of them.

``find_folds`` finds the reversed cells from the inverse map alone: one
determinant per grid cell from forward differences (a few array operations
over the grid, the whole cost for warps that do not fold). It returns None
when no cell is reversed, and then nothing else changes. Otherwise
``Folds`` holds the folded output pixels (the reversed cells plus a margin
around their creases) and boxes around the input they sample, so that labels
far from a fold keep the vector path (``geometry.apply``).

``point_copies`` finds every output position of an input point on the
canvas; ``pick_copy`` applies the keypoint rule (see ``geometry.apply``).
Matrix warps never fold; piecewise warps (grid shuffles) are exact per piece.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from augcli.geometry.piecewise import PiecewiseWarp
from augcli.geometry.points import newton_inverse, sample_grid
from augcli.geometry.warp import GridWarp, Warp

FOLD_MARGIN_PX = 2  # output pixels around a reversed cell that count as folded
_COARSE_STEP = 4  # output pixels between the samples that seed the search for copies
_SAME_COPY_PX = 0.5  # roots closer than this are one copy
_BAND_ROWS = 64  # grid rows per pass of the fold check
_MAX_SEEDS = 256  # nearest coarse samples that start Newton's method, per point


@dataclass(frozen=True, eq=False)
class Folds:
    region: np.ndarray  # (H_out, W_out) bool: output pixels on a reversed sheet or near its crease
    sources: np.ndarray  # (K, 4) xyxy: input boxes around what the region samples, one per component
    step: float  # largest input distance between neighbouring output pixel centres

    def near(self, boxes: np.ndarray) -> np.ndarray:
        """(N,) bool: which xyxy input boxes overlap an input box of a fold."""
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 1, 4)
        s = self.sources[None]
        overlap = (b[..., 0] <= s[..., 2]) & (b[..., 2] >= s[..., 0]) & (b[..., 1] <= s[..., 3])
        overlap &= b[..., 3] >= s[..., 1]
        return np.asarray(overlap.any(axis=1) | ~np.isfinite(b[:, 0]).all(axis=1))

    def holds(self, points: np.ndarray) -> np.ndarray:
        """(N,) bool: which (N, 2) input points lie in an input box of a fold."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        s = self.sources[None]
        inside = (p[..., 0] >= s[..., 0]) & (p[..., 0] <= s[..., 2])
        inside &= (p[..., 1] >= s[..., 1]) & (p[..., 1] <= s[..., 3])
        return np.asarray(inside.any(axis=1))


def reversed_cells(map_x: np.ndarray, map_y: np.ndarray, mirrors: bool = False) -> tuple[np.ndarray, float]:
    """(H-1, W-1) bool of grid cells whose Jacobian determinant is negative (positive when
    the warp ``mirrors``), and the largest absolute forward difference (the input step
    between neighbouring centres)."""
    mx = np.asarray(map_x, dtype=np.float32)
    my = np.asarray(map_y, dtype=np.float32)
    if min(mx.shape) < 2:
        return np.zeros((max(mx.shape[0] - 1, 0), max(mx.shape[1] - 1, 0)), bool), 0.0
    if not _any_reversed(mx, my, mirrors):
        return np.zeros((mx.shape[0] - 1, mx.shape[1] - 1), bool), 0.0
    differences, det = _cell_determinants(mx, my, 0, mx.shape[0] - 1)
    step = max(float(np.abs(d).max()) for d in differences)
    return (det > 0 if mirrors else det < 0), step


def _cell_determinants(mx: np.ndarray, my: np.ndarray, r0: int, r1: int) -> tuple[tuple, np.ndarray]:
    """Forward differences (x right, y right, x down, y down) and determinants of cell rows
    r0..r1 (OpenCV arithmetic: one SIMD pass each)."""
    top_x, top_y = mx[r0:r1, :-1], my[r0:r1, :-1]
    x_right, y_right = cv2.subtract(mx[r0:r1, 1:], top_x), cv2.subtract(my[r0:r1, 1:], top_y)
    x_down, y_down = (
        cv2.subtract(mx[r0 + 1 : r1 + 1, :-1], top_x),
        cv2.subtract(my[r0 + 1 : r1 + 1, :-1], top_y),
    )
    det = cv2.subtract(cv2.multiply(x_right, y_down), cv2.multiply(x_down, y_right))
    return (x_right, y_right, x_down, y_down), det


def _any_reversed(mx: np.ndarray, my: np.ndarray, mirrors: bool) -> bool:
    """Whether any cell is reversed, a band of rows at a time (the band stays in cache:
    about twice as fast as whole-canvas passes, and it stops at the first fold)."""
    cells = mx.shape[0] - 1
    for r0 in range(0, cells, _BAND_ROWS):
        _, det = _cell_determinants(mx, my, r0, min(r0 + _BAND_ROWS, cells))
        low, high = cv2.minMaxLoc(det)[:2]
        if (high > 0) if mirrors else (low < 0):
            return True
    return False


def find_folds(warp: Warp) -> Folds | None:
    """The folds of ``warp``, or None when it has none (matrix warps never do)."""
    if not isinstance(warp, GridWarp) or isinstance(warp, PiecewiseWarp) or not warp.may_fold:
        return None
    negative, step = reversed_cells(warp.map_x, warp.map_y, warp.mirrors)
    if not negative.any():
        return None
    height, width = negative.shape[0] + 1, negative.shape[1] + 1
    region = np.zeros((height, width), np.uint8)
    region[:-1, :-1] = negative
    region[1:, 1:] |= negative  # a cell touches the pixel centres at its four corners
    size = 2 * FOLD_MARGIN_PX + 1
    region = cv2.dilate(region, np.ones((size, size), np.uint8))
    count, labels = cv2.connectedComponents(region, connectivity=8)
    rows, cols = np.nonzero(labels)
    component = labels[rows, cols] - 1
    xs = np.asarray(warp.map_x)[rows, cols].astype(np.float64)
    ys = np.asarray(warp.map_y)[rows, cols].astype(np.float64)
    sources = np.empty((count - 1, 4))
    for k, values in enumerate((xs, ys)):
        low = np.full(count - 1, np.inf)
        high = np.full(count - 1, -np.inf)
        np.minimum.at(low, component, values)
        np.maximum.at(high, component, values)
        sources[:, k], sources[:, k + 2] = low, high
    pad = step + 1.0  # the region samples the input only every ``step`` pixels
    sources[:, :2] -= pad
    sources[:, 2:] += pad
    return Folds(region=region.view(bool), sources=sources, step=step)


def point_copies(warp: GridWarp, folds: Folds, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every output position on the canvas that samples input ``point``: (M, 2) positions
    in raster order (top-most first) and (M,) bool, True where the warp is upright there.

    Every coarse sample of the grid within reach of the point seeds Newton's
    method; roots closer than half a pixel are one copy.
    """
    map_x, map_y = np.asarray(warp.map_x), np.asarray(warp.map_y)
    height, width = map_x.shape
    coarse = (slice(_COARSE_STEP // 2, None, _COARSE_STEP),) * 2
    cx, cy = map_x[coarse], map_y[coarse]
    reach = 1.5 * _COARSE_STEP * max(folds.step, 1.0) + 1.0
    near = np.hypot(cx - point[0], cy - point[1]) <= reach
    if not near.any():
        return np.empty((0, 2)), np.empty(0, bool)
    rows, cols = np.nonzero(near)
    order = np.argsort(np.hypot(cx - point[0], cy - point[1])[rows, cols], kind="stable")[:_MAX_SEEDS]
    starts = np.stack(
        [
            _COARSE_STEP // 2 + cols[order] * _COARSE_STEP + 0.5,
            _COARSE_STEP // 2 + rows[order] * _COARSE_STEP + 0.5,
        ],
        axis=1,
    ).astype(np.float64)
    targets = np.repeat(np.asarray(point, dtype=np.float64).reshape(1, 2), len(starts), axis=0)
    roots, done = newton_inverse((map_x, map_y), targets, starts)
    roots = roots[done]
    roots = roots[(roots[:, 0] >= 0) & (roots[:, 0] <= width) & (roots[:, 1] >= 0) & (roots[:, 1] <= height)]
    if len(roots) == 0:
        return np.empty((0, 2)), np.empty(0, bool)
    roots = roots[np.lexsort((roots[:, 0], roots[:, 1]))]
    unique = [roots[0]]
    for root in roots[1:]:
        if min(np.hypot(*(root - u)) for u in unique) >= _SAME_COPY_PX:
            unique.append(root)
    roots = np.asarray(unique)
    _, jac = sample_grid((map_x, map_y), roots)
    upright = (jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0] > 0) != warp.mirrors
    return roots, upright


def pick_copy(roots: np.ndarray, upright: np.ndarray) -> np.ndarray | None:
    """The keypoint rule: the top-most upright copy (then left-most); the top-most copy
    when none is upright; None when no copy is on the canvas. ``roots`` are in raster order."""
    if len(roots) == 0:
        return None
    candidates = roots[upright] if upright.any() else roots
    return candidates[0]
