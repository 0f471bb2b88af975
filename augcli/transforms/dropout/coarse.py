"""Holes at random places: CoarseDropout (Cutout), Erasing (Random Erasing), XYMasking (strips)."""

from __future__ import annotations

import math

import numpy as np

from augcli.transforms.base import Op, SampleContext, register
from augcli.transforms.dropout.fill import Hole, draw_size, fill_mask_param, fill_param, hole_range
from augcli.transforms.dropout.holes import LABELS_NOTE, HoleDropout, HoleDropoutOp
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import draw_seed


class CoarseDropoutOp(HoleDropoutOp):
    name = "CoarseDropout"


class ErasingOp(HoleDropoutOp):
    name = "Erasing"


class XYMaskingOp(HoleDropoutOp):
    name = "XYMasking"


@register
class CoarseDropout(HoleDropout):
    """Cut random rectangular holes; labels lose what the holes cover."""

    params = (
        Param("num_holes_range", "int_range", (1, 2), "how many holes to cut (min, max)", low=1),
        Param(
            "hole_height_range",
            "any",
            (0.1, 0.2),
            "hole height range: two ints (pixels) or two floats (fractions of the image height)",
            shape="[int, int] or [float, float]",
        ),
        Param(
            "hole_width_range",
            "any",
            (0.1, 0.2),
            "hole width range: two ints (pixels) or two floats (fractions of the image width)",
            shape="[int, int] or [float, float]",
        ),
        fill_param(),
        fill_mask_param(),
    )
    default_p = 0.5
    example = (
        "- CoarseDropout: {num_holes_range: [1, 4], hole_height_range: [0.05, 0.15], "
        "hole_width_range: [0.05, 0.15], fill: 0, p: 0.5}"
    )

    def check_holes(self) -> None:
        self._hole_height = hole_range("hole_height_range", self.hole_height_range)
        self._hole_width = hole_range("hole_width_range", self.hole_width_range)

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        height, width = ctx.height, ctx.width
        holes: list[Hole] = []
        for _ in range(int(rng.integers(self.num_holes_range[0], self.num_holes_range[1] + 1))):
            h = draw_size(rng, self._hole_height, height)
            w = draw_size(rng, self._hole_width, width)
            y1 = int(rng.integers(0, height - h + 1))
            x1 = int(rng.integers(0, width - w + 1))
            holes.append((x1, y1, x1 + w, y1 + h))
        return self.op(CoarseDropoutOp, holes, draw_seed(rng))


@register
class Erasing(HoleDropout):
    """Random Erasing: one rectangle of random area and aspect ratio (torchvision RandomErasing)."""

    params = (
        Param(
            "scale",
            "range",
            (0.02, 0.33),
            "erased area as a fraction of the image area (min, max)",
            low=0.0,
            high=1.0,
        ),
        Param(
            "ratio",
            "range",
            (0.3, 3.3),
            "aspect ratio width / height of the erased rectangle (min, max), drawn log-uniformly",
            low=1e-6,
        ),
        fill_param(),
        fill_mask_param(),
    )
    default_p = 0.5
    example = "- Erasing: {scale: [0.02, 0.2], ratio: [0.3, 3.3], fill: random_uniform, p: 0.5}"
    deviations = LABELS_NOTE + (
        " Like torchvision, a rectangle that does not fit after 10 tries erases nothing."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        height, width = ctx.height, ctx.width
        log_lo, log_hi = math.log(self.ratio[0]), math.log(self.ratio[1])
        holes: list[Hole] = []
        for _ in range(10):
            area = height * width * rng.uniform(*self.scale)
            aspect = math.exp(rng.uniform(log_lo, log_hi))
            w = int(round(math.sqrt(area * aspect)))
            h = int(round(math.sqrt(area / aspect)))
            if 0 < h < height and 0 < w < width:
                y1 = int(rng.integers(0, height - h + 1))
                x1 = int(rng.integers(0, width - w + 1))
                holes.append((x1, y1, x1 + w, y1 + h))
                break
        return self.op(ErasingOp, holes, draw_seed(rng))


@register
class XYMasking(HoleDropout):
    """Full-height strips along x and full-width strips along y (SpecAugment-style masking)."""

    params = (
        Param(
            "num_masks_x",
            "int_range",
            (0, 0),
            "how many full-height strips to mask along the x axis: an int or [min, max]",
            low=0,
        ),
        Param(
            "num_masks_y",
            "int_range",
            (0, 0),
            "how many full-width strips to mask along the y axis: an int or [min, max]",
            low=0,
        ),
        Param(
            "mask_x_length",
            "int_range",
            (0, 0),
            "width in pixels of each x strip: an int or [min, max]",
            low=0,
        ),
        Param(
            "mask_y_length",
            "int_range",
            (0, 0),
            "height in pixels of each y strip: an int or [min, max]",
            low=0,
        ),
        fill_param(),
        fill_mask_param(),
    )
    default_p = 0.5
    example = (
        "- XYMasking: {num_masks_x: [1, 3], mask_x_length: [10, 20], num_masks_y: [1, 2], "
        "mask_y_length: [5, 15], p: 0.5}"
    )
    deviations = LABELS_NOTE + (
        " A single int for a count or a length means exactly that value, as "
        "documented (2.0.8 draws it from [0, value]); strips longer than the "
        "image are clipped instead of refused."
    )

    def check_holes(self) -> None:
        for axis in ("x", "y"):
            if getattr(self, f"num_masks_{axis}")[1] > 0 and getattr(self, f"mask_{axis}_length")[1] == 0:
                raise ParamError(
                    f"num_masks_{axis} asks for strips but mask_{axis}_length is 0", f"mask_{axis}_length"
                )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        height, width = ctx.height, ctx.width
        holes: list[Hole] = []
        for _ in range(int(rng.integers(self.num_masks_x[0], self.num_masks_x[1] + 1))):
            w = min(int(rng.integers(self.mask_x_length[0], self.mask_x_length[1] + 1)), width)
            x1 = int(rng.integers(0, width - w + 1))
            holes.append((x1, 0, x1 + w, height))
        for _ in range(int(rng.integers(self.num_masks_y[0], self.num_masks_y[1] + 1))):
            h = min(int(rng.integers(self.mask_y_length[0], self.mask_y_length[1] + 1)), height)
            y1 = int(rng.integers(0, height - h + 1))
            holes.append((0, y1, width, y1 + h))
        return self.op(XYMaskingOp, holes, draw_seed(rng))
