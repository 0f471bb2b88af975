"""Piecewise warps: the input cut into rectangles, each moved by its own affine matrix.

A discontinuous warp (the tiles of RandomGridShuffle) cannot move a polygon
by mapping its vertices: an edge whose ends land in different pieces would
cut straight across the output. A ``PiecewiseWarp`` is a ``GridWarp`` (so
images, masks, semantic maps and keypoints need nothing new: its sampling
grid and its exact point map come from the pieces) that also knows its
pieces, so that

- polygons are clipped to every piece's source rectangle and each clipped
  part is mapped by that piece's matrix (one ring may become several parts);
- a box-only instance becomes the box around its mapped parts;
- the input area an output pixel stands for is the piece's |det|, with no
  false stretch at the seams.

Pieces must not overlap in the input (a point on a shared edge goes with the
pixel to its right / below it, as pixels cover ``[j, j+1)``) and must all
preserve, or all reverse, orientation. Input outside every piece has no place in the output: points there are unplaceable
(NaN) and polygon area there counts as lost. Output pixels no piece reaches
sample far outside the input, so the border mode's constant fill shows there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from augcli.geometry.polygons import as_ring, clip_ring_to_rect, polygon_area, ring_area
from augcli.geometry.warp import GridWarp

_UNREACHED = -1.0e6  # sampling coordinate for output pixels that no piece covers


@dataclass(frozen=True, eq=False)
class Piece:
    """The input rectangle ``source = (x0, y0, x1, y1)`` moved by the affine ``matrix``."""

    source: tuple[float, float, float, float]
    matrix: np.ndarray

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=np.float64).reshape(3, 3)
        if np.abs(m[2] - (0.0, 0.0, 1.0)).max() > 1e-12:
            raise ValueError("a piece's matrix must be affine")
        object.__setattr__(self, "matrix", m)
        object.__setattr__(self, "source", tuple(float(v) for v in self.source))

    def contains(self, points: np.ndarray, closed: bool = False) -> np.ndarray:
        """Inside ``[x0, x1) x [y0, y1)`` as pixels are, or the closed rectangle."""
        x0, y0, x1, y1 = self.source
        x, y = points[:, 0], points[:, 1]
        if closed:
            return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        return (x >= x0) & (x < x1) & (y >= y0) & (y < y1)

    def map(self, points: np.ndarray) -> np.ndarray:
        return points @ self.matrix[:2, :2].T + self.matrix[:2, 2]

    @property
    def area_scale(self) -> float:
        """Input area per unit of output area."""
        return 1.0 / abs(float(np.linalg.det(self.matrix[:2, :2])))


@dataclass(frozen=True, eq=False)
class PiecewisePointMap:
    """Exact forward map of a piecewise warp (picklable): each point moves with its piece."""

    pieces: tuple[Piece, ...]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        out = np.full_like(pts, np.nan)
        todo = np.isfinite(pts).all(axis=1)
        # half-open first, so a point on a seam goes where the pixel under it goes; then
        # closed, for points on a piece's far edge that no other piece holds
        for closed in (False, True):
            for piece in self.pieces:
                hit = todo & piece.contains(pts, closed)
                if hit.any():
                    out[hit] = piece.map(pts[hit])
                    todo &= ~hit
        return out


class PiecewiseWarp(GridWarp):
    """A GridWarp defined by pieces. Its sampling grid and ``owner`` map (the piece each
    output pixel samples, -1 for none) are built on first use: a warp of whole-pixel
    shifts (a grid shuffle) moves rasters by copying and never needs them."""

    # set once through object.__setattr__ (GridWarp is a frozen dataclass)
    pieces: tuple[Piece, ...]
    _size: tuple[int, int]
    _mirrors: bool
    _grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    _moves: list[tuple[tuple[int, int, int, int], tuple[int, int]]] | None

    def __init__(self, pieces: Sequence[Piece], out_size: tuple[int, int]):
        pieces = tuple(pieces)
        if not pieces:
            raise ValueError("a piecewise warp needs at least one piece")
        orientations = {bool(np.linalg.det(p.matrix[:2, :2]) < 0) for p in pieces}
        if len(orientations) > 1:
            raise ValueError("pieces must all keep, or all reverse, orientation")
        size = (int(out_size[0]), int(out_size[1]))
        for key, value in (
            ("pieces", pieces),
            ("_size", size),
            ("_mirrors", orientations.pop()),
            ("_grid", None),
        ):
            object.__setattr__(self, key, value)

    def __repr__(self) -> str:
        return f"PiecewiseWarp({len(self.pieces)} pieces, out_size={self.out_size})"

    @property
    def out_size(self) -> tuple[int, int]:
        return self._size

    @property
    def mirrors(self) -> bool:
        return self._mirrors

    @property
    def point_map(self) -> PiecewisePointMap:
        return PiecewisePointMap(self.pieces)

    @property
    def map_x(self) -> np.ndarray:
        return self._built()[0]

    @property
    def map_y(self) -> np.ndarray:
        return self._built()[1]

    @property
    def owner(self) -> np.ndarray:
        return self._built()[2]

    def _built(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._grid is None:
            width, height = self._size
            map_x = np.full((height, width), _UNREACHED, dtype=np.float32)
            map_y = np.full((height, width), _UNREACHED, dtype=np.float32)
            owner = np.full((height, width), -1, dtype=np.int32)
            for k, piece in enumerate(self.pieces):
                _paint_piece(piece, k, map_x, map_y, owner)
            object.__setattr__(self, "_grid", (map_x, map_y, owner))
        assert self._grid is not None
        return self._grid

    def area_scale(self, window: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Input area per output pixel over ``window`` = (x0, y0, x1, y1) (whole canvas if None)."""
        width, height = self.out_size
        x0, y0, x1, y1 = window if window is not None else (0, 0, width, height)
        scales = [p.area_scale for p in self.pieces]
        if self.whole_pixel_moves() is not None:
            return np.ones((y1 - y0, x1 - x0))  # pure shifts tiling the canvas
        table = np.array(scales + [0.0])
        return table[self.owner[y0:y1, x0:x1]]  # owner -1 reads the trailing 0

    def whole_pixel_moves(self) -> list[tuple[tuple[int, int, int, int], tuple[int, int]]] | None:
        """[(source window, output corner)] when every piece is a whole-pixel shift of an
        integer rectangle and the moved rectangles tile the output exactly; else None."""
        if "_moves" not in self.__dict__:
            object.__setattr__(self, "_moves", self._find_whole_pixel_moves())
        return self._moves

    def _find_whole_pixel_moves(self):
        matrices = np.stack([p.matrix for p in self.pieces])
        sources = np.array([p.source for p in self.pieces])
        shifts = matrices[:, :2, 2]
        exact = (
            np.abs(matrices[:, :2, :2] - np.eye(2)).max() < 1e-9
            and np.abs(shifts - np.round(shifts)).max() < 1e-9
            and np.abs(sources - np.round(sources)).max() < 1e-9
        )
        if not exact:
            return None
        sources = np.round(sources).astype(np.int64)
        shifts = np.round(shifts).astype(np.int64)
        t = sources + np.concatenate([shifts, shifts], axis=1)  # output rectangles
        width, height = self.out_size
        if (t[:, :2] < 0).any() or (t[:, 2] > width).any() or (t[:, 3] > height).any():
            return None
        overlap_w = np.minimum(t[:, None, 2], t[None, :, 2]) - np.maximum(t[:, None, 0], t[None, :, 0])
        overlap_h = np.minimum(t[:, None, 3], t[None, :, 3]) - np.maximum(t[:, None, 1], t[None, :, 1])
        overlaps = (overlap_w > 0) & (overlap_h > 0)
        np.fill_diagonal(overlaps, False)
        area = int(((t[:, 2] - t[:, 0]) * (t[:, 3] - t[:, 1])).sum())
        if overlaps.any() or area != width * height:
            return None
        return [(tuple(int(v) for v in src), (int(o[0]), int(o[1]))) for src, o in zip(sources, t[:, :2])]


