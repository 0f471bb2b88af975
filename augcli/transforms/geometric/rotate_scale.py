"""SafeRotate and RandomScale: a rotation that keeps every pixel, a random resize.

SafeRotate rotates about the centre, then squeezes the rotated image's
bounding rectangle back into the original W x H frame (one matrix), as
Albumentations 2.0.8 does: nothing is cut off, and on a non-square image the
squeeze stretches the two axes differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from augcli.geometry.warp import rotation_about, scaling
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import (
    MASK_INTERPOLATION,
    ROTATE_METHOD,
    MatrixOp,
    WindowOp,
    interpolation_param,
    resampling_of,
    resampling_params,
)
from augcli.transforms.geometric.affine import fit_canvas
from augcli.transforms.geometric.crops import AREA_FOR_DOWNSCALE, resized_interpolation
from augcli.transforms.params import Param


@dataclass(frozen=True, kw_only=True)
class SafeRotateOp(MatrixOp):
    """Rotate about the centre, then fit the whole rotated image into the input frame."""

    name: ClassVar[str] = "SafeRotate"
    angle: float

    def matrix(self, width: int, height: int):
        rotated, _ = fit_canvas(rotation_about(self.angle, width / 2.0, height / 2.0), width, height)
        cos, sin = abs(math.cos(math.radians(self.angle))), abs(math.sin(math.radians(self.angle)))
        extent_w, extent_h = width * cos + height * sin, width * sin + height * cos
        return scaling(width / extent_w, height / extent_h) @ rotated, (width, height)


@register
class SafeRotate(Transform):
    """Rotate by a random angle and shrink so that the whole rotated image stays in the frame."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "limit",
            "range",
            (-90.0, 90.0),
            "angle range in degrees; a number x means [-x, x]",
            scalar="symmetric",
        ),
        *resampling_params(),
        ROTATE_METHOD,
    )
    example = "- SafeRotate: {limit: [-30, 30], p: 0.5}"
    deviations = (
        "Like Albumentations 2.0.8, the rotated image's bounding rectangle is scaled "
        "back to W x H per axis, so a non-square image is stretched. The fit uses the "
        "exact continuous extent (Albumentations' pixel-index centre shifts results by "
        "up to one pixel). rotate_method accepts only 'largest_box'. "
        "mask_interpolation is always nearest. fill_mask defaults to the ignore index."
    )

    def make_op(self, rng, ctx):
        return SafeRotateOp(angle=float(rng.uniform(*self.limit)), **resampling_of(self))


class RandomScaleOp(WindowOp):
    name = "RandomScale"


@register
class RandomScale(Transform):
    """Resize the image by a random factor (the output size changes; aspect ratio kept)."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "scale_limit",
            "range",
            (-0.1, 0.1),
            "scale change: the factor is drawn from [1 + min, 1 + max]; a number x means [-x, x]",
            low=-0.99,
            scalar="symmetric",
        ),
        interpolation_param(),
        MASK_INTERPOLATION,
        AREA_FOR_DOWNSCALE,
    )
    example = "- RandomScale: {scale_limit: [-0.3, 0.3], p: 0.5}"
    deviations = (
        "Output sides are rounded to the nearest pixel (at least 1), and the labels "
        "scale by the rounded size, so they stay exact. mask_interpolation is always "
        "nearest."
    )

    def make_op(self, rng, ctx):
        scale = 1.0 + float(rng.uniform(*self.scale_limit))
        out_w = max(1, int(round(ctx.width * scale)))
        out_h = max(1, int(round(ctx.height * scale)))
        interp = resized_interpolation(self, ctx.width, ctx.height, out_w, out_h)
        return RandomScaleOp(
            x_min=0.0,
            y_min=0.0,
            x_max=float(ctx.width),
            y_max=float(ctx.height),
            out_width=out_w,
            out_height=out_h,
            **resampling_of(self, interpolation=interp),
        )
