"""Moving points (keypoints, polygon vertices, box corners) through a warp.

``map_points`` returns NaN for a point it cannot place (behind a
perspective's horizon, or where a grid's inverse does not converge);
callers treat NaN as outside the canvas. An op's exact point map is trusted
where the sampling grid agrees with it (within a pixel).
"""

from __future__ import annotations

import numpy as np

from augcli.geometry.piecewise import PiecewiseWarp
from augcli.geometry.warp import MatrixWarp, Warp

_TOLERANCE_PX = 1e-3  # residual in input pixels at which the grid inverse stops
_MAX_ITERATIONS = 30
_COARSE_SAMPLES = 64  # per side, for the fallback starting guess
_POINT_MAP_TOLERANCE_PX = 1.0  # an exact point map and the grid agree far closer than this


def map_points(points: np.ndarray, warp: Warp) -> np.ndarray:
    """(N, 2) continuous input coordinates -> (N, 2) output coordinates (NaN = unplaceable)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return pts.copy()
    if isinstance(warp, MatrixWarp):
        return _map_matrix(pts, warp.matrix)
    if warp.point_map is not None and isinstance(warp, PiecewiseWarp):
        return np.asarray(warp.point_map(pts), dtype=np.float64).reshape(-1, 2)  # seams: exact per piece
    if warp.point_map is not None:
        return _checked_point_map(warp, pts)
    return invert_grid(warp.map_x, warp.map_y, pts)


def _checked_point_map(warp, pts: np.ndarray) -> np.ndarray:
    """The op's exact forward map, checked against the sampling grid that moves the pixels:
    a point it puts on the canvas where the grid samples elsewhere (a mesh's extrapolation
    beyond its input triangles, at strong settings) moves through the inverted grid instead."""
    mapped = np.array(warp.point_map(pts), dtype=np.float64).reshape(-1, 2)  # a copy: fixed in place
    width, height = warp.out_size
    x, y = mapped[:, 0], mapped[:, 1]
    on_canvas = np.isfinite(mapped).all(axis=1) & (x >= 0) & (x <= width) & (y >= 0) & (y <= height)
    if not on_canvas.any() or min(width, height) < 2:
        return mapped
    sampled, _ = sample_grid((np.asarray(warp.map_x), np.asarray(warp.map_y)), mapped[on_canvas])
    wrong = np.flatnonzero(on_canvas)[np.hypot(*(sampled - pts[on_canvas]).T) > _POINT_MAP_TOLERANCE_PX]
    if len(wrong):
        mapped[wrong] = invert_grid(warp.map_x, warp.map_y, pts[wrong])
    return mapped


def _map_matrix(pts: np.ndarray, m: np.ndarray) -> np.ndarray:
    out = pts @ m[:2, :2].T + m[:2, 2]
    if m[2, 0] == 0.0 and m[2, 1] == 0.0 and m[2, 2] == 1.0:  # np.array_equal(m[2], [0, 0, 1]), cheaper
        return out
    w = pts @ m[2, :2] + m[2, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = out / w[:, None]
    out[w <= 1e-12] = np.nan  # behind the horizon: no image there
    return out


def invert_grid(map_x: np.ndarray, map_y: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Find, for each input point p, the output position q with grid(q) = p.

    ``grid`` is the sampling grid of a GridWarp: ``map_x/map_y[i, j]`` is the
    input coordinate sampled at output pixel centre ``(j + 0.5, i + 0.5)``,
    interpolated bilinearly between centres (and extrapolated linearly past
    the outer centres, so points just outside the canvas still land just
    outside it). Newton iterations start from ``2p - grid(p)`` (one
    fixed-point step, exact for a constant shift); points that do not
    converge restart from the nearest sample of a coarse forward grid. Points
    that still fail (folded grids) come back as NaN.
    """
    grids = (np.asarray(map_x), np.asarray(map_y))  # gathered per point, never copied whole
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return pts.copy()
    good = np.isfinite(pts).all(axis=1)
    out = np.full_like(pts, np.nan)
    if not good.any():
        return out
    p = pts[good]
    start = 2.0 * p - sample_grid(grids, p)[0]
    q, done = newton_inverse(grids, p, start)
    if not done.all():
        retry = np.flatnonzero(~done)
        q2, done2 = newton_inverse(grids, p[retry], _coarse_guess(grids, p[retry]))
        q[retry[done2]] = q2[done2]
        done[retry[done2]] = True
    q[~done] = np.nan
    out[good] = q
    return out