def piecewise_warp(pieces: Sequence[Piece], out_size: tuple[int, int]) -> PiecewiseWarp:
    """The warp moving each piece with its matrix onto an ``out_size`` canvas."""
    return PiecewiseWarp(pieces, out_size)


def _paint_piece(piece: Piece, index: int, map_x: np.ndarray, map_y: np.ndarray, owner: np.ndarray) -> None:
    """Claim the unclaimed output pixels whose centres the piece's source covers (half-open)."""
    height, width = owner.shape
    x0, y0, x1, y1 = piece.source
    corners = piece.map(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    lo = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [width, height])
    hi = np.clip(np.ceil(corners.max(axis=0)).astype(int), 0, [width, height])
    if (hi <= lo).any():
        return
    inverse = np.linalg.inv(piece.matrix)
    if inverse[0, 1] == 0.0 and inverse[1, 0] == 0.0:
        # axis-aligned (shifts, scales, flips): source x depends on x only, y on y only
        sx = inverse[0, 0] * (np.arange(lo[0], hi[0]) + 0.5) + inverse[0, 2]
        sy = inverse[1, 1] * (np.arange(lo[1], hi[1]) + 0.5) + inverse[1, 2]
        cols = np.flatnonzero((sx >= x0) & (sx < x1))
        rows = np.flatnonzero((sy >= y0) & (sy < y1))
        if len(cols) == 0 or len(rows) == 0:
            return
        window = (slice(lo[1] + rows[0], lo[1] + rows[-1] + 1), slice(lo[0] + cols[0], lo[0] + cols[-1] + 1))
        free = owner[window] < 0
        owner[window][free] = index
        map_x[window] = np.where(free, sx[cols].astype(np.float32)[None, :], map_x[window])
        map_y[window] = np.where(free, sy[rows].astype(np.float32)[:, None], map_y[window])
        return
    ys, xs = np.mgrid[lo[1] : hi[1], lo[0] : hi[0]] + 0.5
    sx = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    sy = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    mine = (sx >= x0) & (sx < x1) & (sy >= y0) & (sy < y1)
    window = (slice(lo[1], hi[1]), slice(lo[0], hi[0]))
    mine &= owner[window] < 0
    owner[window][mine] = index
    map_x[window][mine] = sx[mine]
    map_y[window][mine] = sy[mine]


