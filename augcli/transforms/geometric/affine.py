"""Rotate, Affine and ShiftScaleRotate: affine matrices about the image centre.

Angles are degrees, positive = counter-clockwise as seen on screen, as in
Albumentations (cv2.getRotationMatrix2D). The centre is ``(W/2, H/2)`` in
continuous coordinates, which is Albumentations' ``(W/2 - 0.5, H/2 - 0.5)``
in pixel-index coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.geometry.warp import rotation_about, scaling, translation
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import (
    ROTATE_METHOD,
    MatrixOp,
    require,
    resampling_of,
    resampling_params,
)
from augcli.transforms.params import Param, ParamError


def affine_about_centre(
    width: int,
    height: int,
    *,
    rotate: float = 0.0,
    scale_x: float = 1.0,
    scale_y: float = 1.0,
    shear_x: float = 0.0,
    shear_y: float = 0.0,
    translate_x: float = 0.0,
    translate_y: float = 0.0,
) -> np.ndarray:
    """Scale, then rotate, then shear about the centre, then translate (pixels)."""
    cx, cy = width / 2.0, height / 2.0
    shear = np.array(
        [
            [1.0, math.tan(math.radians(shear_x)), 0.0],
            [math.tan(math.radians(shear_y)), 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ]
    )
    core = shear @ rotation_about(rotate, 0.0, 0.0) @ scaling(scale_x, scale_y)
    return translation(cx + translate_x, cy + translate_y) @ core @ translation(-cx, -cy)


def fit_canvas(mat: np.ndarray, width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Shift ``mat`` so the whole warped image is visible; return it with the canvas size."""
    corners = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], float)
    out = corners @ mat.T
    out = out[:, :2] / out[:, 2:]
    low = out.min(axis=0)
    size = np.maximum(np.ceil(out.max(axis=0) - low - 1e-9), 1).astype(int)
    return translation(-low[0], -low[1]) @ mat, (int(size[0]), int(size[1]))


def largest_rotated_rect(width: float, height: float, angle_deg: float) -> tuple[float, float]:
    """Width and height of the largest axis-aligned rectangle inside a rotated W x H image."""
    if width <= 0 or height <= 0:
        return 0.0, 0.0
    a = math.radians(angle_deg)
    sin_a, cos_a = abs(math.sin(a)), abs(math.cos(a))
    wide = width >= height
    long_side, short_side = (width, height) if wide else (height, width)
    if short_side <= 2.0 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        # half-constrained: two corners of the rectangle touch the longer side
        half = 0.5 * short_side
        return (half / sin_a, half / cos_a) if wide else (half / cos_a, half / sin_a)
    cos_2a = cos_a * cos_a - sin_a * sin_a
    return ((width * cos_a - height * sin_a) / cos_2a, (height * cos_a - width * sin_a) / cos_2a)


@dataclass(frozen=True, kw_only=True)
class AffineOp(MatrixOp):
    """Scale, rotate, shear about the centre and translate; optionally grow the canvas."""

    name: ClassVar[str] = "Affine"
    rotate: float = 0.0
    scale_x: float = 1.0
    scale_y: float = 1.0
    shear_x: float = 0.0
    shear_y: float = 0.0
    translate_x: float = 0.0  # pixels
    translate_y: float = 0.0
    fit_output: bool = False

    def matrix(self, width: int, height: int):
        mat = affine_about_centre(
            width,
            height,
            rotate=self.rotate,
            scale_x=self.scale_x,
            scale_y=self.scale_y,
            shear_x=self.shear_x,
            shear_y=self.shear_y,
            translate_x=self.translate_x,
            translate_y=self.translate_y,
        )
        if self.fit_output:
            return fit_canvas(mat, width, height)
        return mat, (width, height)


class ShiftScaleRotateOp(AffineOp):
    name = "ShiftScaleRotate"


@dataclass(frozen=True, kw_only=True)
class RotateOp(MatrixOp):
    name: ClassVar[str] = "Rotate"
    angle: float
    crop_border: bool = False

    def matrix(self, width: int, height: int):
        mat = rotation_about(self.angle, width / 2.0, height / 2.0)
        if not self.crop_border:
            return mat, (width, height)
        rect_w, rect_h = largest_rotated_rect(width, height, self.angle)
        out_w, out_h = max(1, int(rect_w)), max(1, int(rect_h))
        # keep the centre: cut the centred out_w x out_h window of the rotated canvas
        crop = translation(-(width - out_w) / 2.0, -(height - out_h) / 2.0)
        return crop @ mat, (out_w, out_h)


