"""PadIfNeeded: grow the canvas to a minimum size or a multiple of a divisor."""

from __future__ import annotations

from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import (
    FILL,
    FILL_MASK,
    PAD_POSITIONS,
    WindowOp,
    border_mode_param,
    pad_split,
    resampling_of,
)
from augcli.transforms.params import Param, ParamError


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
    deviations = (
        "fill_mask defaults to the ignore index. Padding with a reflecting border_mode "
        "mirrors pixels, not labels: mirrored objects are unlabelled."
    )

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