def map_polygon(polygon: Sequence, warp: PiecewiseWarp) -> tuple[list[np.ndarray], float]:
    """The polygon's parts clipped to each piece and moved with it, and the input area
    that no piece holds (lost: it has no place in the output)."""
    parts: list[np.ndarray] = []
    placed = 0.0
    rings = [as_ring(r) for r in polygon if len(r) >= 3]
    for ring in rings:
        if not np.isfinite(ring).all():
            continue
        lo, hi = ring.min(axis=0), ring.max(axis=0)
        for piece in warp.pieces:
            x0, y0, x1, y1 = piece.source
            if lo[0] >= x1 or hi[0] <= x0 or lo[1] >= y1 or hi[1] <= y0:
                continue
            offset = np.array([x0, y0])
            clipped = clip_ring_to_rect(ring - offset, x1 - x0, y1 - y0)
            if clipped is None:
                continue
            clipped = clipped + offset
            placed += ring_area(clipped)
            parts.append(piece.map(clipped))
    lost = max(0.0, polygon_area(rings) - placed)
    return parts, lost


def map_boxes(boxes: np.ndarray, warp: PiecewiseWarp) -> np.ndarray:
    """The box around each box's pieces moved with their pieces; NaN rows when none is placed."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.full_like(b, np.nan)
    for piece in warp.pieces:
        x0, y0, x1, y1 = piece.source
        cut = np.stack(
            [
                np.maximum(b[:, 0], x0),
                np.maximum(b[:, 1], y0),
                np.minimum(b[:, 2], x1),
                np.minimum(b[:, 3], y1),
            ],
            axis=1,
        )
        hit = (cut[:, 2] >= cut[:, 0]) & (cut[:, 3] >= cut[:, 1])
        # a box touching a piece only along an edge is placed only if no piece holds more of it
        inside = (
            hit
            & ((cut[:, 2] > cut[:, 0]) | (b[:, 2] == b[:, 0]))
            & ((cut[:, 3] > cut[:, 1]) | (b[:, 3] == b[:, 1]))
        )
        if not inside.any():
            continue
        c = cut[inside]
        corners = np.stack([c[:, [0, 1]], c[:, [2, 1]], c[:, [2, 3]], c[:, [0, 3]]], axis=1)
        moved = piece.map(corners.reshape(-1, 2)).reshape(-1, 4, 2)
        rows = np.flatnonzero(inside)
        lo, hi = moved.min(axis=1), moved.max(axis=1)
        out[rows, :2] = np.fmin(out[rows, :2], lo)
        out[rows, 2:] = np.fmax(out[rows, 2:], hi)
    return out