@register
class Rotate(Transform):
    """Rotate by a random angle about the image centre (degrees, counter-clockwise)."""

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
        Param(
            "crop_border",
            "bool",
            False,
            "crop to the largest axis-aligned rectangle with no border pixels "
            "(the output is smaller than the input)",
        ),
    )
    example = "- Rotate: {limit: [-20, 20], p: 0.5}"
    deviations = (
        "rotate_method accepts only 'largest_box': boxes follow labels.box. "
        "mask_interpolation is always nearest. fill_mask defaults to the ignore index."
    )

    def make_op(self, rng, ctx):
        angle = float(rng.uniform(*self.limit))
        return RotateOp(angle=angle, crop_border=self.crop_border, **resampling_of(self))


def _xy_ranges(value: Any, name: str, missing: float) -> dict[str, tuple[float, float]]:
    """Albumentations' per-axis form: number, [a, b], or {x: ..., y: ...} -> {x: (a, b), y: (a, b)}."""

    def one(v: Any) -> tuple[float, float]:
        if isinstance(v, bool):
            raise ParamError(f"{name} must be a number or [min, max], got {v!r}", name)
        if isinstance(v, (int, float)):
            return (float(v), float(v))
        if (
            isinstance(v, (list, tuple))
            and len(v) == 2
            and all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in v)
        ):
            lo, hi = float(v[0]), float(v[1])
            if lo > hi:
                raise ParamError(f"{name} must have min <= max, got [{lo}, {hi}]", name)
            return (lo, hi)
        raise ParamError(f"{name} must be a number, [min, max] or {{x: ..., y: ...}}, got {v!r}", name)

    if isinstance(value, dict):
        unknown = set(value) - {"x", "y"}
        if unknown or not value:
            raise ParamError(f"{name} accepts only the keys x and y, got {sorted(value)}", name)
        return {axis: one(value.get(axis, missing)) for axis in ("x", "y")}
    both = one(value)
    return {"x": both, "y": both}


_XY_DOC = "number, [min, max], or {x: [min, max], y: [min, max]} per axis"


