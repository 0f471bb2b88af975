"""Colour transforms: HueSaturationValue, ColorJitter, ToGray.

Hue is measured in OpenCV's uint8 units (0..180, two degrees each) for every
dtype, so one recipe means the same on uint8 and uint16 images. Grey images
have no hue or saturation: those parts are no-ops there.
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
    identity_lut,
    is_rgb,
    join_alpha,
    luma,
    max_value,
    mean_luma,
    split_alpha,
    to_dtype,
)


def shift_hsv(colour: np.ndarray, hue: float, sat: float, val: float) -> np.ndarray:
    """Shift an RGB image in HSV; hue in 0..180 units, sat/val in uint8 units."""
    if colour.dtype == np.uint8:
        hsv = cv2.cvtColor(np.ascontiguousarray(colour), cv2.COLOR_RGB2HSV)
        x = np.arange(256, dtype=np.float64)
        hue_lut = np.mod(np.rint(x + hue), 180.0).astype(np.uint8)
        if sat == 0 and val == 0:
            # Hue alone: one single-channel LUT is about twice as fast as a 3-channel one.
            cv2.insertChannel(cv2.LUT(cv2.extractChannel(hsv, 0), hue_lut), hsv, 0)
        else:
            luts = np.stack(
                [
                    hue_lut,
                    np.clip(np.rint(x + sat), 0, 255).astype(np.uint8),
                    np.clip(np.rint(x + val), 0, 255).astype(np.uint8),
                ],
                axis=1,
            )
            hsv = cv2.LUT(hsv, np.ascontiguousarray(luts).reshape(1, 256, 3))
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    maxv = max_value(colour)
    # OpenCV has no 16-bit HSV; float HSV has H in degrees, S and V in [0, 1].
    hsv = cv2.cvtColor(colour.astype(np.float32) * (1.0 / maxv), cv2.COLOR_RGB2HSV)
    hsv[..., 0] = np.mod(hsv[..., 0] + 2.0 * hue, 360.0)
    if sat:
        hsv[..., 1] = np.clip(hsv[..., 1] + sat / 255.0, 0.0, 1.0)
    if val:
        hsv[..., 2] = np.clip(hsv[..., 2] + val / 255.0, 0.0, 1.0)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    rgb *= maxv
    return to_dtype(rgb, colour.dtype, maxv)


@dataclass(frozen=True)
class HueSaturationValueOp(PixelOp):
    name: ClassVar[str] = "HueSaturationValue"
    hue_shift: float
    sat_shift: float
    val_shift: float

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        colour, alpha = split_alpha(image)
        if not is_rgb(colour):
            # Grey pixels have S = 0 and V = value: only the value shift applies.
            scale = max_value(image) / 255.0
            return apply_luts(image, identity_lut(image) + self.val_shift * scale)
        return join_alpha(shift_hsv(colour, self.hue_shift, self.sat_shift, self.val_shift), alpha)


@register
class HueSaturationValue(Transform):
    """Randomly shift hue, saturation and value in HSV space."""

    kind = "pixel"
    params = (
        Param(
            "hue_shift_limit",
            "range",
            (-20.0, 20.0),
            "hue shift range in OpenCV hue units (180 = full circle); a single x means [-x, x]",
            low=-180.0,
            high=180.0,
            scalar="symmetric",
        ),
        Param(
            "sat_shift_limit",
            "range",
            (-30.0, 30.0),
            "saturation shift range in uint8 units; a single x means [-x, x]",
            low=-255.0,
            high=255.0,
            scalar="symmetric",
        ),
        Param(
            "val_shift_limit",
            "range",
            (-20.0, 20.0),
            "value shift range in uint8 units; a single x means [-x, x]",
            low=-255.0,
            high=255.0,
            scalar="symmetric",
        ),
    )
    default_p = 0.5
    example = "- HueSaturationValue: {hue_shift_limit: 10, sat_shift_limit: 25, val_shift_limit: 15, p: 0.5}"
    deviations = (
        "uint16 images use the same units as uint8 (hue in 2-degree steps, sat/val "
        "scaled by 1/255); grey images take only the value shift; alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        hue = float(rng.uniform(*self.hue_shift_limit))
        sat = float(rng.uniform(*self.sat_shift_limit))
        val = float(rng.uniform(*self.val_shift_limit))
        return HueSaturationValueOp(hue_shift=hue, sat_shift=sat, val_shift=val)


JITTER_STEPS = ("brightness", "contrast", "saturation", "hue")


@dataclass(frozen=True)
class ColorJitterOp(PixelOp):
    name: ClassVar[str] = "ColorJitter"
    brightness: float  # multiply by this
    contrast: float  # blend with the mean luma: 1 = unchanged, 0 = flat grey
    saturation: float  # blend with the luma image: 1 = unchanged, 0 = grey
    hue: float  # fraction of the full hue circle, in [-0.5, 0.5]
    order: tuple[str, ...]

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        colour, alpha = split_alpha(image)
        pending = None  # composed tone curve not yet applied (saves full-image passes)
        for step in self.order:
            if step == "brightness" and self.brightness != 1.0:
                pending = _compose(pending, identity_lut(colour) * self.brightness)
            elif step == "contrast" and self.contrast != 1.0:
                if pending is not None:  # the contrast pivot is the current image's mean
                    colour, pending = apply_luts(colour, pending), None
                mean = mean_luma(colour)
                pending = identity_lut(colour) * self.contrast + mean * (1.0 - self.contrast)
            elif step in ("saturation", "hue"):
                if pending is not None:
                    colour, pending = apply_luts(colour, pending), None
                colour = getattr(self, f"_{step}")(colour)
        if pending is not None:
            colour = apply_luts(colour, pending)
        return join_alpha(colour, alpha)

    def _saturation(self, colour: np.ndarray) -> np.ndarray:
        if self.saturation == 1.0 or not is_rgb(colour):
            return colour
        grey = cv2.cvtColor(luma(colour), cv2.COLOR_GRAY2RGB)
        return cv2.addWeighted(
            np.ascontiguousarray(colour), self.saturation, grey, 1.0 - self.saturation, 0.0
        )

    def _hue(self, colour: np.ndarray) -> np.ndarray:
        if self.hue == 0.0 or not is_rgb(colour):
            return colour
        return shift_hsv(colour, self.hue * 180.0, 0.0, 0.0)


def _compose(first: np.ndarray | None, then: np.ndarray) -> np.ndarray:
    """Tone curve ``then`` applied after ``first`` (both over the integer domain)."""
    if first is None:
        return then
    top = len(then) - 1
    return then[np.clip(np.rint(first), 0, top).astype(np.intp)]


@register
class ColorJitter(Transform):
    """Randomly change brightness, contrast, saturation and hue, in a random order."""

    kind = "pixel"
    params = (
        Param(
            "brightness",
            "range",
            (0.8, 1.2),
            "brightness factor range; a single x means max(0, 1 - x) to 1 + x",
            low=0.0,
            scalar="around_one",
        ),
        Param(
            "contrast",
            "range",
            (0.8, 1.2),
            "contrast factor range; a single x means max(0, 1 - x) to 1 + x",
            low=0.0,
            scalar="around_one",
        ),
        Param(
            "saturation",
            "range",
            (0.8, 1.2),
            "saturation factor range; a single x means max(0, 1 - x) to 1 + x",
            low=0.0,
            scalar="around_one",
        ),
        Param(
            "hue",
            "range",
            (-0.5, 0.5),
            "hue shift range as a fraction of the full circle; a single x means [-x, x]",
            low=-0.5,
            high=0.5,
            scalar="symmetric",
        ),
    )
    default_p = 0.5
    example = "- ColorJitter: {brightness: 0.2, contrast: 0.2, saturation: 0.3, hue: 0.05, p: 0.5}"
    deviations = (
        "Saturation and hue are no-ops on grey images; alpha is untouched; the drawn "
        "order of the four steps is recorded with the op."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        factors = {step: float(rng.uniform(*getattr(self, step))) for step in JITTER_STEPS}
        order = tuple(JITTER_STEPS[i] for i in rng.permutation(len(JITTER_STEPS)))
        return ColorJitterOp(order=order, **factors)


GRAY_METHODS = ("weighted_average", "from_lab", "desaturation", "average", "max", "pca")


@dataclass(frozen=True)
class ToGrayOp(PixelOp):
    name: ClassVar[str] = "ToGray"
    num_output_channels: int
    method: str

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        colour, alpha = split_alpha(image)
        if colour.ndim == 2 or colour.shape[2] == 1:
            return image  # already grey
        grey = to_grey(colour, self.method)
        if self.num_output_channels == 3:
            grey = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
        elif self.num_output_channels > 1:
            grey = cv2.merge([grey] * self.num_output_channels)
        return join_alpha(grey, alpha)


def to_grey(colour: np.ndarray, method: str) -> np.ndarray:
    """(H, W) grey image of the same dtype from an (H, W, C) colour image."""
    maxv = max_value(colour)
    if method == "weighted_average" and is_rgb(colour):
        return luma(colour)
    if method == "from_lab" and is_rgb(colour):
        if colour.dtype == np.uint8:
            return cv2.cvtColor(np.ascontiguousarray(colour), cv2.COLOR_RGB2LAB)[..., 0].copy()
        lab = cv2.cvtColor(colour.astype(np.float32) * (1.0 / maxv), cv2.COLOR_RGB2Lab)
        return to_dtype(lab[..., 0] * (maxv / 100.0), colour.dtype, maxv)
    if method in ("weighted_average", "from_lab", "average"):
        # Channel counts other than 3 have no standard weights: plain average.
        return to_dtype(np.asarray(np.mean(colour, axis=2, dtype=np.float32)), colour.dtype, maxv)
    if method == "max":
        return np.max(colour, axis=2)
    if method == "desaturation":
        low = np.min(colour, axis=2).astype(np.float32)
        low += np.max(colour, axis=2)
        low *= 0.5
        return to_dtype(low, colour.dtype, maxv)
    return _pca_grey(colour, maxv)


def _pca_grey(colour: np.ndarray, maxv: int) -> np.ndarray:
    """Project onto the first principal component, stretched to the full range."""
    pixels = colour.reshape(-1, colour.shape[2]).astype(np.float32)
    pixels -= pixels.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov(pixels, rowvar=False))
    first = vectors[:, -1].astype(np.float32)
    if first.sum() < 0:
        first = -first  # keep bright things bright
    proj = pixels @ first
    low, high = float(proj.min()), float(proj.max())
    if high > low:
        proj = (proj - low) * (maxv / (high - low))
    else:
        proj = np.zeros_like(proj)
    return to_dtype(proj, colour.dtype, maxv).reshape(colour.shape[:2])


@register
class ToGray(Transform):
    """Convert a colour image to grey, repeated over num_output_channels channels."""

    kind = "pixel"
    params = (
        Param(
            "num_output_channels",
            "int",
            3,
            "channels in the output (1 gives an (H, W) image); alpha is kept on top",
            low=1,
        ),
        Param(
            "method",
            "choice",
            "weighted_average",
            "how to combine channels: Rec. 601 weights, L* of Lab, (min+max)/2, mean, max, "
            "or the first principal component",
            choices=GRAY_METHODS,
        ),
    )
    default_p = 0.5
    example = "- ToGray: {method: weighted_average, p: 0.1}"
    deviations = (
        "num_output_channels 1 gives an (H, W) array, not (H, W, 1); alpha is kept; "
        "weighted_average and from_lab on channel counts other than 3 average the "
        "channels instead of raising; grey input is returned unchanged."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        return ToGrayOp(num_output_channels=self.num_output_channels, method=self.method)
