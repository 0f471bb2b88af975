"""Crops that need no labels: Crop, RandomCropFromBorders and CropAndPad (``pad`` has the pads).

Each returns a ``WindowOp``: a window of the input (reaching outside it where
the op pads) stretched to the output size, so every target follows one
matrix. Windows on whole pixels without a resize are exact array copies.
"""

from __future__ import annotations

from typing import Any

from augcli.geometry.pad_resize import PadResizeWarp
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import (
    FILL,
    FILL_MASK,
    FILL_MASK_NOTE,
    MASK_INTERPOLATION,
    PAD_POSITIONS,
    WindowOp,
    border_mode_param,
    interpolation_param,
    pad_split,
    require,
    resampling_of,
    side_window,
)
from augcli.transforms.params import Param, ParamError


class CropOp(WindowOp):
    name = "Crop"


class RandomCropFromBordersOp(WindowOp):
    name = "RandomCropFromBorders"


class CropAndPadOp(WindowOp):
    name = "CropAndPad"

    def warp(self, width: int, height: int) -> PadResizeWarp:
        """Its images are padded, sliced and resized, as Albumentations does (half a warpAffine's time)."""
        mat, out_size = self.matrix(width, height)
        return PadResizeWarp(mat, out_size)


@register
class Crop(Transform):
    """Cut the fixed window [x_min, x_max) x [y_min, y_max) (pixels)."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param("x_min", "int", 0, "left edge of the window", low=0),
        Param("y_min", "int", 0, "top edge of the window", low=0),
        Param("x_max", "int", 1024, "right edge of the window (exclusive)", low=1),
        Param("y_max", "int", 1024, "bottom edge of the window (exclusive)", low=1),
        Param(
            "pad_if_needed",
            "bool",
            False,
            "pad the image so the whole window exists (else the window is clipped to the image)",
        ),
        Param(
            "pad_position",
            "choice",
            "center",
            "where the image sits inside the padding",
            choices=PAD_POSITIONS,
        ),
        border_mode_param(0),
        FILL,
        FILL_MASK,
    )
    example = "- Crop: {x_min: 10, y_min: 10, x_max: 150, y_max: 110}"
    deviations = (
        "Without pad_if_needed a window reaching past the image is clipped to it "
        "(Albumentations 2.0.8 raises an error). " + FILL_MASK_NOTE
    )

    def check(self) -> None:
        require(self.x_max > self.x_min, "x_max must be greater than x_min", "x_max")
        require(self.y_max > self.y_min, "y_max must be greater than y_min", "y_max")

    def make_op(self, rng, ctx):
        if self.pad_if_needed:
            # pad the image up to the window's far corner, then cut the window from the result
            pad_w, pad_h = max(0, self.x_max - ctx.width), max(0, self.y_max - ctx.height)
            left = pad_split(pad_w, self.pad_position, rng, "x")
            top = pad_split(pad_h, self.pad_position, rng, "y")
            x0, y0, x1, y1 = (self.x_min - left, self.y_min - top, self.x_max - left, self.y_max - top)
        else:
            x0, y0 = min(self.x_min, ctx.width - 1), min(self.y_min, ctx.height - 1)
            x1, y1 = min(self.x_max, ctx.width), min(self.y_max, ctx.height)
        return CropOp(
            x_min=float(x0),
            y_min=float(y0),
            x_max=float(x1),
            y_max=float(y1),
            out_width=x1 - x0,
            out_height=y1 - y0,
            **resampling_of(self, interpolation=0),
        )


@register
class RandomCropFromBorders(Transform):
    """Cut a random amount, up to the given fractions, from each side (no resize)."""

    kind = "geometric"
    default_p = 1.0
    params = tuple(
        Param(
            f"crop_{side}",
            "float",
            0.1,
            f"largest fraction of the {axis} cut from the {side}",
            low=0.0,
            high=1.0,
        )
        for side, axis in (("left", "width"), ("right", "width"), ("top", "height"), ("bottom", "height"))
    )
    example = "- RandomCropFromBorders: {crop_left: 0.1, crop_right: 0.1, crop_top: 0.1, crop_bottom: 0.1}"
    deviations = "At least one pixel always remains along each axis."

    def check(self) -> None:
        require(
            self.crop_left + self.crop_right <= 1.0, "crop_left + crop_right must not exceed 1", "crop_right"
        )
        require(
            self.crop_top + self.crop_bottom <= 1.0, "crop_top + crop_bottom must not exceed 1", "crop_bottom"
        )

    @staticmethod
    def _axis(rng, size: int, first: float, last: float) -> tuple[int, int]:
        lo = int(rng.integers(0, int(first * size) + 1))
        lo = min(lo, size - 1)
        hi = int(rng.integers(max(lo + 1, int((1.0 - last) * size)), size + 1))
        return lo, hi

    def make_op(self, rng, ctx):
        x0, x1 = self._axis(rng, ctx.width, self.crop_left, self.crop_right)
        y0, y1 = self._axis(rng, ctx.height, self.crop_top, self.crop_bottom)
        return RandomCropFromBordersOp(
            x_min=float(x0),
            y_min=float(y0),
            x_max=float(x1),
            y_max=float(y1),
            out_width=x1 - x0,
            out_height=y1 - y0,
            interpolation=0,
        )


def _side_specs(value: Any, name: str) -> list:
    """CropAndPad's px/percent -> four per-side specs (top, right, bottom, left), each a
    number or a (lo, hi) range."""

    def one(v: Any):
        if isinstance(v, bool):
            raise ParamError(f"{name} values must be numbers", name)
        if isinstance(v, (int, float)):
            return float(v)
        if (
            isinstance(v, (list, tuple))
            and len(v) == 2
            and all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in v)
            and v[0] <= v[1]
        ):
            return (float(v[0]), float(v[1]))
        raise ParamError(f"{name}: each side is a number or [min, max], got {v!r}", name)

    if isinstance(value, (list, tuple)) and len(value) == 4:
        return [one(v) for v in value]
    spec = one(value)
    return [spec] * 4


@register
class CropAndPad(Transform):
    """Crop (negative) or pad (positive) each side by pixels or fractions, then resize back."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param(
            "px",
            "any",
            None,
            "pixels per side, negative crops and positive pads: a number (all sides), "
            "[min, max] (drawn per side), or [top, right, bottom, left] each a number or "
            "[min, max]; give px or percent",
            shape="int, [min, max] or [top, right, bottom, left]",
        ),
        Param(
            "percent",
            "any",
            None,
            "the same as px, as fractions of the height (top, bottom) or width (left, right)",
            nullable=True,
            shape="number, [min, max] or [top, right, bottom, left]",
        ),
        Param("keep_size", "bool", True, "resize the result back to the input size"),
        Param(
            "sample_independently",
            "bool",
            True,
            "draw each side's amount on its own; false draws one amount for all ranged sides",
        ),
        interpolation_param(),
        MASK_INTERPOLATION,
        border_mode_param(0),
        FILL,
        FILL_MASK,
    )
    example = "- CropAndPad: {px: [-12, 12], keep_size: true}"
    deviations = (
        "Ranges are inclusive and per-side lists of discrete choices are not "
        "supported (a two-element list is a range). " + FILL_MASK_NOTE + " Images are padded, sliced "
        "and resized as Albumentations does, no longer warped in one warpAffine: their bytes changed "
        "in this version by a few grey levels; labels did not."
    )

    def check(self) -> None:
        if (self.px is None) == (self.percent is None):
            raise ParamError("give exactly one of px and percent", "px")
        name = "px" if self.px is not None else "percent"
        self.sides = _side_specs(getattr(self, name), name)

    def _amounts(self, rng, width: int, height: int) -> list[int]:
        """Pixels added (+) or cut (-) at top, right, bottom, left."""
        shared = float(rng.random())
        amounts = []
        for k, spec in enumerate(self.sides):
            if isinstance(spec, tuple):
                t = float(rng.random()) if self.sample_independently else shared
                value = spec[0] + t * (spec[1] - spec[0])
            else:
                value = spec
            if self.percent is not None:
                value *= height if k % 2 == 0 else width
            amounts.append(int(round(value)))
        return amounts

    def make_op(self, rng, ctx):
        top, right, bottom, left = self._amounts(rng, ctx.width, ctx.height)
        top, bottom = _keep_one_pixel(top, bottom, ctx.height)
        left, right = _keep_one_pixel(left, right, ctx.width)
        window = side_window(ctx.width, ctx.height, left, top, right, bottom)
        width, height = ctx.width + left + right, ctx.height + top + bottom
        out_w, out_h = (ctx.width, ctx.height) if self.keep_size else (width, height)
        return CropAndPadOp(**window, out_width=out_w, out_height=out_h, **resampling_of(self))


def _keep_one_pixel(first: int, second: int, size: int) -> tuple[int, int]:
    """Shrink the crops (negative amounts) of one axis so at least one pixel remains."""
    cut = -min(first, 0) - min(second, 0)
    if cut <= size - 1:
        return first, second
    keep = (size - 1) / cut
    return (-int(-first * keep) if first < 0 else first, -int(-second * keep) if second < 0 else second)
