"""Pads that need no labels: PadIfNeeded (to a minimum size or a multiple of a divisor), Pad,
LetterBox and RandomZoomOut. Each returns a ``WindowOp`` reaching outside the image."""

from __future__ import annotations

from typing import Any

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
    resampling_of,
    side_window,
)
from augcli.transforms.params import Param, ParamError

# PadIfNeeded and Pad pad the same way: one sentence for both
_REFLECT_NOTE = (
    FILL_MASK_NOTE
    + " Padding with a reflecting border_mode mirrors pixels, not labels: mirrored objects are unlabelled."
)


class PadIfNeededOp(WindowOp):
    name = "PadIfNeeded"


def padding_needed(size: int, minimum: int | None, divisor: int | None) -> int:
    """Pixels to add along one axis so the side reaches ``minimum`` or a multiple of ``divisor``."""
    if minimum is not None:
        return max(0, minimum - size)
    assert divisor is not None  # the transform's check requires one of the two
    return (divisor - size % divisor) % divisor


@register
class PadIfNeeded(Transform):
    """Pad the image to at least min_height x min_width (or to multiples of the divisors)."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param(
            "min_height",
            "int",
            1024,
            "minimum output height; null when pad_height_divisor is set",
            low=1,
            nullable=True,
        ),
        Param(
            "min_width",
            "int",
            1024,
            "minimum output width; null when pad_width_divisor is set",
            low=1,
            nullable=True,
        ),
        Param(
            "pad_height_divisor", "int", None, "pad the height up to a multiple of this", low=1, nullable=True
        ),
        Param(
            "pad_width_divisor", "int", None, "pad the width up to a multiple of this", low=1, nullable=True
        ),
        Param(
            "position", "choice", "center", "where the image sits inside the padding", choices=PAD_POSITIONS
        ),
        border_mode_param(0),
        FILL,
        FILL_MASK,
    )
    example = "- PadIfNeeded: {min_height: 192, min_width: 192, border_mode: 0, fill: 0}"
    deviations = _REFLECT_NOTE

    def check(self) -> None:
        for axis in ("height", "width"):
            minimum, divisor = getattr(self, f"min_{axis}"), getattr(self, f"pad_{axis}_divisor")
            if (minimum is None) == (divisor is None):
                raise ParamError(
                    f"give exactly one of min_{axis} and pad_{axis}_divisor "
                    f"(set min_{axis}: null to use the divisor)",
                    f"min_{axis}",
                )

    def make_op(self, rng, ctx):
        pad_w = padding_needed(ctx.width, self.min_width, self.pad_width_divisor)
        pad_h = padding_needed(ctx.height, self.min_height, self.pad_height_divisor)
        left = pad_split(pad_w, self.position, rng, "x")
        top = pad_split(pad_h, self.position, rng, "y")
        return PadIfNeededOp(
            x_min=-float(left),
            y_min=-float(top),
            x_max=float(ctx.width + pad_w - left),
            y_max=float(ctx.height + pad_h - top),
            out_width=ctx.width + pad_w,
            out_height=ctx.height + pad_h,
            **resampling_of(self, interpolation=0),
        )


class PadOp(WindowOp):
    name = "Pad"


class LetterBoxOp(WindowOp):
    name = "LetterBox"


class RandomZoomOutOp(WindowOp):
    name = "RandomZoomOut"


def _padding(value: Any) -> tuple[int, int, int, int]:
    """Pad's padding -> (left, top, right, bottom)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(values) not in (1, 2, 4) or any(
        isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in values
    ):
        raise ParamError(
            f"padding must be an integer >= 0, [x, y] or [left, top, right, bottom], got {value!r}", "padding"
        )
    if len(values) == 1:
        return (values[0],) * 4
    if len(values) == 2:
        return values[0], values[1], values[0], values[1]
    return tuple(values)


