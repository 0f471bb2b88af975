"""Perspective: map a randomly jittered quadrilateral onto a rectangle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.geometry.warp import scaling
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import MatrixOp, resampling_of, resampling_params
from augcli.transforms.geometric.affine import fit_canvas
from augcli.transforms.params import Param

# Albumentations folds each corner jitter into [0, 0.32) of the side.
_MAX_JITTER = 0.32
_MIN_SIDE = 2.0


def order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left order of four points."""
    by_x = points[np.argsort(points[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([tl, tr, br, bl], dtype=np.float64)


@dataclass(frozen=True, kw_only=True)
class PerspectiveOp(MatrixOp):
    """``corners`` (tl, tr, br, bl) in input pixels become the corners of the output."""

    name: ClassVar[str] = "Perspective"
    corners: tuple[tuple[float, float], ...]
    keep_size: bool = True
    fit_output: bool = False

    def matrix(self, width: int, height: int):
        src = np.asarray(self.corners, dtype=np.float64)
        tl, tr, br, bl = src
        if self.keep_size and not self.fit_output:
            out_w, out_h = width, height
        else:
            width_in = max(float(np.linalg.norm(tr - tl)), float(np.linalg.norm(br - bl)))
            height_in = max(float(np.linalg.norm(br - tr)), float(np.linalg.norm(bl - tl)))
            out_w, out_h = int(max(_MIN_SIDE, width_in)), int(max(_MIN_SIDE, height_in))
        dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float64)
        mat = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
        mat = np.asarray(mat, dtype=np.float64)
        size = (out_w, out_h)
        if self.fit_output:
            mat, size = fit_canvas(mat, width, height)
        if self.keep_size and size != (width, height):
            mat = scaling(width / size[0], height / size[1]) @ mat
            size = (width, height)
        return mat, size


@register
class Perspective(Transform):
    """Random four-point perspective: jitter the corners inwards and stretch them to the frame."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "scale",
            "range",
            (0.05, 0.1),
            "range of the standard deviation of each corner's jitter, as a fraction of the side; "
            "a number x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param("keep_size", "bool", True, "resize the result back to the input size"),
        *resampling_params(),
        Param("fit_output", "bool", False, "grow the canvas so the whole warped image stays visible"),
    )
    example = "- Perspective: {scale: [0.05, 0.1], p: 0.5}"
    deviations = (
        "The quadrilateral maps onto the continuous frame [0, W] x [0, H] instead of "
        "pixel indices [0, W-1] x [0, H-1]. mask_interpolation is always nearest. "
        "fill_mask defaults to the ignore index."
    )

    def make_op(self, rng, ctx):
        w, h = ctx.width, ctx.height
        sigma = float(rng.uniform(*self.scale))
        jitter = np.mod(np.abs(rng.normal(0.0, sigma, size=(4, 2))), _MAX_JITTER)
        unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64)
        inward = np.where(unit == 0, 1.0, -1.0)  # corners move towards the centre
        corners = (unit + inward * jitter) * [w, h]
        corners = order_corners(corners)
        return PerspectiveOp(
            corners=tuple(map(tuple, corners.tolist())),
            keep_size=self.keep_size,
            fit_output=self.fit_output,
            **resampling_of(self),
        )
