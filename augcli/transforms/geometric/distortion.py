"""Non-linear warps: ElasticTransform and GridDistortion (dense sampling grids).

A ``GridWarp`` holds, for every output pixel centre ``(j + 0.5, i + 0.5)``,
the continuous input coordinate to sample. GridDistortion is separable and
monotone, so it supplies an exact forward point map; ElasticTransform has
none and the geometry module inverts its grid numerically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.geometry.warp import GridWarp
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import ResampledOp, resampling_of, resampling_params
from augcli.transforms.params import Param

KEYPOINT_REMAPPING = Param(
    "keypoint_remapping_method",
    "choice",
    "mask",
    "accepted for Albumentations compatibility; keypoints always move through the exact "
    "inverse of the warp (numerical for ElasticTransform)",
    choices=("direct", "mask"),
)

_MIN_STEP = 1e-3  # keeps the grid strictly monotone so it stays invertible


def _pixel_centres(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) + 0.5


@dataclass(frozen=True, kw_only=True)
class ElasticOp(ResampledOp):
    """Smoothed random displacement field, rebuilt from ``seed`` (keeps the op small)."""

    name: ClassVar[str] = "ElasticTransform"
    seed: int
    alpha: float
    sigma: float
    approximate: bool = False
    same_dxdy: bool = False
    noise_distribution: str = "gaussian"

    def displacement(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        draws = 1 if self.same_dxdy else 2
        if self.noise_distribution == "gaussian":
            noise = rng.standard_normal((draws, height, width), dtype=np.float32)
        else:
            noise = rng.uniform(-1.0, 1.0, (draws, height, width)).astype(np.float32)
        ksize = (17, 17) if self.approximate else (0, 0)
        fields = [
            cv2.GaussianBlur(n, ksize, self.sigma, borderType=cv2.BORDER_REFLECT_101) * np.float32(self.alpha)
            for n in noise
        ]
        return fields[0], fields[-1]

    def warp(self, width: int, height: int) -> GridWarp:
        dx, dy = self.displacement(width, height)
        xs = _pixel_centres(width).astype(np.float32)[None, :]
        ys = _pixel_centres(height).astype(np.float32)[:, None]
        return GridWarp(map_x=(xs + dx).astype(np.float32), map_y=(ys + dy).astype(np.float32))


@dataclass(frozen=True)
class PiecewiseLinearAxes:
    """Exact forward map of a separable grid distortion (picklable callable).

    Along each axis the output knots ``out_*`` are evenly spaced and the
    input knots ``in_*`` are where they sample from; a point at input ``x``
    lands where the piecewise-linear map sends it, extended linearly beyond
    the last knot so points can leave the canvas.
    """

    in_x: tuple[float, ...]
    out_x: tuple[float, ...]
    in_y: tuple[float, ...]
    out_y: tuple[float, ...]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return np.stack(
            [
                interp_extrapolate(pts[:, 0], self.in_x, self.out_x),
                interp_extrapolate(pts[:, 1], self.in_y, self.out_y),
            ],
            axis=1,
        )


def interp_extrapolate(x: np.ndarray, xp, fp) -> np.ndarray:
    """np.interp, continued linearly past both ends instead of clamping."""
    xp, fp = np.asarray(xp, float), np.asarray(fp, float)
    out = np.interp(x, xp, fp)
    low, high = x < xp[0], x > xp[-1]
    out[low] = fp[0] + (x[low] - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    out[high] = fp[-1] + (x[high] - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return out


def grid_knots(size: int, steps: tuple[float, ...], normalized: bool) -> tuple[np.ndarray, np.ndarray]:
    """Output knots (evenly spaced) and the input knots they sample from."""
    cells = len(steps)
    out_knots = np.linspace(0.0, float(size), cells + 1)
    widths = np.maximum(np.asarray(steps, float), _MIN_STEP) * (size / cells)
    if normalized:
        widths *= size / widths.sum()  # the input span is exactly the image: nothing leaves
    in_knots = np.concatenate([[0.0], np.cumsum(widths)])
    return out_knots, in_knots


@dataclass(frozen=True, kw_only=True)
class GridDistortionOp(ResampledOp):
    """Each of ``len(steps_x)`` columns of cells samples a stretched/squeezed input strip."""

    name: ClassVar[str] = "GridDistortion"
    steps_x: tuple[float, ...]
    steps_y: tuple[float, ...]
    normalized: bool = True

    def warp(self, width: int, height: int) -> GridWarp:
        out_x, in_x = grid_knots(width, self.steps_x, self.normalized)
        out_y, in_y = grid_knots(height, self.steps_y, self.normalized)
        col = np.interp(_pixel_centres(width), out_x, in_x).astype(np.float32)
        row = np.interp(_pixel_centres(height), out_y, in_y).astype(np.float32)
        map_x = np.broadcast_to(col[None, :], (height, width)).copy()
        map_y = np.broadcast_to(row[:, None], (height, width)).copy()
        point_map = PiecewiseLinearAxes(
            tuple(in_x.tolist()), tuple(out_x.tolist()), tuple(in_y.tolist()), tuple(out_y.tolist())
        )
        # separable with increasing knots (cells >= _MIN_STEP): the grid cannot fold
        return GridWarp(map_x=map_x, map_y=map_y, point_map=point_map, may_fold=False)


@register
class ElasticTransform(Transform):
    """Elastic deformation: a Gaussian-smoothed random displacement field (Simard et al. 2003)."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param("alpha", "float", 1.0, "displacement strength (pixels per unit of smoothed noise)", low=0.0),
        Param("sigma", "float", 50.0, "standard deviation of the Gaussian smoothing (pixels)", low=1.0),
        *resampling_params(),
        Param("approximate", "bool", False, "smooth with a fixed 17x17 kernel (faster)"),
        Param("same_dxdy", "bool", False, "use one field for both x and y displacement"),
        Param(
            "noise_distribution",
            "choice",
            "gaussian",
            "noise before smoothing",
            choices=("gaussian", "uniform"),
        ),
        KEYPOINT_REMAPPING,
    )
    example = "- ElasticTransform: {alpha: 40, sigma: 6, p: 0.3}"
    deviations = (
        "The displacement field is drawn from augcli's seeded generator, so it differs "
        "from Albumentations' for the same settings. keypoint_remapping_method is "
        "accepted but keypoints always use the numerically inverted field. "
        "mask_interpolation is always nearest. fill_mask defaults to the ignore index."
    )

    def make_op(self, rng, ctx):
        seed = int(rng.integers(0, 2**63 - 1))
        return ElasticOp(
            seed=seed,
            alpha=self.alpha,
            sigma=self.sigma,
            approximate=self.approximate,
            same_dxdy=self.same_dxdy,
            noise_distribution=self.noise_distribution,
            **resampling_of(self),
        )


