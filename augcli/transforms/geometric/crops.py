"""Crops: a window of the image, optionally padded, optionally resized.

All of them return a ``WindowOp`` subclass: the window ``[x_min, x_max] x
[y_min, y_max]`` in input pixels stretched to the output size. Instances the
crop cuts are clipped by the geometry module; instances it removes entirely
are dropped with all their labels.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from augcli.core.errors import TransformError
from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import (
    BORDER_MODES,
    FILL,
    FILL_MASK,
    INTER_AREA,
    MASK_INTERPOLATION,
    PAD_POSITIONS,
    WindowOp,
    interpolation_param,
    pad_split,
    resampling_of,
)
from augcli.transforms.params import BORDER_MODE_NAMES, Param, ParamError


class RandomCropOp(WindowOp):
    name = "RandomCrop"


class CenterCropOp(WindowOp):
    name = "CenterCrop"


class RandomResizedCropOp(WindowOp):
    name = "RandomResizedCrop"


class RandomSizedBBoxSafeCropOp(WindowOp):
    name = "RandomSizedBBoxSafeCrop"


AREA_FOR_DOWNSCALE = Param(
    "area_for_downscale",
    "choice",
    None,
    "use INTER_AREA (3) for the image when the output is smaller than the input: "
    "'image' or 'image_mask' (masks stay nearest either way)",
    choices=(None, "image", "image_mask"),
    nullable=True,
)

_CROP_PARAMS = (
    Param("height", "int", None, "height of the crop (pixels)", low=1),
    Param("width", "int", None, "width of the crop (pixels)", low=1),
    Param("pad_if_needed", "bool", False, "pad the image first when the crop is larger than it"),
    Param(
        "pad_position", "choice", "center", "where the image sits inside the padding", choices=PAD_POSITIONS
    ),
    Param(
        "border_mode",
        "choice",
        0,
        "OpenCV border mode for the padding, by number or name",
        choices=BORDER_MODES,
        names=BORDER_MODE_NAMES,
    ),
    FILL,
    FILL_MASK,
)

_CROP_DEVIATIONS = (
    "fill_mask defaults to the ignore index. A crop larger than the image "
    "without pad_if_needed skips the image with a TransformError."
)


def crop_axis(
    size: int, crop: int, pad_if_needed: bool, position: str, rng, axis: str, start: int | None, what: str
) -> float:
    """Window start along one axis; negative when the crop pads the image."""
    if crop > size:
        if not pad_if_needed:
            raise TransformError(
                f"{what}: crop {axis} size {crop} is larger than the image ({size}); "
                "set pad_if_needed: true to pad"
            )
        return -float(pad_split(crop - size, position, rng, axis))
    return float(start if start is not None else int(rng.integers(0, size - crop + 1)))


def resized_interpolation(transform: Transform, crop_w: float, crop_h: float, out_w: int, out_h: int) -> int:
    """The image interpolation, switched to INTER_AREA for downscales when asked."""
    shrinking = out_w * out_h < crop_w * crop_h
    if transform.cfg.get("area_for_downscale") and shrinking:
        return INTER_AREA
    return transform.cfg.get("interpolation", 1)


def _require_size(transform: Transform) -> None:
    for name in ("height", "width"):
        if getattr(transform, name) is None:
            raise ParamError(f"{transform.name} needs {name}", name)


@register
class RandomCrop(Transform):
    """Cut a random height x width window (optionally padding a smaller image first)."""

    kind = "geometric"
    default_p = 1.0
    params = _CROP_PARAMS
    example = "- RandomCrop: {height: 96, width: 128}"
    deviations = _CROP_DEVIATIONS

    def check(self) -> None:
        _require_size(self)

    def make_op(self, rng, ctx):
        # one draw per axis: where the padding goes if the crop is larger, else the offset
        x0 = crop_axis(
            ctx.width, self.width, self.pad_if_needed, self.pad_position, rng, "x", None, self.name
        )
        y0 = crop_axis(
            ctx.height, self.height, self.pad_if_needed, self.pad_position, rng, "y", None, self.name
        )
        return RandomCropOp(
            x_min=x0,
            y_min=y0,
            x_max=x0 + self.width,
            y_max=y0 + self.height,
            out_width=self.width,
            out_height=self.height,
            **resampling_of(self),
        )


@register
class CenterCrop(Transform):
    """Cut the centred height x width window (optionally padding a smaller image first)."""

    kind = "geometric"
    default_p = 1.0
    params = _CROP_PARAMS
    example = "- CenterCrop: {height: 96, width: 128}"
    deviations = _CROP_DEVIATIONS

    def check(self) -> None:
        _require_size(self)

    def make_op(self, rng, ctx):
        x0 = crop_axis(
            ctx.width,
            self.width,
            self.pad_if_needed,
            self.pad_position,
            rng,
            "x",
            (ctx.width - self.width) // 2,
            self.name,
        )
        y0 = crop_axis(
            ctx.height,
            self.height,
            self.pad_if_needed,
            self.pad_position,
            rng,
            "y",
            (ctx.height - self.height) // 2,
            self.name,
        )
        return CenterCropOp(
            x_min=x0,
            y_min=y0,
            x_max=x0 + self.width,
            y_max=y0 + self.height,
            out_width=self.width,
            out_height=self.height,
            **resampling_of(self),
        )


@register
class RandomResizedCrop(Transform):
    """Cut a window of random area and aspect ratio, then resize it to size (torchvision style)."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param(
            "size", "int_range", None, "output [height, width]; a number means a square", low=1, ordered=False
        ),
        Param(
            "scale",
            "range",
            (0.08, 1.0),
            "range of the window area as a fraction of the image",
            low=0.0,
            high=1.0,
        ),
        Param(
            "ratio", "range", (0.75, 4.0 / 3.0), "range of the window aspect ratio (width/height)", low=1e-6
        ),
        interpolation_param(),
        MASK_INTERPOLATION,
        AREA_FOR_DOWNSCALE,
    )
    example = "- RandomResizedCrop: {size: [96, 128], scale: [0.5, 1.0]}"
    deviations = "mask_interpolation is always nearest."
    attempts = 10

    def check(self) -> None:
        if self.size is None:
            raise ParamError("RandomResizedCrop needs size: [height, width]", "size")

    def _window(self, rng, width: int, height: int) -> tuple[int, int, int, int]:
        area = width * height
        log_lo, log_hi = math.log(self.ratio[0]), math.log(self.ratio[1])
        for _ in range(self.attempts):
            target = area * float(rng.uniform(*self.scale))
            aspect = math.exp(float(rng.uniform(log_lo, log_hi)))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                x0 = int(rng.integers(0, width - w + 1))
                y0 = int(rng.integers(0, height - h + 1))
                return x0, y0, w, h
        # fallback: the largest centred window whose ratio is inside the range
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            w, h = int(round(height * self.ratio[1])), height
        else:
            w, h = width, height
        return (width - w) // 2, (height - h) // 2, w, h

    def make_op(self, rng, ctx):
        x0, y0, w, h = self._window(rng, ctx.width, ctx.height)
        out_h, out_w = self.size
        interp = resized_interpolation(self, w, h, out_w, out_h)
        return RandomResizedCropOp(
            x_min=x0,
            y_min=y0,
            x_max=x0 + w,
            y_max=y0 + h,
            out_width=out_w,
            out_height=out_h,
            **resampling_of(self, interpolation=interp),
        )


