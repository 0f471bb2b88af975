"""Tone transforms: brightness/contrast, gamma, per-channel shifts, CLAHE.

Brightness/contrast and gamma map values through a look-up table (one
``cv2.LUT`` pass for uint8), RGBShift is a saturating per-channel add (for uint8
through tables holding ``cv2.add``'s values, ``imageops.scalar_tables``), and
CLAHE uses OpenCV's tiled histograms on the luma channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import PixelOp, SampleContext, Transform, register
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import (
    apply_luts,
    as_2d,
    identity_lut,
    is_rgb,
    join_alpha,
    keep_shape,
    max_value,
    num_channels,
    scalar_tables,
    split_alpha,
)


@dataclass(frozen=True)
class BrightnessContrastOp(PixelOp):
    name: ClassVar[str] = "RandomBrightnessContrast"
    alpha: float  # contrast factor: 1 + drawn contrast
    beta: float  # drawn brightness, a fraction of max value (or of the mean)
    brightness_by_max: bool
    ensure_safe_range: bool

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        maxv = max_value(image)
        colour, _ = split_alpha(image)
        offset = self.beta * (maxv if self.brightness_by_max else float(np.mean(colour)))
        alpha = self.alpha
        if self.ensure_safe_range:
            alpha, offset = safe_brightness_contrast(alpha, offset, maxv)
        return apply_luts(image, identity_lut(image) * alpha + offset)


def safe_brightness_contrast(alpha: float, offset: float, maxv: float) -> tuple[float, float]:
    """Shrink (alpha, offset) so that [0, maxv] maps inside [0, maxv] without clipping."""
    if alpha > 0:
        offset = float(np.clip(offset, 0, maxv))
        alpha = min(alpha, (maxv - offset) / maxv)
    else:
        offset = min(offset, maxv)
        alpha = max(alpha, -offset / maxv)
    return alpha, offset


@register
class RandomBrightnessContrast(Transform):
    """Randomly change brightness and contrast: out = in * (1 + contrast) + brightness * max.

    With ``brightness_by_max: false`` the brightness offset is a fraction of
    the image mean instead of the dtype maximum.
    """

    kind = "pixel"
    params = (
        Param(
            "brightness_limit",
            "range",
            (-0.2, 0.2),
            "brightness offset range as a fraction of the max value (a single x means [-x, x])",
            low=-1.0,
            high=1.0,
            scalar="symmetric",
        ),
        Param(
            "contrast_limit",
            "range",
            (-0.2, 0.2),
            "contrast change range; pixels are multiplied by 1 + contrast (a single x means [-x, x])",
            low=-1.0,
            scalar="symmetric",
        ),
        Param(
            "brightness_by_max",
            "bool",
            True,
            "true: offset = brightness * dtype max; false: offset = brightness * image mean",
        ),
        Param(
            "ensure_safe_range", "bool", False, "shrink the drawn factors so no pixel value has to be clipped"
        ),
    )
    default_p = 0.5
    example = "- RandomBrightnessContrast: {brightness_limit: [-0.3, 0.3], contrast_limit: 0.2, p: 0.8}"
    deviations = (
        "Alpha channels (2- and 4-channel images) are left untouched; uint16 images use "
        "the same fractions of their own maximum."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        contrast = rng.uniform(*self.contrast_limit)
        brightness = rng.uniform(*self.brightness_limit)
        return BrightnessContrastOp(
            alpha=1.0 + float(contrast),
            beta=float(brightness),
            brightness_by_max=self.brightness_by_max,
            ensure_safe_range=self.ensure_safe_range,
        )


@dataclass(frozen=True)
class GammaOp(PixelOp):
    name: ClassVar[str] = "RandomGamma"
    gamma: float

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        maxv = max_value(image)
        return apply_luts(image, np.power(identity_lut(image) / maxv, self.gamma) * maxv)


@register
class RandomGamma(Transform):
    """Randomly apply a gamma curve: out = max * (in / max) ** (gamma_limit / 100)."""

    kind = "pixel"
    params = (
        Param(
            "gamma_limit",
            "range",
            (80.0, 120.0),
            "gamma range in percent (100 = unchanged, >100 darker); a single x means [1, x]",
            low=1.0,
            scalar="upto",
        ),
    )
    default_p = 0.5
    example = "- RandomGamma: {gamma_limit: [70, 150], p: 0.5}"
    deviations = "Alpha channels are left untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        return GammaOp(gamma=float(rng.uniform(*self.gamma_limit)) / 100.0)


@dataclass(frozen=True)
class RGBShiftOp(PixelOp):
    name: ClassVar[str] = "RGBShift"
    shifts: tuple[float, ...]  # (r, g, b) in uint8 units (scaled by max / 255 for uint16)

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        colour, _ = split_alpha(image)
        scale = max_value(image) / 255.0
        if is_rgb(colour):
            shifts = [s * scale for s in self.shifts]
        else:
            # A grey image shifts by the luma the RGB shift would have caused.
            r, g, b = self.shifts
            shifts = [(0.299 * r + 0.587 * g + 0.114 * b) * scale] * num_channels(colour)
        channels = num_channels(image)
        if channels > 4:
            return apply_luts(image, np.stack([identity_lut(image) + s for s in shifts]))
        tables = scalar_tables("add", shifts) if image.dtype == np.uint8 else None
        if tables is not None:  # cv2.add's values, through look-up tables (faster)
            return apply_luts(image, tables)
        # A saturating add of a per-channel scalar (0 for alpha): one SIMD pass.
        scalar = tuple(shifts + [0.0] * (4 - len(shifts)))
        return keep_shape(cv2.add(np.ascontiguousarray(image), scalar), image)


@register
class RGBShift(Transform):
    """Randomly shift the red, green and blue channels by separate amounts."""

    kind = "pixel"
    params = tuple(
        Param(
            f"{c}_shift_limit",
            "range",
            (-20.0, 20.0),
            f"{colour} channel shift range in uint8 units (a single x means [-x, x])",
            low=-255.0,
            high=255.0,
            scalar="symmetric",
        )
        for c, colour in (("r", "red"), ("g", "green"), ("b", "blue"))
    )
    default_p = 0.5
    example = "- RGBShift: {r_shift_limit: 15, g_shift_limit: [-10, 10], b_shift_limit: 0, p: 0.5}"
    deviations = (
        "Shifts are in uint8 units and scale by 257 for uint16 images; a single-channel "
        "image shifts by the Rec. 601 luma of (r, g, b); alpha is left untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        shifts = tuple(
            float(rng.uniform(*lim)) for lim in (self.r_shift_limit, self.g_shift_limit, self.b_shift_limit)
        )
        return RGBShiftOp(shifts=shifts)


@dataclass(frozen=True)
class ClaheOp(PixelOp):
    name: ClassVar[str] = "CLAHE"
    clip_limit: float
    tile_grid_size: tuple[int, int]  # (rows, columns) as Albumentations orders it

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        colour, alpha = split_alpha(image)
        # OpenCV takes the grid as (columns, rows).
        clahe = cv2.createCLAHE(
            clipLimit=self.clip_limit, tileGridSize=(self.tile_grid_size[1], self.tile_grid_size[0])
        )
        if is_rgb(colour):
            # Equalise luma in YCrCb: the same idea as L* of Lab, at a fraction of the cost.
            ycrcb = cv2.cvtColor(np.ascontiguousarray(colour), cv2.COLOR_RGB2YCrCb)
            ycrcb[..., 0] = clahe.apply(cv2.extractChannel(ycrcb, 0))
            out = cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)
        else:
            out = keep_shape(clahe.apply(np.ascontiguousarray(as_2d(colour))), colour)
        return join_alpha(out, alpha)


@register
class CLAHE(Transform):
    """Contrast Limited Adaptive Histogram Equalization (on the luma of colour images)."""

    kind = "pixel"
    params = (
        Param(
            "clip_limit",
            "range",
            (1.0, 4.0),
            "contrast limit range for the tile histograms; a single x means [1, x]",
            low=1.0,
            scalar="upto",
        ),
        Param(
            "tile_grid_size", "int_range", (8, 8), "number of tiles: rows, then columns", low=1, ordered=False
        ),
    )
    default_p = 0.5
    example = "- CLAHE: {clip_limit: [1, 3], tile_grid_size: [8, 8], p: 0.3}"
    deviations = (
        "Colour images are equalised on Y of YCrCb, not L* of Lab (about 3x faster, "
        "visually alike); also accepts 2- and 4-channel images (alpha untouched) and uint16."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        rows, cols = self.tile_grid_size
        return ClaheOp(clip_limit=float(rng.uniform(*self.clip_limit)), tile_grid_size=(int(rows), int(cols)))