@register
class GridDistortion(Transform):
    """Stretch and squeeze the image along a grid of num_steps x num_steps cells."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param("num_steps", "int", 5, "number of grid cells along each side", low=1),
        Param(
            "distort_limit",
            "range",
            (-0.3, 0.3),
            "range of each cell's relative size change; a number x means [-x, x]",
            low=-1.0,
            high=1.0,
            scalar="symmetric",
        ),
        *resampling_params(),
        Param(
            "normalized", "bool", True, "rescale the cells so the distortion never samples outside the image"
        ),
        KEYPOINT_REMAPPING,
    )
    example = "- GridDistortion: {num_steps: 5, distort_limit: 0.3, p: 0.3}"
    deviations = (
        "The image is split into num_steps equal cells per axis (Albumentations adds a "
        "remainder cell); a cell never shrinks below 0.1% of its size so the warp stays "
        "invertible. keypoint_remapping_method is accepted but keypoints always use the "
        "exact forward map. mask_interpolation is always nearest. fill_mask defaults "
        "to the ignore index."
    )

    def make_op(self, rng, ctx):
        n = self.num_steps
        steps_x = 1.0 + rng.uniform(*self.distort_limit, size=n)
        steps_y = 1.0 + rng.uniform(*self.distort_limit, size=n)
        return GridDistortionOp(
            steps_x=tuple(steps_x.tolist()),
            steps_y=tuple(steps_y.tolist()),
            normalized=self.normalized,
            **resampling_of(self),
        )
