"""Axis-aligned xyxy boxes in continuous pixel coordinates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from augcli.geometry.piecewise import PiecewiseWarp
from augcli.geometry.piecewise import map_boxes as map_piecewise_boxes
from augcli.geometry.points import map_points
from augcli.geometry.polygons import polygon_bounds
from augcli.geometry.warp import GridWarp, Warp

_GRID_EDGE_STEP_PX = 4.0  # box outlines are sampled this finely before a grid warp
_GRID_EDGE_MAX_SAMPLES = 128
_CORNER_COLUMNS = np.array([[0, 1], [2, 1], [2, 3], [0, 3]])


def box_corners(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy -> (N, 4, 2) corners, clockwise on screen from the top-left."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return b[:, _CORNER_COLUMNS]  # (x0, y0), (x1, y0), (x1, y1), (x0, y1) in one gather


def box_outlines(boxes: np.ndarray, samples_per_edge: int) -> np.ndarray:
    """(N, 4) xyxy -> (N, 4 * samples_per_edge, 2) points along each box's outline."""
    corners = box_corners(boxes)
    nxt = np.roll(corners, -1, axis=1)
    t = np.arange(samples_per_edge, dtype=np.float64) / samples_per_edge
    pts = corners[:, :, None, :] + t[None, None, :, None] * (nxt - corners)[:, :, None, :]
    return pts.reshape(len(corners), -1, 2)


def bounds_of_points(points: np.ndarray) -> np.ndarray:
    """(N, K, 2) -> (N, 4) xyxy over the finite points; all-NaN rows give NaN boxes."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape[1] and np.isfinite(pts).all():  # the usual case: plain min and max
        return np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)
    out = np.full((pts.shape[0], 4), np.nan)
    finite = np.asarray(np.isfinite(pts).all(axis=2))
    rows = finite.any(axis=1)
    if rows.any():
        masked = np.where(finite[rows][:, :, None], pts[rows], np.nan)
        out[rows, :2] = np.nanmin(masked, axis=1)
        out[rows, 2:] = np.nanmax(masked, axis=1)
    return out


def warp_boxes(boxes: np.ndarray, warp: Warp) -> np.ndarray:
    """The box of each warped box (unclipped); NaN rows when no corner could be placed.

    Matrix warps keep straight lines straight, so the four corners suffice;
    a grid warp bends the edges, so their outlines are sampled densely.
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(b) == 0:
        return b.copy()
    if isinstance(warp, PiecewiseWarp):
        return map_piecewise_boxes(b, warp)  # each piece of the box moves on its own
    if isinstance(warp, GridWarp):
        longest = float(np.max(np.abs(b[:, 2:] - b[:, :2]), initial=0.0))
        samples = int(np.clip(np.ceil(longest / _GRID_EDGE_STEP_PX), 1, _GRID_EDGE_MAX_SAMPLES))
        pts = box_outlines(b, samples)
    else:
        pts = box_corners(b)
    mapped = map_points(pts.reshape(-1, 2), warp).reshape(pts.shape)
    return bounds_of_points(mapped)


def clip_boxes(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Clamp xyxy boxes to ``[0, width] x [0, height]`` (a box outside collapses to zero size)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    upper = np.array([width, height, width, height], dtype=np.float64)
    return np.clip(b, 0.0, upper)  # a new array, clamped column by column in one call


_FLOAT_MAX = float(np.finfo(np.float64).max)


def box_areas(boxes: np.ndarray) -> np.ndarray:
    """(N,) areas; inverted or NaN boxes count as 0."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    # fmax drops NaN (-> 0) and fmin caps +inf as np.nan_to_num(...).clip(min=0) would, in two ufuncs
    w = np.fmin(np.fmax(b[:, 2] - b[:, 0], 0.0), _FLOAT_MAX)
    h = np.fmin(np.fmax(b[:, 3] - b[:, 1], 0.0), _FLOAT_MAX)
    return w * h


def boxes_from_polygons(polygons: Sequence) -> np.ndarray:
    """Tight box of each polygon; NaN rows where an instance has no polygon."""
    out = np.full((len(polygons), 4), np.nan)
    for i, poly in enumerate(polygons):
        b = polygon_bounds(poly)
        if b is not None:
            out[i] = b
    return out


def box_from_mask(mask: np.ndarray) -> np.ndarray | None:
    """Tight xyxy box of a boolean (H, W) mask's pixels, or None when it is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=np.float64)


def boxes_from_masks(masks: np.ndarray) -> np.ndarray:
    """(H, W, N) boolean stack -> (N, 4) tight boxes; NaN rows for empty masks."""
    stack = np.asarray(masks, dtype=bool)
    out = np.full((stack.shape[2], 4), np.nan)
    any_row = np.asarray(stack.any(axis=1))  # (H, N)
    any_col = np.asarray(stack.any(axis=0))  # (W, N)
    for k in range(stack.shape[2]):
        rows = np.flatnonzero(any_row[:, k])
        if len(rows):
            cols = np.flatnonzero(any_col[:, k])
            out[k] = [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]
    return out
