"""The two kinds of geometry a geometric op can declare.

A ``MatrixWarp`` maps continuous input coordinates to output coordinates with
a 3x3 matrix (flip, rotate, affine, perspective, crop, pad, resize). A
``GridWarp`` gives, for every output pixel centre, the continuous input
coordinate to sample (elastic, grid distortion); points move through its
inverse, computed by ``geometry.points.invert_grid`` unless the op supplies
an exact ``point_map`` (a picklable module-level function). Where a grid folds
over itself, labels take the raster path (``geometry.folds``); an op whose grid
is monotone by construction says ``may_fold=False`` and skips the check.

A discontinuous warp (a grid shuffle) is a ``geometry.piecewise.PiecewiseWarp``:
a GridWarp that also knows its pieces, so polygons are cut along the seams.

``geometry.apply.apply_warp`` applies any of them to every target of a sample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

import numpy as np


@dataclass(frozen=True, eq=False)
class MatrixWarp:
    matrix: np.ndarray  # (3, 3) float64, continuous input -> output
    out_size: tuple[int, int]  # (width, height)

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=np.float64).reshape(3, 3)
        object.__setattr__(self, "matrix", m)
        object.__setattr__(self, "out_size", (int(self.out_size[0]), int(self.out_size[1])))

    @property
    def is_affine(self) -> bool:
        # np.allclose(self.matrix[2], [0, 0, 1]) (rtol 1e-5, atol 1e-8) written out: it is asked often
        a, b, c = (float(v) for v in self.matrix[2])
        return abs(a) <= 1e-8 and abs(b) <= 1e-8 and abs(c - 1.0) <= 1e-8 + 1e-5

    @property
    def mirrors(self) -> bool:
        """True when the warp reverses orientation (left and right swap)."""
        return bool(np.linalg.det(self.matrix[:2, :2]) < 0)

    def then(self, other: MatrixWarp) -> MatrixWarp:
        """This warp followed by ``other``, fused into one."""
        return MatrixWarp(other.matrix @ self.matrix, other.out_size)


@dataclass(frozen=True, eq=False)
class GridWarp:
    map_x: np.ndarray  # (H_out, W_out) float32, continuous input x per output pixel centre
    map_y: np.ndarray  # (H_out, W_out) float32
    point_map: Callable[[np.ndarray], np.ndarray] | None = None  # (N, 2) in -> (N, 2) out
    mirrors: bool = False
    may_fold: bool = True  # False: the op guarantees a monotone grid (no fold check needed)

    @property
    def out_size(self) -> tuple[int, int]:
        return int(self.map_x.shape[1]), int(self.map_x.shape[0])


Warp = Union[MatrixWarp, GridWarp]  # noqa: UP007 (a runtime alias; X | Y needs 3.10 objects)


def translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def scaling(sx: float, sy: float) -> np.ndarray:
    return np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


def rotation_about(angle_deg: float, cx: float, cy: float) -> np.ndarray:
    """Rotate by ``angle_deg`` counter-clockwise as seen on screen (y down), about (cx, cy)."""
    a = np.deg2rad(angle_deg)
    c, s = np.cos(a), np.sin(a)
    rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    return translation(cx, cy) @ rot @ translation(-cx, -cy)