@register
class RandomSizedBBoxSafeCrop(Transform):
    """Random crop that keeps every box whole, then resize to height x width."""

    kind = "geometric"
    default_p = 1.0
    needs_labels = True
    params: ClassVar[tuple[Param, ...]] = (
        Param("height", "int", None, "output height (pixels)", low=1),
        Param("width", "int", None, "output width (pixels)", low=1),
        Param(
            "erosion_rate",
            "float",
            0.0,
            "shrink the union of boxes by this fraction before choosing the crop, allowing "
            "crops that cut boxes slightly; without boxes, the crop keeps at least "
            "(1 - erosion_rate) of the image height",
            low=0.0,
            high=1.0,
        ),
        interpolation_param(),
        MASK_INTERPOLATION,
        AREA_FOR_DOWNSCALE,
    )
    example = "- RandomSizedBBoxSafeCrop: {height: 96, width: 128}"
    deviations = (
        "The crop window is snapped outwards to whole pixels so boxes stay inside. "
        "mask_interpolation is always nearest."
    )

    def check(self) -> None:
        _require_size(self)

    def _window_without_boxes(self, rng, width: int, height: int) -> tuple[float, ...]:
        shortest = int(height * (1.0 - self.erosion_rate))
        crop_h = height if shortest >= height else int(rng.integers(max(shortest, 1), height + 1))
        crop_w = max(1, min(width, int(crop_h * width / height)))
        x0 = int(rng.integers(0, width - crop_w + 1))
        y0 = int(rng.integers(0, height - crop_h + 1))
        return x0, y0, x0 + crop_w, y0 + crop_h

    def _window_around(self, rng, union: np.ndarray, width: int, height: int) -> tuple[float, ...]:
        ux0, uy0, ux1, uy1 = union
        # erosion moves each side of the union inwards by a share of its size
        dx = (ux1 - ux0) * self.erosion_rate / 2.0
        dy = (uy1 - uy0) * self.erosion_rate / 2.0
        ux0, ux1, uy0, uy1 = ux0 + dx, ux1 - dx, uy0 + dy, uy1 - dy
        ux0, uy0 = min(max(ux0, 0.0), width), min(max(uy0, 0.0), height)
        ux1, uy1 = min(max(ux1, ux0), width), min(max(uy1, uy0), height)
        r = rng.random(4)
        x0 = math.floor(ux0 * r[0])
        y0 = math.floor(uy0 * r[1])
        x1 = math.ceil(ux1 + (width - ux1) * r[2])
        y1 = math.ceil(uy1 + (height - uy1) * r[3])
        return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)

    def make_op(self, rng, ctx):
        boxes = ctx.sample().instances.boxes
        if len(boxes):
            union = np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])
            x0, y0, x1, y1 = self._window_around(rng, union, ctx.width, ctx.height)
        else:
            x0, y0, x1, y1 = self._window_without_boxes(rng, ctx.width, ctx.height)
        interp = resized_interpolation(self, x1 - x0, y1 - y0, self.width, self.height)
        return RandomSizedBBoxSafeCropOp(
            x_min=float(x0),
            y_min=float(y0),
            x_max=float(x1),
            y_max=float(y1),
            out_width=self.width,
            out_height=self.height,
            **resampling_of(self, interpolation=interp),
        )
