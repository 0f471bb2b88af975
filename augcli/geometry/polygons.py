"""Polygons in continuous pixel coordinates.

A polygon is a list of rings (COCO multi-part polygons: separate parts, not
holes); a ring is a ``(K, 2)`` float64 array of x, y vertices, implicitly
closed.

Rasterisation uses pycocotools. Its convention agrees with ours: a pixel
``(i, j)`` is foreground when its centre ``(j + 0.5, i + 0.5)`` lies inside
the polygon (ties on the boundary go either way), so the square
``[0, 10] x [0, 10]`` covers exactly pixels 0..9 in both directions. It
rounds vertices to 1/5 px, so pixels whose centre lies within ~0.2 px of an
edge may go either way. The tests check both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pycocotools import mask as coco_mask

Ring = np.ndarray
Polygon = list

MIN_RING_AREA = 1e-6  # px^2; a clipped sliver below this is dropped


def as_ring(points: Sequence | np.ndarray) -> Ring:
    """Anything shaped like K points (or a flat COCO list) -> (K, 2) float64."""
    return np.asarray(points, dtype=np.float64).reshape(-1, 2)


def signed_ring_area(ring: Ring) -> float:
    """Shoelace area; positive for counter-clockwise rings in x-right, y-up axes."""
    if len(ring) < 3:
        return 0.0
    x, y = ring[:, 0], ring[:, 1]
    # sum of x_i * y_{i+1} - y_i * x_{i+1}, the closing edge written out (np.roll is slow)
    twice = x[:-1] @ y[1:] - y[:-1] @ x[1:] + x[-1] * y[0] - y[-1] * x[0]
    return 0.5 * float(twice)


def ring_area(ring: Ring) -> float:
    return abs(signed_ring_area(ring))


def polygon_area(polygon: Polygon | None) -> float:
    """Sum of the ring areas (COCO parts are disjoint pieces of one object)."""
    if not polygon:
        return 0.0
    return float(sum(ring_area(r) for r in polygon))


def densify(ring: Ring, max_segment_px: float) -> Ring:
    """Insert vertices so that no edge (the closing one included) is longer than ``max_segment_px``.

    Non-linear warps bend straight edges; a densified ring follows the bend.
    """
    ring = as_ring(ring)
    if len(ring) < 2 or max_segment_px <= 0:
        return ring
    nxt = np.roll(ring, -1, axis=0)
    lengths = np.hypot(*(nxt - ring).T)
    pieces = np.maximum(1, np.ceil(lengths / max_segment_px).astype(np.int64))
    if pieces.max() == 1:
        return ring
    edge = np.repeat(np.arange(len(ring)), pieces)
    first = np.cumsum(pieces) - pieces
    t = (np.arange(len(edge)) - first[edge]) / pieces[edge]
    return ring[edge] + t[:, None] * (nxt[edge] - ring[edge])


def clip_ring_to_rect(ring: Ring, width: float, height: float) -> Ring | None:
    """Sutherland-Hodgman clip of one ring to ``[0, width] x [0, height]``.

    Returns None when fewer than 3 distinct vertices or about zero area
    remain. A concave ring that leaves and re-enters the canvas comes back as
    one ring with zero-width bridges along the border; its area and its
    rasterisation are still right.
    """
    out, _ = _clip_ring(as_ring(ring), width, height)
    if out is None or len(out) < 3 or ring_area(out) < MIN_RING_AREA:
        return None
    return out


def clip_polygon(polygon: Polygon | None, width: float, height: float) -> Polygon:
    """Clip every ring; degenerate rings disappear (an empty list if none survive)."""
    if not polygon:
        return []
    clipped = (clip_ring_to_rect(r, width, height) for r in polygon)
    return [r for r in clipped if r is not None]


def clip_polygon_measured(polygon: Polygon, width: float, height: float) -> tuple[Polygon, float, float]:
    """``clip_polygon`` with ``polygon_area`` of the polygon and of the result: each ring's
    area is computed once when clipping leaves it whole (the same sums, bit for bit)."""
    kept, before, after = [], [], []
    for ring in polygon:
        ring = as_ring(ring)
        area = ring_area(ring)
        before.append(area)
        out, whole = _clip_ring(ring, width, height)
        if out is None or len(out) < 3:
            continue
        clipped_area = area if whole else ring_area(out)
        if clipped_area >= MIN_RING_AREA:
            kept.append(out)
            after.append(clipped_area)
    return kept, float(sum(before)), float(sum(after))


def _clip_ring(ring: Ring, width: float, height: float) -> tuple[Ring | None, bool]:
    """The clipped ring (None when fewer than 3 vertices are left), and whether the ring
    lay inside the canvas and comes back as it was."""
    if len(ring) < 3 or not np.isfinite(ring).all():
        return None, False
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    if lo[0] >= 0 and lo[1] >= 0 and hi[0] <= width and hi[1] <= height:
        return ring, True
    out = ring
    for axis, bound, keep_below in (
        (0, 0.0, False),
        (0, float(width), True),
        (1, 0.0, False),
        (1, float(height), True),
    ):
        out = _clip_half_plane(out, axis, bound, keep_below)
        if len(out) < 3:
            return None, False
    return _drop_repeats(out), False


def _clip_half_plane(ring: Ring, axis: int, bound: float, keep_below: bool) -> Ring:
    """Keep the part of the ring with ``coord <= bound`` (or ``>=``), vectorised.

    For each edge prev -> cur, Sutherland-Hodgman emits the crossing point when
    the edge crosses the line and then ``cur`` when it is inside; both
    candidates are laid out per edge and the kept ones read in order.
    """
    coord = ring[:, axis]
    inside = coord <= bound if keep_below else coord >= bound
    if inside.all():
        return ring
    if not inside.any():
        return ring[:0]
    prev = np.roll(ring, 1, axis=0)
    prev_inside = np.roll(inside, 1)
    crosses = inside != prev_inside
    denom = coord - prev[:, axis]
    safe = np.where(crosses, denom, 1.0)
    t = np.where(crosses, (bound - prev[:, axis]) / safe, 0.0)
    crossing = prev + t[:, None] * (ring - prev)
    crossing[crosses, axis] = bound  # exact, whatever the rounding
    candidates = np.stack([crossing, ring], axis=1).reshape(-1, 2)
    keep = np.stack([crosses, inside], axis=1).reshape(-1)
    return candidates[keep]


def _drop_repeats(ring: Ring) -> Ring:
    """Remove consecutive duplicate vertices (clipping creates them at corners)."""
    if len(ring) < 2:
        return ring
    step = np.abs(ring - np.roll(ring, 1, axis=0)).max(axis=1)
    return ring[step > 1e-12]


def ring_bounds(ring: Ring) -> np.ndarray:
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    return np.concatenate((lo[:2], hi[:2])).astype(np.float64, copy=False)


def polygon_bounds(polygon: Polygon | None) -> np.ndarray | None:
    """Tight xyxy box around every vertex, or None for an empty polygon."""
    rings = [r for r in (polygon or []) if len(r)]
    if not rings:
        return None
    points = rings[0] if len(rings) == 1 else np.concatenate(rings, axis=0)
    return ring_bounds(np.asarray(points))


def polygon_to_rle(polygon: Polygon, height: int, width: int) -> dict:
    """Rasterise a multi-part polygon into one compressed RLE (parts merged).

    Vertices may lie outside the canvas; pycocotools only fills the canvas.
    """
    rings = [as_ring(r) for r in polygon if len(r) >= 3]
    if not rings:
        return coco_mask.encode(np.zeros((height, width), dtype=np.uint8, order="F"))
    # pycocotools wants at least 3 points, i.e. flat lists of >= 6 numbers.
    parts = coco_mask.frPyObjects([r.ravel().tolist() for r in rings], int(height), int(width))
    return parts[0] if len(parts) == 1 else coco_mask.merge(parts)


def polygon_to_mask(polygon: Polygon, height: int, width: int) -> np.ndarray:
    """Boolean (H, W) mask of the pixels whose centres lie inside the polygon."""
    return coco_mask.decode(polygon_to_rle(polygon, height, width)).astype(bool)


def polygon_to_mask_in_box(polygon: Polygon, x0: int, y0: int, width: int, height: int) -> np.ndarray:
    """Rasterise only the window ``[x0, x0 + width) x [y0, y0 + height)`` (integer offsets).

    Shifting by whole pixels does not change which pixel centres are inside,
    so this equals the same window cut from ``polygon_to_mask``, at the cost
    of the window only.
    """
    if width <= 0 or height <= 0:
        return np.zeros((max(height, 0), max(width, 0)), dtype=bool)
    offset = np.array([x0, y0], dtype=np.float64)
    shifted = [as_ring(r) - offset for r in polygon]
    return polygon_to_mask(shifted, height, width)
