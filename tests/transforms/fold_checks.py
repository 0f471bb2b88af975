"""Pixel checks for warps that fold (the image shows part of itself twice).

A folded dot is not one blob: its centroid says nothing about where its
keypoint belongs. So the op also warps a *coordinate image* (each pixel holds
its own input centre x, y, resampled bilinearly, which reproduces the
sampling grid exactly): the output pixels then say which input point they
show. Every place where they show a keypoint's input point is a copy of it;
the keypoint rule (top-most upright copy, then left-most) picks one, and the
label must sit there. All of this reads pixels only, never the label code.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from augcli.core.sample import Instances, Sample

_FILL = -1000.0  # coordinate of pixels that sample outside the input
_NEWTON_STEPS = 25
_CONVERGED_PX = 0.02
_SAME_COPY_PX = 0.5


def warped_coordinates(op, width: int, height: int) -> np.ndarray:
    """(H', W', 2) float: the input point each output pixel centre shows (NaN outside the input)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + np.float32(0.5)
    image = np.dstack([xs, ys])
    linear = dataclasses.replace(op, interpolation=1, border_mode=0, fill=_FILL)
    out = linear.apply(Sample(image=image, instances=Instances.empty(), meta={})).image.astype(np.float64)
    inside = (out[..., 0] >= 0.5 - 1e-3) & (out[..., 0] <= width - 0.5 + 1e-3)
    inside &= (out[..., 1] >= 0.5 - 1e-3) & (out[..., 1] <= height - 0.5 + 1e-3)
    out[~inside] = np.nan
    return out


def reversed_pixels(coords: np.ndarray) -> np.ndarray:
    """(H', W') bool: output pixels where the pixels run backwards (negative Jacobian)."""
    (xr, xc), (yr, yc) = np.gradient(coords[..., 0]), np.gradient(coords[..., 1])
    det = xc * yr - xr * yc
    return np.nan_to_num(det, nan=1.0) < 0


def _sample(coords: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear value (2,) and Jacobian (2, 2) of the coordinate image at output point q."""
    height, width = coords.shape[:2]
    u, v = q[0] - 0.5, q[1] - 0.5
    j = int(np.clip(np.floor(u), 0, width - 2))
    i = int(np.clip(np.floor(v), 0, height - 2))
    fu, fv = u - j, v - i
    a, b, c, d = coords[i, j], coords[i, j + 1], coords[i + 1, j], coords[i + 1, j + 1]
    value = (1 - fv) * ((1 - fu) * a + fu * b) + fv * ((1 - fu) * c + fu * d)
    jac = np.stack([(1 - fv) * (b - a) + fv * (d - c), (1 - fu) * (c - a) + fu * (d - b)], axis=1)
    return value, jac


def copies(coords: np.ndarray, point: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    """Every output position whose pixels show input ``point``, with True where upright."""
    residual = np.hypot(coords[..., 0] - point[0], coords[..., 1] - point[1])
    (xr, xc), (yr, yc) = np.gradient(coords[..., 0]), np.gradient(coords[..., 1])
    step = np.abs(np.stack([xr, xc, yr, yc])).max(axis=0)  # NaN next to outside pixels
    near = np.nan_to_num(residual <= 1.5 * np.nan_to_num(step, nan=0.0) + 0.75, nan=0.0).astype(np.uint8)
    count, labels = cv2.connectedComponents(near, connectivity=8)
    found: list[tuple[np.ndarray, bool]] = []
    for k in range(1, count):
        rows, cols = np.nonzero(labels == k)
        for start in np.argsort(residual[rows, cols])[:8]:  # a group may hold a copy on each side of a crease
            q = np.array([cols[start] + 0.5, rows[start] + 0.5])
            for _ in range(_NEWTON_STEPS):
                value, jac = _sample(coords, q)
                if not np.isfinite(value).all() or abs(np.linalg.det(jac)) < 1e-9:
                    break
                error = value - point
                if np.hypot(*error) < _CONVERGED_PX:
                    if all(np.hypot(*(q - other)) >= _SAME_COPY_PX for other, _ in found):
                        found.append((q.copy(), bool(np.linalg.det(jac) > 0)))
                    break
                q = q - np.linalg.solve(jac, error)
    return found


def expected_copy(found: list[tuple[np.ndarray, bool]]) -> np.ndarray | None:
    """The documented keypoint rule: the top-most upright copy (then left-most), else the top-most."""
    if not found:
        return None
    pool = [q for q, upright in found if upright] or [q for q, _ in found]
    return min(pool, key=lambda q: (q[1], q[0]))


def folded_pixels(coords: np.ndarray, margin: int = 1) -> np.ndarray:
    """Reversed pixels and the ``margin`` pixels around them."""
    size = 2 * margin + 1
    return cv2.dilate(reversed_pixels(coords).astype(np.uint8), np.ones((size, size), np.uint8)).astype(bool)
