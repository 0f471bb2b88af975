"""Shared pieces of the geometric transforms: resampling parameters and base ops.

Every geometric op is a frozen, keyword-only dataclass that carries its
resampling settings (``interpolation``, ``border_mode``, ``fill``,
``fill_mask``) as fields, so ``GeometricOp.resampling()`` finds them and the
op's record shows them. Matrices are in continuous coordinates: the image
spans ``[0, W] x [0, H]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.geometry.warp import MatrixWarp, scaling, translation
from augcli.transforms.base import GeometricOp, Transform
from augcli.transforms.params import BORDER_MODE_NAMES, INTERPOLATION_NAMES, Param, ParamError

# cv2.INTER_NEAREST, INTER_LINEAR, INTER_CUBIC, INTER_AREA, INTER_LANCZOS4
INTERPOLATIONS = (0, 1, 2, 3, 4)
# cv2.BORDER_CONSTANT, REPLICATE, REFLECT, WRAP, REFLECT_101
BORDER_MODES = (0, 1, 2, 3, 4)
INTER_AREA = 3


def interpolation_param(default: int = 1) -> Param:
    return Param(
        "interpolation",
        "choice",
        default,
        "OpenCV interpolation flag for the image (0 nearest, 1 linear, 2 cubic, "
        "3 area, 4 lanczos4), by number or name; masks always use nearest",
        choices=INTERPOLATIONS,
        names=INTERPOLATION_NAMES,
    )


def border_mode_param(default: int = 0) -> Param:
    return Param(
        "border_mode",
        "choice",
        default,
        "OpenCV border mode for pixels that come from outside the image "
        "(0 constant, 1 replicate, 2 reflect, 3 wrap, 4 reflect_101), by number or name",
        choices=BORDER_MODES,
        names=BORDER_MODE_NAMES,
    )


FILL = Param("fill", "color", 0, "image value for new pixels when border_mode is 0 (constant)")
FILL_MASK = Param(
    "fill_mask",
    "color",
    None,
    "semantic-map value for new pixels when border_mode is 0; "
    "null means the dataset's ignore index (255 by default)",
    nullable=True,
)
MASK_INTERPOLATION = Param(
    "mask_interpolation",
    "choice",
    0,
    "accepted for Albumentations compatibility; masks always use nearest (0) so labels stay exact",
    choices=(0,),
)
ROTATE_METHOD = Param(
    "rotate_method",
    "choice",
    "largest_box",
    "accepted for Albumentations compatibility; boxes follow the recipe's "
    "labels.box policy (tight from polygons/masks, else the rotated corners)",
    choices=("largest_box",),
)


def resampling_params(border_default: int = 0) -> tuple[Param, ...]:
    """interpolation, border_mode, fill, fill_mask, mask_interpolation."""
    return (interpolation_param(), border_mode_param(border_default), FILL, FILL_MASK, MASK_INTERPOLATION)


def resampling_of(transform: Transform, **overrides: Any) -> dict:
    """The op fields that describe resampling, read from a transform's config."""
    cfg = transform.cfg
    out = {
        "interpolation": cfg.get("interpolation", 1),
        "border_mode": cfg.get("border_mode", 0),
        "fill": cfg.get("fill", 0),
        "fill_mask": cfg.get("fill_mask", None),
    }
    out.update(overrides)
    return out


def require(condition: bool, message: str, param: str) -> None:
    if not condition:
        raise ParamError(message, param)


@dataclass(frozen=True, kw_only=True)
class ResampledOp(GeometricOp):
    """A geometric op with its resampling settings as fields."""

    interpolation: int = 1
    border_mode: int = 0
    fill: Any = 0
    fill_mask: Any = None


@dataclass(frozen=True, kw_only=True)
class MatrixOp(ResampledOp):
    """A geometric op described by one 3x3 matrix and an output size."""

    def matrix(self, width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
        raise NotImplementedError

    def warp(self, width: int, height: int) -> MatrixWarp:
        mat, out_size = self.matrix(width, height)
        return MatrixWarp(mat, out_size)


@dataclass(frozen=True, kw_only=True)
class WindowOp(MatrixOp):
    """Cut the window ``[x_min, x_max] x [y_min, y_max]`` and stretch it to the output size.

    A window reaching outside the image pads (border_mode decides the new
    pixels), so crops, pads and resizes are all one kind of op.
    """

    name: ClassVar[str] = "Window"
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    out_width: int
    out_height: int

    def matrix(self, width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
        sx = self.out_width / (self.x_max - self.x_min)
        sy = self.out_height / (self.y_max - self.y_min)
        mat = scaling(sx, sy) @ translation(-self.x_min, -self.y_min)
        return mat, (self.out_width, self.out_height)


def pad_split(total: int, position: str, rng: np.random.Generator | None, axis: str) -> int:
    """How much of ``total`` padding goes before the image (left or top) for a position."""
    if total <= 0:
        return 0
    if position == "random":
        assert rng is not None
        return int(rng.integers(0, total + 1))
    if position == "center":
        return total // 2
    starts_at_origin = ("left" in position) if axis == "x" else ("top" in position)
    return 0 if starts_at_origin else total


PAD_POSITIONS = ("center", "top_left", "top_right", "bottom_left", "bottom_right", "random")


FILL_MASK_NOTE = "fill_mask defaults to the ignore index."


def side_window(width: int, height: int, left: float, top: float, right: float, bottom: float) -> dict:
    """Window fields for adding (positive) or cutting (negative) pixels on each side."""
    return dict(
        x_min=-float(left), y_min=-float(top), x_max=float(width + right), y_max=float(height + bottom)
    )