@register
class Pad(Transform):
    """Add a fixed number of pixels to each side."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param(
            "padding",
            "any",
            0,
            "an integer for all sides, [x, y] (left/right, top/bottom), or [left, top, right, bottom]",
            shape="int, [x, y] or [left, top, right, bottom]",
        ),
        FILL,
        FILL_MASK,
        border_mode_param(0),
    )
    example = "- Pad: {padding: [8, 4], border_mode: 0, fill: 0}"
    deviations = _REFLECT_NOTE

    def check(self) -> None:
        self.sides = _padding(self.padding)

    def make_op(self, rng, ctx):
        left, top, right, bottom = self.sides
        return PadOp(
            **side_window(ctx.width, ctx.height, left, top, right, bottom),
            out_width=ctx.width + left + right,
            out_height=ctx.height + top + bottom,
            **resampling_of(self, interpolation=0),
        )


@register
class LetterBox(Transform):
    """Resize keeping the aspect ratio to fit size, then pad to it (YOLO letterbox)."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param(
            "size",
            "int_range",
            (640, 640),
            "output [height, width]; a number means a square",
            low=1,
            ordered=False,
        ),
        Param("scaleup", "bool", True, "allow enlarging images smaller than size"),
        Param("center", "bool", True, "centre the image (else put it at the top left)"),
        Param("auto", "bool", False, "pad only up to the next multiple of stride instead of the full size"),
        Param("stride", "int", 32, "the multiple used by auto", low=1),
        interpolation_param(),
        MASK_INTERPOLATION,
        Param("fill", "color", 114, "image value for the padding"),
        FILL_MASK,
    )
    example = "- LetterBox: {size: [640, 640], fill: 114}"
    deviations = (
        "No Albumentations twin: follows Ultralytics' LetterBox (its equivalent is "
        "LongestMaxSize followed by PadIfNeeded). " + FILL_MASK_NOTE
    )

    def make_op(self, rng, ctx):
        out_h, out_w = self.size
        scale = min(out_h / ctx.height, out_w / ctx.width)
        if not self.scaleup:
            scale = min(scale, 1.0)
        new_w = max(1, int(round(ctx.width * scale)))
        new_h = max(1, int(round(ctx.height * scale)))
        pad_w, pad_h = out_w - new_w, out_h - new_h
        if self.auto:
            pad_w, pad_h = pad_w % self.stride, pad_h % self.stride
        left, top = (pad_w // 2, pad_h // 2) if self.center else (0, 0)
        sx, sy = new_w / ctx.width, new_h / ctx.height
        canvas_w, canvas_h = new_w + pad_w, new_h + pad_h
        return LetterBoxOp(
            x_min=-left / sx,
            y_min=-top / sy,
            x_max=(canvas_w - left) / sx,
            y_max=(canvas_h - top) / sy,
            out_width=canvas_w,
            out_height=canvas_h,
            **resampling_of(self, border_mode=0),
        )


@register
class RandomZoomOut(Transform):
    """Place the image at a random spot of a canvas up to side_range times larger (SSD 'expand')."""

    kind = "geometric"
    default_p = 0.5
    params = (
        Param(
            "side_range",
            "range",
            (1.0, 4.0),
            "range of the canvas side as a multiple of the image side",
            low=1.0,
        ),
        FILL,
        FILL_MASK,
    )
    example = "- RandomZoomOut: {side_range: [1.0, 2.0], fill: 0, p: 0.5}"
    deviations = (
        "No Albumentations twin: follows torchvision.transforms.v2.RandomZoomOut "
        "(fill, side_range, p). " + FILL_MASK_NOTE
    )

    def make_op(self, rng, ctx):
        ratio = float(rng.uniform(*self.side_range))
        canvas_w, canvas_h = int(ctx.width * ratio), int(ctx.height * ratio)
        left = int((canvas_w - ctx.width) * float(rng.random()))
        top = int((canvas_h - ctx.height) * float(rng.random()))
        return RandomZoomOutOp(
            **side_window(
                ctx.width, ctx.height, left, top, canvas_w - ctx.width - left, canvas_h - ctx.height - top
            ),
            out_width=canvas_w,
            out_height=canvas_h,
            **resampling_of(self, interpolation=0, border_mode=0),
        )