@register
class Affine(Transform):
    """Random scale, rotation, shear and translation about the image centre."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "scale",
            "any",
            (1.0, 1.0),
            f"scale factor, 1 = unchanged; {_XY_DOC}",
            shape="number, [min, max] or {x: ..., y: ...}",
        ),
        Param(
            "translate_percent",
            "any",
            None,
            f"shift as a fraction of width/height; {_XY_DOC}",
            nullable=True,
            shape="number, [min, max] or {x: ..., y: ...}",
        ),
        Param(
            "translate_px",
            "any",
            None,
            f"shift in pixels (integers); {_XY_DOC}",
            nullable=True,
            shape="int, [min, max] or {x: ..., y: ...}",
        ),
        Param("rotate", "range", (0.0, 0.0), "angle range in degrees (counter-clockwise)"),
        Param(
            "shear",
            "any",
            (0.0, 0.0),
            f"shear angle range in degrees; {_XY_DOC}",
            shape="number, [min, max] or {x: ..., y: ...}",
        ),
        *resampling_params(),
        Param("fit_output", "bool", False, "grow the canvas so the whole warped image stays visible"),
        Param("keep_ratio", "bool", False, "use the x scale for y too"),
        ROTATE_METHOD,
        Param(
            "balanced_scale",
            "bool",
            False,
            "pick zoom-out and zoom-in equally often, then a scale uniformly in that half",
        ),
    )
    example = "- Affine: {rotate: [-15, 15], scale: [0.9, 1.1], translate_percent: [-0.05, 0.05], p: 0.7}"
    deviations = (
        "translate_percent gives sub-pixel shifts (Albumentations truncates to whole "
        "pixels). rotate_method accepts only 'largest_box': boxes follow labels.box. "
        "mask_interpolation is always nearest. fill_mask defaults to the ignore index."
    )

    # parameters, set from the recipe by Transform and normalised by check()
    scale: Any
    shear: Any
    translate_percent: Any
    translate_px: Any

    def check(self) -> None:
        self.scale = _xy_ranges(self.scale, "scale", 1.0)
        self.shear = _xy_ranges(self.shear, "shear", 0.0)
        require(all(lo > 0 for lo, _ in self.scale.values()), "scale must be > 0", "scale")
        require(
            all(-90 < lo and hi < 90 for lo, hi in self.shear.values()),
            "shear must stay inside (-90, 90) degrees",
            "shear",
        )
        if self.translate_percent is not None and self.translate_px is not None:
            raise ParamError("give translate_percent or translate_px, not both", "translate_px")
        if self.translate_percent is not None:
            self.translate_percent = _xy_ranges(self.translate_percent, "translate_percent", 0.0)
        self.translate_px = _xy_ranges(
            0 if self.translate_px is None else self.translate_px, "translate_px", 0.0
        )
        if self.keep_ratio and self.scale["x"] != self.scale["y"]:
            raise ParamError("keep_ratio needs the same scale range for x and y", "keep_ratio")

    def _draw_scale(self, rng: np.random.Generator, lo: float, hi: float) -> float:
        if not self.balanced_scale:
            return float(rng.uniform(lo, hi))
        halves = [h for h in ((lo, 1.0) if lo < 1 else None, (1.0, hi) if hi > 1 else None) if h]
        if not halves:
            return 1.0
        pick = halves[int(rng.integers(0, len(halves)))]
        return float(rng.uniform(*pick))

    def make_op(self, rng, ctx):
        if self.translate_percent is not None:
            tx = float(rng.uniform(*self.translate_percent["x"])) * ctx.width
            ty = float(rng.uniform(*self.translate_percent["y"])) * ctx.height
        else:
            (x0, x1), (y0, y1) = self.translate_px["x"], self.translate_px["y"]
            tx = float(rng.integers(math.ceil(x0), math.floor(x1) + 1))
            ty = float(rng.integers(math.ceil(y0), math.floor(y1) + 1))
        sx = self._draw_scale(rng, *self.scale["x"])
        sy = sx if self.keep_ratio else self._draw_scale(rng, *self.scale["y"])
        angle = float(rng.uniform(*self.rotate))
        # Albumentations negates the drawn shear angles
        shx = -float(rng.uniform(*self.shear["x"]))
        shy = -float(rng.uniform(*self.shear["y"]))
        return AffineOp(
            rotate=angle,
            scale_x=sx,
            scale_y=sy,
            shear_x=shx,
            shear_y=shy,
            translate_x=tx,
            translate_y=ty,
            fit_output=self.fit_output,
            **resampling_of(self),
        )


@register
class ShiftScaleRotate(Transform):
    """Random shift, scale and rotation about the image centre in one affine warp."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "shift_limit",
            "range",
            (-0.0625, 0.0625),
            "shift as a fraction of width and height; a number x means [-x, x]",
            low=-1.0,
            high=1.0,
            scalar="symmetric",
        ),
        Param(
            "scale_limit",
            "range",
            (-0.1, 0.1),
            "scale change: the factor is drawn from [1 + min, 1 + max]; a number x means [-x, x]",
            low=-0.99,
            scalar="symmetric",
        ),
        Param(
            "rotate_limit",
            "range",
            (-45.0, 45.0),
            "angle range in degrees; a number x means [-x, x]",
            scalar="symmetric",
        ),
        *resampling_params(),
        Param(
            "shift_limit_x",
            "range",
            None,
            "shift range for x only (overrides shift_limit)",
            low=-1.0,
            high=1.0,
            scalar="symmetric",
            nullable=True,
        ),
        Param(
            "shift_limit_y",
            "range",
            None,
            "shift range for y only (overrides shift_limit)",
            low=-1.0,
            high=1.0,
            scalar="symmetric",
            nullable=True,
        ),
        ROTATE_METHOD,
    )
    example = "- ShiftScaleRotate: {shift_limit: 0.05, scale_limit: 0.1, rotate_limit: 15, p: 0.5}"
    deviations = (
        "Shifts are sub-pixel (Albumentations truncates to whole pixels). rotate_method "
        "accepts only 'largest_box'. mask_interpolation is always nearest. fill_mask "
        "defaults to the ignore index."
    )

    def make_op(self, rng, ctx):
        sx_range = self.shift_limit_x if self.shift_limit_x is not None else self.shift_limit
        sy_range = self.shift_limit_y if self.shift_limit_y is not None else self.shift_limit
        tx = float(rng.uniform(*sx_range)) * ctx.width
        ty = float(rng.uniform(*sy_range)) * ctx.height
        scale = 1.0 + float(rng.uniform(*self.scale_limit))
        angle = float(rng.uniform(*self.rotate_limit))
        return ShiftScaleRotateOp(
            rotate=angle, scale_x=scale, scale_y=scale, translate_x=tx, translate_y=ty, **resampling_of(self)
        )
