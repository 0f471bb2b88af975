"""OpticalDistortion: radial lens distortion (barrel for k > 0, pincushion for k < 0).

Each output pixel at normalised radius ``s`` from the centre samples the
input at radius ``s * (1 + k1 s^2 + k2 s^4)`` along the same direction:

- ``camera`` (OpenCV's camera model with k1 = k2 = k, as Albumentations uses
  it): offsets normalised by the image width and height;
- ``fisheye``: ``k1 = k``, ``k2 = 0``, offsets normalised by half the image
  diagonal.

The forward map (input -> output) solves the radial polynomial exactly per
point (Newton on a monotone function), so keypoints and polygon vertices
need no grid inversion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from augcli.geometry.warp import GridWarp
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import ResampledOp, resampling_of, resampling_params
from augcli.transforms.geometric.distortion import KEYPOINT_REMAPPING
from augcli.transforms.params import Param

_NEWTON_STEPS = 50
_RADIUS_TOLERANCE = 1e-10


@dataclass(frozen=True)
class RadialMap:
    """Input point -> output point of a radial distortion (picklable)."""

    cx: float
    cy: float
    norm_x: float
    norm_y: float
    k1: float
    k2: float

    def factor(self, s2: np.ndarray | float) -> np.ndarray | float:
        return 1.0 + self.k1 * s2 + self.k2 * s2 * s2

    def fold_radius(self) -> float:
        """Smallest normalised radius where the map stops growing (inf if never)."""
        # d/ds [s (1 + k1 s^2 + k2 s^4)] = 1 + 3 k1 u + 5 k2 u^2 with u = s^2
        roots = (
            np.roots([5.0 * self.k2, 3.0 * self.k1, 1.0])
            if self.k2
            else (np.array([-1.0 / (3.0 * self.k1)]) if self.k1 else np.array([]))
        )
        positive = [r.real for r in np.atleast_1d(roots) if abs(r.imag) < 1e-12 and r.real > 0]
        return math.sqrt(min(positive)) if positive else math.inf

    def __call__(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        nx = (pts[:, 0] - self.cx) / self.norm_x
        ny = (pts[:, 1] - self.cy) / self.norm_y
        r = np.hypot(nx, ny)  # input radius = s * factor(s^2)
        limit = self.fold_radius()
        s = np.minimum(r, limit) if math.isfinite(limit) else r.copy()
        for _ in range(_NEWTON_STEPS):
            s2 = s * s
            value = s * self.factor(s2) - r
            slope = 1.0 + 3.0 * self.k1 * s2 + 5.0 * self.k2 * s2 * s2
            s = s - value / np.where(np.abs(slope) > 1e-12, slope, 1e-12)
            s = np.clip(s, 0.0, limit)
        placed = np.abs(s * self.factor(s * s) - r) < _RADIUS_TOLERANCE * np.maximum(1.0, r)
        if math.isfinite(limit):
            # No output pixel samples these (pincushion): continue the map monotonically
            # beyond the fold, which lies past the canvas corners, so they land outside.
            peak = limit * float(self.factor(limit * limit))
            beyond = r >= peak
            s[beyond] = limit * r[beyond] / peak
            placed |= beyond
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(r > 0, s / r, 1.0 / self.factor(0.0))
        out = np.stack([self.cx + nx * ratio * self.norm_x, self.cy + ny * ratio * self.norm_y], 1)
        out[~placed | ~np.isfinite(pts).all(axis=1)] = np.nan
        return out


def radial_map(mode: str, k: float, width: int, height: int) -> RadialMap:
    if mode == "camera":
        return RadialMap(width / 2.0, height / 2.0, float(width), float(height), k, k)
    half_diagonal = math.hypot(width / 2.0, height / 2.0)
    return RadialMap(width / 2.0, height / 2.0, half_diagonal, half_diagonal, k, 0.0)


@dataclass(frozen=True, kw_only=True)
class OpticalDistortionOp(ResampledOp):
    name: ClassVar[str] = "OpticalDistortion"
    k: float
    mode: str = "camera"

    def warp(self, width: int, height: int) -> GridWarp:
        radial = radial_map(self.mode, self.k, width, height)
        xs = (np.arange(width, dtype=np.float64) + 0.5 - radial.cx) / radial.norm_x
        ys = (np.arange(height, dtype=np.float64) + 0.5 - radial.cy) / radial.norm_y
        nx, ny = xs[None, :], ys[:, None]
        factor = radial.factor(nx * nx + ny * ny)
        map_x = (radial.cx + nx * factor * radial.norm_x).astype(np.float32)
        map_y = (radial.cy + ny * factor * radial.norm_y).astype(np.float32)
        return GridWarp(map_x=map_x, map_y=map_y, point_map=radial)


@register
class OpticalDistortion(Transform):
    """Radial lens distortion: barrel (distortion > 0) or pincushion (< 0), camera or fisheye model."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "distort_limit",
            "range",
            (-0.05, 0.05),
            "range of the distortion coefficient k; a number x means [-x, x]. Recommended: "
            "about 0.05 for 'camera', 0.3 for 'fisheye'. Below -0.3 the image would fold "
            "over itself near the corners",
            low=-0.3,
            high=1.0,
            scalar="symmetric",
        ),
        Param(
            "mode",
            "choice",
            "camera",
            "'camera': OpenCV camera model with k1 = k2 = k, offsets normalised by width and "
            "height; 'fisheye': r' = r (1 + k r^2), offsets normalised by the half diagonal",
            choices=("camera", "fisheye"),
        ),
        *resampling_params(),
        KEYPOINT_REMAPPING,
    )
    example = "- OpticalDistortion: {distort_limit: 0.1, mode: camera, p: 0.5}"
    deviations = (
        "k is limited to >= -0.3, where the map stays one-to-one on the canvas. The "
        "distortion centre is the exact image centre (W/2, H/2). keypoint_remapping_method "
        "is accepted but keypoints always use the exact inverse of the radial map. "
        "mask_interpolation is always nearest. fill_mask defaults to the ignore index."
    )

    def make_op(self, rng, ctx):
        return OpticalDistortionOp(
            k=float(rng.uniform(*self.distort_limit)), mode=self.mode, **resampling_of(self)
        )
