"""Mesh warps: PiecewiseAffine and GridElasticDeform.

Both lay a regular grid of vertices over the output and give each vertex the
input position it samples. Between vertices the map is interpolated:

- PiecewiseAffine: each grid cell is cut into two triangles along its
  anti-diagonal and each triangle is one affine map. The forward map
  (input -> output) is exact: find the input triangle holding the point,
  keep its barycentric weights. Points outside every input triangle use the
  nearest triangle's affine map, which sends them off the canvas.
- GridElasticDeform: bilinear inside each cell (continuous, no triangles);
  points move through the numerically inverted sampling grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.geometry.warp import GridWarp
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import ResampledOp, require, resampling_of, resampling_params
from augcli.transforms.geometric.distortion import KEYPOINT_REMAPPING
from augcli.transforms.params import Param

_CHUNK = 4096  # points per barycentric batch (memory: chunk x triangles)


def vertex_grid(width: int, height: int, cols: int, rows: int) -> np.ndarray:
    """(rows, cols, 2) output positions of a regular grid spanning the canvas."""
    xs = np.linspace(0.0, float(width), cols)
    ys = np.linspace(0.0, float(height), rows)
    return np.stack(np.meshgrid(xs, ys), axis=2)


def _cell_coordinates(n: int, size: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell index and fraction within the cell of the pixel centres along one axis."""
    t = (np.arange(n, dtype=np.float64) + 0.5) * cells / size
    index = np.clip(np.floor(t), 0, cells - 1).astype(np.int64)
    return index, t - index