def newton_inverse(grids: tuple, p: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    height, width = grids[0].shape
    lo = np.array([-float(width), -float(height)])
    hi = np.array([2.0 * width, 2.0 * height])
    q = np.clip(start, lo, hi)
    done = np.zeros(len(p), dtype=bool)
    active = np.arange(len(p))
    for _ in range(_MAX_ITERATIONS):
        value, jac = sample_grid(grids, q[active])
        residual = value - p[active]
        converged = np.hypot(residual[:, 0], residual[:, 1]) < _TOLERANCE_PX
        done[active[converged]] = True
        keep = ~converged
        active, residual, jac = active[keep], residual[keep], jac[keep]
        if len(active) == 0:
            break
        det = jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0]
        singular = np.abs(det) < 1e-9
        safe = np.where(singular, 1.0, det)
        step = np.stack(
            [
                (jac[:, 1, 1] * residual[:, 0] - jac[:, 0, 1] * residual[:, 1]) / safe,
                (-jac[:, 1, 0] * residual[:, 0] + jac[:, 0, 0] * residual[:, 1]) / safe,
            ],
            axis=1,
        )
        step[singular] = residual[singular]  # fall back to a fixed-point step
        q[active] = np.clip(q[active] - step, lo, hi)
    return q, done


def sample_grid(grids: tuple, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear grid value (N, 2) and Jacobian (N, 2, 2) [d(value) / d(x, y)] at output points q."""
    map_x, map_y = grids
    height, width = map_x.shape
    u = q[:, 0] - 0.5  # index space: centres at integers
    v = q[:, 1] - 0.5
    j0 = np.clip(np.floor(u), 0, max(width - 2, 0)).astype(np.int64)
    i0 = np.clip(np.floor(v), 0, max(height - 2, 0)).astype(np.int64)
    j1 = np.minimum(j0 + 1, width - 1)
    i1 = np.minimum(i0 + 1, height - 1)
    fu = (u - j0)[:, None]  # outside [0, 1] past the border: extrapolate
    fv = (v - i0)[:, None]
    corners = [
        np.stack([map_x[i, j], map_y[i, j]], axis=1).astype(np.float64)
        for i, j in ((i0, j0), (i0, j1), (i1, j0), (i1, j1))
    ]
    a, b, c, d = corners
    value = (1 - fv) * ((1 - fu) * a + fu * b) + fv * ((1 - fu) * c + fu * d)
    d_du = (1 - fv) * (b - a) + fv * (d - c)
    d_dv = (1 - fu) * (c - a) + fu * (d - b)
    jac = np.stack([d_du, d_dv], axis=2)  # jac[n, k, 0] = d value_k / dx
    return value, jac


def _coarse_guess(grids: tuple, p: np.ndarray) -> np.ndarray:
    """For each p, the coarse output sample whose grid value is nearest to p."""
    map_x, map_y = grids
    height, width = map_x.shape
    rows = np.unique(np.linspace(0, height - 1, min(height, _COARSE_SAMPLES)).round().astype(int))
    cols = np.unique(np.linspace(0, width - 1, min(width, _COARSE_SAMPLES)).round().astype(int))
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    values = np.stack([map_x[rr, cc].ravel(), map_y[rr, cc].ravel()], axis=1).astype(np.float64)
    centres = np.stack([cc.ravel() + 0.5, rr.ravel() + 0.5], axis=1)
    guesses = np.empty_like(p)
    chunk = max(1, 2_000_000 // len(values))  # bound the distance matrix's memory
    for s in range(0, len(p), chunk):
        block = p[s : s + chunk]
        dist = ((block[:, None, :] - values[None, :, :]) ** 2).sum(axis=2)
        guesses[s : s + chunk] = centres[dist.argmin(axis=1)]
    return guesses
