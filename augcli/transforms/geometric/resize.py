"""Resizes: the whole canvas stretched to a new size (a pure scaling matrix)."""

from __future__ import annotations

from typing import Any

from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import (
    MASK_INTERPOLATION,
    WindowOp,
    interpolation_param,
    resampling_of,
)
from augcli.transforms.geometric.crops import AREA_FOR_DOWNSCALE, resized_interpolation
from augcli.transforms.params import Param, ParamError


class ResizeOp(WindowOp):
    name = "Resize"


class LongestMaxSizeOp(WindowOp):
    name = "LongestMaxSize"


class SmallestMaxSizeOp(WindowOp):
    name = "SmallestMaxSize"


_RESIZE_DEVIATIONS = "mask_interpolation is always nearest."


def _resize_op(
    transform: Transform, op_type: type, width: int, height: int, out_w: int, out_h: int
) -> WindowOp:
    interp = resized_interpolation(transform, width, height, out_w, out_h)
    return op_type(
        x_min=0.0,
        y_min=0.0,
        x_max=float(width),
        y_max=float(height),
        out_width=out_w,
        out_height=out_h,
        **resampling_of(transform, interpolation=interp),
    )


@register
class Resize(Transform):
    """Resize the image to exactly height x width (the aspect ratio may change)."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param("height", "int", None, "output height (pixels)", low=1),
        Param("width", "int", None, "output width (pixels)", low=1),
        interpolation_param(),
        MASK_INTERPOLATION,
        AREA_FOR_DOWNSCALE,
    )
    example = "- Resize: {height: 96, width: 128}"
    deviations = _RESIZE_DEVIATIONS

    def check(self) -> None:
        for name in ("height", "width"):
            if getattr(self, name) is None:
                raise ParamError(f"Resize needs {name}", name)

    def make_op(self, rng, ctx):
        return _resize_op(self, ResizeOp, ctx.width, ctx.height, self.width, self.height)


def _sizes(value: Any, name: str) -> tuple[int, ...]:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values):
        raise ParamError(f"{name} must be a positive integer or a list of them, got {value!r}", name)
    return tuple(values)


def _hw_limits(value: Any, name: str) -> tuple[int | None, int | None]:
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 1) for v in value)
        and any(v is not None for v in value)
    )
    if not ok:
        raise ParamError(
            f"{name} must be [height, width] with positive integers or null, got {value!r}", name
        )
    return value[0], value[1]


class _AspectResize(Transform):
    """Shared logic of LongestMaxSize and SmallestMaxSize."""

    kind = "geometric"
    default_p = 1.0
    use_longest: bool = True
    op_type: type = WindowOp
    fallback_size = 1024  # the pre-2.0 Albumentations default, used when neither limit is given

    # parameters, set from the recipe by Transform and normalised by check()
    max_size: Any
    max_size_hw: Any

    def check(self) -> None:
        if self.max_size is not None and self.max_size_hw is not None:
            raise ParamError("give max_size or max_size_hw, not both", "max_size_hw")
        if self.max_size is None and self.max_size_hw is None:
            self.max_size = self.fallback_size
        if self.max_size is not None:
            self.max_size = _sizes(self.max_size, "max_size")
        else:
            self.max_size_hw = _hw_limits(self.max_size_hw, "max_size_hw")

    def _scale(self, rng, width: int, height: int) -> float:
        if self.max_size is not None:
            target = (
                self.max_size[int(rng.integers(0, len(self.max_size)))]
                if len(self.max_size) > 1
                else self.max_size[0]
            )
            side = max(width, height) if self.use_longest else min(width, height)
            return target / side
        limit_h, limit_w = self.max_size_hw
        ratios = [
            r
            for r in (
                None if limit_h is None else limit_h / height,
                None if limit_w is None else limit_w / width,
            )
            if r is not None
        ]
        # longest: fit inside the limits; smallest: cover them
        return min(ratios) if self.use_longest else max(ratios)

    def make_op(self, rng, ctx):
        scale = self._scale(rng, ctx.width, ctx.height)
        out_w = max(1, int(round(ctx.width * scale)))
        out_h = max(1, int(round(ctx.height * scale)))
        return _resize_op(self, self.op_type, ctx.width, ctx.height, out_w, out_h)


def _aspect_params(side: str) -> tuple[Param, ...]:
    return (
        Param(
            "max_size",
            "any",
            None,
            f"target length of the {side} side (int); a list picks one at random; "
            "1024 when neither max_size nor max_size_hw is given",
            nullable=True,
            shape="int or [int, ...]",
        ),
        Param(
            "max_size_hw",
            "any",
            None,
            "[height, width] limits instead of max_size (either may be null)",
            nullable=True,
            shape="[int or null, int or null]",
        ),
        interpolation_param(),
        MASK_INTERPOLATION,
        AREA_FOR_DOWNSCALE,
    )


@register
class LongestMaxSize(_AspectResize):
    """Scale the image, keeping its aspect ratio, so the longest side equals max_size."""

    params = _aspect_params("longest")
    use_longest = True
    op_type = LongestMaxSizeOp
    example = "- LongestMaxSize: {max_size: 128}"
    deviations = "With neither max_size nor max_size_hw, max_size is 1024. " + _RESIZE_DEVIATIONS


@register
class SmallestMaxSize(_AspectResize):
    """Scale the image, keeping its aspect ratio, so the shortest side equals max_size."""

    params = _aspect_params("shortest")
    use_longest = False
    op_type = SmallestMaxSizeOp
    example = "- SmallestMaxSize: {max_size: 96}"
    deviations = "With neither max_size nor max_size_hw, max_size is 1024. " + _RESIZE_DEVIATIONS
