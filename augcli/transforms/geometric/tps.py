"""ThinPlateSpline: a smooth warp through randomly displaced control points.

A regular ``n x n`` grid of control points spans the output (in coordinates
normalised by the image width and height); each samples the input at its own
position plus a Gaussian displacement (standard deviation ``scale / 2``,
which matches the strength of Albumentations 2.0.8's at equal settings). The
thin-plate spline through those pairs (kernel ``r^2 log r``, plus an affine
part) gives the input position for every output pixel. It is evaluated exactly on a lattice every
``_LATTICE_STEP`` pixels and bilinearly in between (within about half a pixel
of the exact spline at strong settings, far less at usual ones), which keeps
the cost low. The sampled grid *is* the warp: every target follows it, so the
approximation never misaligns a label. There is no closed-form inverse:
points move through the numerically inverted sampling grid, except where the
warp folds over itself (``geometry.folds``), where labels take the raster
path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from augcli.geometry.warp import GridWarp
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import ResampledOp, resampling_of, resampling_params
from augcli.transforms.geometric.distortion import KEYPOINT_REMAPPING
from augcli.transforms.geometric.mesh import sample_mesh
from augcli.transforms.params import Param

_LATTICE_STEP = 4  # pixels between exactly evaluated spline samples


def _kernel(r2: np.ndarray) -> np.ndarray:
    """Thin-plate kernel U = r^2 log r, written with r^2 (U(0) = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r2 > 0, 0.5 * r2 * np.log(r2), 0.0)


def fit_spline(controls: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights (N, 2) and affine coefficients (3, 2) of the spline with f(controls) = values."""
    n = len(controls)
    diff = controls[:, None, :] - controls[None, :, :]
    system = np.zeros((n + 3, n + 3))
    system[:n, :n] = _kernel((diff**2).sum(axis=2))
    system[:n, n:] = np.c_[np.ones(n), controls]
    system[n:, :n] = system[:n, n:].T
    rhs = np.zeros((n + 3, 2))
    rhs[:n] = values
    solution = np.linalg.solve(system, rhs)
    return solution[:n], solution[n:]


def evaluate_spline(
    controls: np.ndarray, weights: np.ndarray, affine: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Spline values (len(ys), len(xs), 2) on the lattice ``xs x ys``."""
    out = affine[0] + xs[None, :, None] * affine[1] + ys[:, None, None] * affine[2]
    for (cx, cy), w in zip(controls, weights):
        r2 = (ys[:, None] - cy) ** 2 + (xs[None, :] - cx) ** 2
        out = out + _kernel(r2)[:, :, None] * w
    return out


@dataclass(frozen=True, kw_only=True)
class ThinPlateSplineOp(ResampledOp):
    name: ClassVar[str] = "ThinPlateSpline"
    seed: int
    scale: float
    num_control_points: int

    def displaced_controls(self) -> tuple[np.ndarray, np.ndarray]:
        """Output control points and the input points they sample (normalised units)."""
        t = np.linspace(0.0, 1.0, self.num_control_points)
        controls = np.stack(np.meshgrid(t, t), axis=2).reshape(-1, 2)
        # sigma = scale / 2 matches the mean displacement Albumentations 2.0.8 produces
        shift = np.random.default_rng(self.seed).normal(0.0, self.scale / 2.0, controls.shape)
        return controls, controls + shift

    def warp(self, width: int, height: int) -> GridWarp:
        controls, sources = self.displaced_controls()
        weights, affine = fit_spline(controls, sources)
        cols = max(2, int(np.ceil(width / _LATTICE_STEP)) + 1)
        rows = max(2, int(np.ceil(height / _LATTICE_STEP)) + 1)
        lattice = evaluate_spline(
            controls, weights, affine, np.linspace(0.0, 1.0, cols), np.linspace(0.0, 1.0, rows)
        )
        lattice *= np.array([width, height], dtype=np.float64)  # back to pixels
        map_x, map_y = sample_mesh(lattice, width, height, triangles=False)
        return GridWarp(map_x=map_x, map_y=map_y)


@register
class ThinPlateSpline(Transform):
    """Smooth non-rigid warp: control points pushed at random, a thin plate bent through them."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "scale_range",
            "range",
            (0.2, 0.4),
            "range of the displacement strength: control points move by a Gaussian with "
            "standard deviation scale / 2 of the image width/height (0 = no warp, 0.1 "
            "subtle, 0.5 strong)",
            low=0.0,
            high=1.0,
        ),
        Param("num_control_points", "int", 4, "control points per side (a grid of n x n)", low=2),
        *resampling_params(),
        KEYPOINT_REMAPPING,
    )
    example = "- ThinPlateSpline: {scale_range: [0.05, 0.1], num_control_points: 4, p: 0.3}"
    deviations = (
        "The defaults (scale_range [0.2, 0.4], 4 x 4 control points, linear, constant "
        "border) are Albumentations 2.0.8's, and so is the strength (2.0.8 draws sigma = "
        "scale / 10 but evaluates its spline with another kernel than it fits, which "
        "moves pixels as far as augcli's sigma = scale / 2). At these defaults the warp "
        "folds over itself in most draws, in Albumentations 2.0.8 as here (about 85% "
        "and 95% of draws on 640x480; scale_range [0.05, 0.1] never folded in 40). Where it "
        "folds, part "
        "of the image shows twice, once mirrored, and labels take the raster path: an "
        "instance the folded pixels sample has its polygon rasterised and warped like a "
        "mask, written as RLE where the writer stores RLE (COCO), else traced back to a "
        "polygon with one ring per part; its box is that mask's; a keypoint shown more "
        "than once takes the top-most upright (not mirrored) copy. Masks are exact "
        "anyway; instances away from folds keep the vector path. The run summary "
        "counts the instances on folds. "
        "The spline is evaluated exactly every 4 pixels and bilinearly in between. "
        "keypoint_remapping_method is accepted but keypoints always use the "
        "numerically inverted grid. mask_interpolation is always nearest. fill_mask "
        "defaults to the ignore index."
    )

    def make_op(self, rng, ctx):
        return ThinPlateSplineOp(
            seed=int(rng.integers(0, 2**63 - 1)),
            scale=float(rng.uniform(*self.scale_range)),
            num_control_points=self.num_control_points,
            **resampling_of(self),
        )