def sample_mesh(
    sources: np.ndarray, width: int, height: int, triangles: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Sampling grid (map_x, map_y) of a mesh whose vertex (r, c) samples ``sources[r, c]``.

    Bilinear inside a cell is done separably (along x on the vertex rows, then
    along y); a triangle split differs from it by ``(max(fu + fv - 1, 0) -
    fu fv) * (p11 - p10 - p01 + p00)``.
    """
    rows, cols = sources.shape[:2]
    ci, fu = _cell_coordinates(width, width, cols - 1)
    ri, fv = _cell_coordinates(height, height, rows - 1)
    fu, fv = fu.astype(np.float32)[None, :], fv.astype(np.float32)[:, None]
    if triangles:
        weight = np.maximum(fu + fv - 1, 0) - fu * fv  # (H, W)
    maps = []
    for axis in (0, 1):  # one plane at a time
        v = np.ascontiguousarray(sources[..., axis], dtype=np.float32)
        along_x = v[:, ci] * (1 - fu) + v[:, ci + 1] * fu  # (rows, W)
        plane = along_x[ri] * (1 - fv) + along_x[ri + 1] * fv  # (H, W)
        if triangles:
            twist = v[1:, 1:] - v[1:, :-1] - v[:-1, 1:] + v[:-1, :-1]  # per cell
            plane += twist[:, ci][ri] * weight
        maps.append(plane)
    return maps[0], maps[1]


@dataclass(frozen=True, eq=False)
class TriangleMeshMap:
    """Exact forward map of a triangle mesh (picklable): input triangles -> output triangles."""

    inputs: np.ndarray  # (T, 3, 2) input vertices of each triangle
    outputs: np.ndarray  # (T, 3, 2) the output vertices they move to

    @classmethod
    def from_grid(cls, sources: np.ndarray, targets: np.ndarray) -> TriangleMeshMap:
        """Cut every cell into the two triangles ``sample_mesh`` uses."""

        def split(v):
            a, b, c, d = v[:-1, :-1], v[:-1, 1:], v[1:, :-1], v[1:, 1:]  # 00, 10, 01, 11
            first = np.stack([a, b, c], axis=2).reshape(-1, 3, 2)
            second = np.stack([d, c, b], axis=2).reshape(-1, 3, 2)
            return np.concatenate([first, second])

        return cls(split(np.asarray(sources, float)), split(np.asarray(targets, float)))

    def __call__(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        out = np.full_like(pts, np.nan)
        a, b, c = self.inputs[:, 0], self.inputs[:, 1], self.inputs[:, 2]
        e1, e2 = b - a, c - a
        det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        usable = np.abs(det) > 1e-12
        safe = np.where(usable, det, 1.0)
        for start in range(0, len(pts), _CHUNK):
            p = pts[start : start + _CHUNK]
            d = p[:, None, :] - a[None]  # (N, T, 2)
            wb = (d[..., 0] * e2[:, 1] - d[..., 1] * e2[:, 0]) / safe
            wc = (e1[:, 0] * d[..., 1] - e1[:, 1] * d[..., 0]) / safe
            weights = np.stack([1 - wb - wc, wb, wc], axis=2)  # (N, T, 3)
            worst = np.where(usable, weights.min(axis=2), -np.inf)
            best = worst.argmax(axis=1)  # inside if worst >= 0
            rows = np.arange(len(p))
            w = weights[rows, best]
            out[start : start + _CHUNK] = np.einsum("nk,nkd->nd", w, self.outputs[best])
        out[~np.isfinite(pts).all(axis=1)] = np.nan
        return out


@dataclass(frozen=True, kw_only=True)
class MeshOp(ResampledOp):
    """A mesh of ``rows x cols`` vertices; ``sources`` gives the input position of each."""

    seed: int

    def sources(self, width: int, height: int) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class PiecewiseAffineOp(MeshOp):
    name: ClassVar[str] = "PiecewiseAffine"
    rows: int
    cols: int
    scale: float
    absolute_scale: bool = False

    def sources(self, width: int, height: int) -> np.ndarray:
        grid = vertex_grid(width, height, self.cols, self.rows)
        jitter = np.random.default_rng(self.seed).normal(0.0, self.scale, grid.shape)
        if not self.absolute_scale:
            jitter *= np.array([width, height], dtype=np.float64)
        return np.clip(grid + jitter, 0.0, [float(width), float(height)])

    def warp(self, width: int, height: int) -> GridWarp:
        sources = self.sources(width, height)
        map_x, map_y = sample_mesh(sources, width, height, triangles=True)
        targets = vertex_grid(width, height, self.cols, self.rows)
        return GridWarp(map_x=map_x, map_y=map_y, point_map=TriangleMeshMap.from_grid(sources, targets))


@dataclass(frozen=True, kw_only=True)
class GridElasticDeformOp(MeshOp):
    name: ClassVar[str] = "GridElasticDeform"
    cells_x: int
    cells_y: int
    magnitude: int

    def sources(self, width: int, height: int) -> np.ndarray:
        grid = vertex_grid(width, height, self.cells_x + 1, self.cells_y + 1)
        rng = np.random.default_rng(self.seed)
        shift = rng.integers(-self.magnitude, self.magnitude + 1, grid.shape).astype(np.float64)
        # border vertices slide along their border, corners stay: the canvas stays covered
        shift[[0, -1], :, 1] = 0.0
        shift[:, [0, -1], 0] = 0.0
        return np.clip(grid + shift, 0.0, [float(width), float(height)])

    def warp(self, width: int, height: int) -> GridWarp:
        map_x, map_y = sample_mesh(self.sources(width, height), width, height, triangles=False)
        return GridWarp(map_x=map_x, map_y=map_y)


def _count_range(value, name: str) -> tuple[int, int]:
    lo, hi = value
    require(lo >= 2, f"{name} must be at least 2", name)
    return int(lo), int(hi)


@register
class PiecewiseAffine(Transform):
    """Jitter a regular grid of points and warp each triangle between them affinely."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "scale",
            "range",
            (0.03, 0.05),
            "range of the standard deviation of each point's jitter, as a fraction of the "
            "image size (pixels with absolute_scale); a number x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "nb_rows",
            "int_range",
            (4, 4),
            "range of the number of grid rows (>= 2); a number means exactly that many",
            low=2,
        ),
        Param(
            "nb_cols",
            "int_range",
            (4, 4),
            "range of the number of grid columns (>= 2); a number means exactly that many",
            low=2,
        ),
        *resampling_params(),
        Param("absolute_scale", "bool", False, "scale is in pixels instead of a fraction"),
        KEYPOINT_REMAPPING,
    )
    example = "- PiecewiseAffine: {scale: [0.02, 0.04], nb_rows: 4, nb_cols: 4, p: 0.3}"
    deviations = (
        "Jittered points are clipped to the image, as in Albumentations; each cell is "
        "split into two triangles along its anti-diagonal. keypoint_remapping_method "
        "is accepted but keypoints always move through the exact inverse of the "
        "triangle mesh. mask_interpolation is always nearest. fill_mask defaults to "
        "the ignore index."
    )

    # parameters, set from the recipe by Transform and normalised by check()
    nb_rows: Any
    nb_cols: Any

    def check(self) -> None:
        self.nb_rows = _count_range(self.nb_rows, "nb_rows")
        self.nb_cols = _count_range(self.nb_cols, "nb_cols")

    def make_op(self, rng, ctx):
        scale = float(rng.uniform(*self.scale))
        rows = int(rng.integers(self.nb_rows[0], self.nb_rows[1] + 1))
        cols = int(rng.integers(self.nb_cols[0], self.nb_cols[1] + 1))
        seed = int(rng.integers(0, 2**63 - 1))
        return PiecewiseAffineOp(
            seed=seed,
            rows=rows,
            cols=cols,
            scale=scale,
            absolute_scale=self.absolute_scale,
            **resampling_of(self),
        )


@register
class GridElasticDeform(Transform):
    """Move the vertices of a coarse grid by random whole pixels and bend the image with them."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param(
            "num_grid_xy",
            "int_range",
            None,
            "number of grid cells [along x, along y] (> 1 each)",
            low=2,
            ordered=False,
        ),
        Param("magnitude", "int", None, "largest vertex displacement in pixels", low=1),
        *resampling_params(),
    )
    example = "- GridElasticDeform: {num_grid_xy: [4, 4], magnitude: 10, p: 0.5}"
    deviations = (
        "Cells are interpolated bilinearly between their displaced corners; interior "
        "vertices move up to magnitude pixels in x and y, border vertices slide along "
        "the border and corners stay, so the canvas stays covered. border_mode, fill "
        "and fill_mask are additions. mask_interpolation is always nearest."
    )

    def check(self) -> None:
        require(self.num_grid_xy is not None, "GridElasticDeform needs num_grid_xy", "num_grid_xy")
        require(self.magnitude is not None, "GridElasticDeform needs magnitude", "magnitude")

    def make_op(self, rng, ctx):
        cells_x, cells_y = self.num_grid_xy
        return GridElasticDeformOp(
            seed=int(rng.integers(0, 2**63 - 1)),
            cells_x=cells_x,
            cells_y=cells_y,
            magnitude=self.magnitude,
            **resampling_of(self),
        )
