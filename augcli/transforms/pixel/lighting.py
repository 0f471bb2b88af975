"""Spatially varying light: Illumination, PlasmaBrightnessContrast, PlasmaShadow, RandomShadow.

Each builds one float32 (H, W) gain (and offset) field and applies it with
OpenCV's saturating arithmetic; plasma fields come from a seed, so an op
stays a few numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import apply_luts, draw_seed, identity_lut, mean_luma
from augcli.transforms.pixel.support import (
    ColourOp,
    depth_of,
    multiply_field,
    per_channel,
    plasma,
    seeded,
)

ROI_DOC = "as fractions of the image (x_min, y_min, x_max, y_max)"


# --- Illumination ----------------------------------------------------------------------


def linear_gradient(height: int, width: int, angle: float) -> np.ndarray:
    """0 -> 1 along the direction ``angle`` (degrees, 0 = left to right, 90 = top to bottom)."""
    rad = np.deg2rad(angle)
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32) * np.float32(np.cos(rad))
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32) * np.float32(np.sin(rad))
    field = xs[None, :] + ys[:, None]
    return cv2.normalize(field, None, 0.0, 1.0, cv2.NORM_MINMAX)


@dataclass(frozen=True)
class IlluminationOp(ColourOp):
    name: ClassVar[str] = "Illumination"
    mode: str
    intensity: float  # signed: > 0 brightens
    angle: float = 0.0  # linear
    corner: int = 0  # corner: 0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left
    center: tuple[float, float] = (0.5, 0.5)  # gaussian, fractions of (width, height)
    sigma: float = 0.5  # gaussian, fraction of the longer side

    def gain(self, height: int, width: int) -> np.ndarray:
        strength = np.float32(self.intensity)
        if self.mode == "linear":
            ramp = linear_gradient(height, width, self.angle)
            # 1 - |i| on the dark side to 1 + |i| on the bright side.
            return (1.0 - abs(strength)) + 2.0 * abs(strength) * (ramp if strength >= 0 else 1.0 - ramp)
        if self.mode == "corner":
            cx = 0.0 if self.corner in (0, 3) else width - 1.0
            cy = 0.0 if self.corner in (0, 1) else height - 1.0
            dist = _distance(height, width, cx, cy) / np.float32(max(np.hypot(height - 1, width - 1), 1.0))
            return 1.0 - strength * dist
        cx, cy = self.center[0] * width, self.center[1] * height
        spread = 2.0 * (max(height, width) * self.sigma) ** 2
        dist2 = _distance(height, width, cx, cy, squared=True)
        return 1.0 + strength * np.exp(-dist2 / np.float32(spread))

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        gain = self.gain(*colour.shape[:2]).astype(np.float32, copy=False)
        return multiply_field(colour, gain)


def _distance(height: int, width: int, cx: float, cy: float, squared: bool = False) -> np.ndarray:
    dx = (np.arange(width, dtype=np.float32) - np.float32(cx)) ** 2
    dy = (np.arange(height, dtype=np.float32) - np.float32(cy)) ** 2
    dist2 = dx[None, :] + dy[:, None]
    return dist2 if squared else np.sqrt(dist2)


@register
class Illumination(Transform):
    """Directional, corner or spotlight illumination: a smooth gain field over the image."""

    kind = "pixel"
    params = (
        Param(
            "mode",
            "choice",
            "linear",
            "linear gradient, corner falloff, or gaussian spotlight",
            choices=("linear", "corner", "gaussian"),
        ),
        Param("intensity_range", "range", (0.01, 0.2), "strength range of the effect", low=0.0, high=1.0),
        Param(
            "effect_type",
            "choice",
            "both",
            "brighten, darken, or either at random",
            choices=("brighten", "darken", "both"),
        ),
        Param(
            "angle_range",
            "range",
            (0.0, 360.0),
            "gradient direction range in degrees, 0 = left to right (linear mode)",
        ),
        Param(
            "center_range",
            "range",
            (0.1, 0.9),
            "spotlight centre range as a fraction of width and height (gaussian mode)",
            low=0.0,
            high=1.0,
        ),
        Param(
            "sigma_range",
            "range",
            (0.2, 1.0),
            "spotlight size range as a fraction of the longer side (gaussian mode)",
            low=0.01,
        ),
    )
    default_p = 0.5
    example = "- Illumination: {mode: gaussian, intensity_range: [0.05, 0.2], p: 0.3}"
    deviations = (
        "Corner distances are computed exactly rather than by a distance transform; alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> IlluminationOp | None:
        intensity = float(rng.uniform(*self.intensity_range))
        if self.effect_type == "darken" or (self.effect_type == "both" and rng.random() < 0.5):
            intensity = -intensity
        if self.mode == "linear":
            return IlluminationOp(
                mode="linear", intensity=intensity, angle=float(rng.uniform(*self.angle_range))
            )
        if self.mode == "corner":
            return IlluminationOp(mode="corner", intensity=intensity, corner=int(rng.integers(0, 4)))
        center = (float(rng.uniform(*self.center_range)), float(rng.uniform(*self.center_range)))
        return IlluminationOp(
            mode="gaussian", intensity=intensity, center=center, sigma=float(rng.uniform(*self.sigma_range))
        )


# --- Plasma ----------------------------------------------------------------------------

PLASMA_PARAMS = (
    Param(
        "plasma_size",
        "int",
        256,
        "side of the fractal grid before it is resized to the image (larger = finer detail)",
        low=2,
    ),
    Param(
        "roughness",
        "float",
        3.0,
        "how much fine detail the fractal keeps: < 1 smooth, ~2 natural, > 3 rough",
        low=0.01,
    ),
)
PLASMA_NOTE = (
    "The diamond-square fractal is computed on a plasma_size grid and resized to the "
    "image; its amplitude shrinks by 1 + 1/roughness per octave."
)


@dataclass(frozen=True)
class PlasmaBrightnessContrastOp(ColourOp):
    name: ClassVar[str] = "PlasmaBrightnessContrast"
    brightness: float
    contrast: float
    plasma_size: int
    roughness: float
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        pattern = plasma(height, width, self.roughness, seeded(self.seed), self.plasma_size)
        mean = mean_luma(colour)
        # (x + b P max - mean)(1 + c P) + mean  ==  x * gain + offset
        gain = 1.0 + np.float32(self.contrast) * pattern
        offset = (np.float32(self.brightness * maxv) * pattern - np.float32(mean)) * gain + np.float32(mean)
        scaled = cv2.multiply(colour, per_channel(gain, colour), dtype=cv2.CV_32F)
        return cv2.add(scaled, per_channel(offset, colour), dtype=depth_of(colour))


@register
class PlasmaBrightnessContrast(Transform):
    """Brightness and contrast that vary over the image along a plasma fractal."""

    kind = "pixel"
    params = (
        Param(
            "brightness_range",
            "range",
            (-0.3, 0.3),
            "brightness change range (fraction of the max value where the fractal peaks)",
            low=-1.0,
            high=1.0,
        ),
        Param(
            "contrast_range",
            "range",
            (-0.3, 0.3),
            "contrast change range (where the fractal peaks)",
            low=-1.0,
            high=1.0,
        ),
        *PLASMA_PARAMS,
    )
    default_p = 0.5
    example = (
        "- PlasmaBrightnessContrast: {brightness_range: [-0.2, 0.2], contrast_range: [-0.2, 0.2], p: 0.3}"
    )
    deviations = PLASMA_NOTE + " The contrast pivot is the image's mean luma; alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PlasmaBrightnessContrastOp | None:
        return PlasmaBrightnessContrastOp(
            brightness=float(rng.uniform(*self.brightness_range)),
            contrast=float(rng.uniform(*self.contrast_range)),
            plasma_size=self.plasma_size,
            roughness=self.roughness,
            seed=draw_seed(rng),
        )


@dataclass(frozen=True)
class PlasmaShadowOp(ColourOp):
    name: ClassVar[str] = "PlasmaShadow"
    intensity: float
    plasma_size: int
    roughness: float
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        pattern = plasma(height, width, self.roughness, seeded(self.seed), self.plasma_size)
        return multiply_field(colour, 1.0 - np.float32(self.intensity) * pattern)


@register
class PlasmaShadow(Transform):
    """Organic shadows: darken the image along a plasma fractal."""

    kind = "pixel"
    params = (
        Param(
            "shadow_intensity_range",
            "range",
            (0.3, 0.7),
            "darkening range where the fractal peaks (0 none, 1 black)",
            low=0.0,
            high=1.0,
        ),
        *PLASMA_PARAMS,
    )
    default_p = 0.5
    example = "- PlasmaShadow: {shadow_intensity_range: [0.2, 0.5], roughness: 2.0, p: 0.3}"
    deviations = PLASMA_NOTE + " Alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PlasmaShadowOp | None:
        return PlasmaShadowOp(
            intensity=float(rng.uniform(*self.shadow_intensity_range)),
            plasma_size=self.plasma_size,
            roughness=self.roughness,
            seed=draw_seed(rng),
        )


# --- RandomShadow ----------------------------------------------------------------------


@dataclass(frozen=True)
class RandomShadowOp(ColourOp):
    name: ClassVar[str] = "RandomShadow"
    polygons: tuple[tuple[tuple[float, float], ...], ...]  # vertices as fractions of (W, H)
    intensities: tuple[float, ...]

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        out = colour.copy()
        for polygon, intensity in zip(self.polygons, self.intensities):
            points = np.rint(np.asarray(polygon) * [width, height]).astype(np.int32)
            x0, y0 = np.maximum(points.min(axis=0), 0)
            x1, y1 = np.minimum(points.max(axis=0) + 1, [width, height])
            if x1 <= x0 or y1 <= y0:
                continue
            # Work inside the polygon's bounding box only.
            mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
            cv2.fillPoly(mask, [points - [x0, y0]], 255)
            window = out[y0:y1, x0:x1]
            darker = apply_luts(window, identity_lut(window) * (1.0 - intensity))
            cv2.copyTo(darker, mask, window)
        return out


@register
class RandomShadow(Transform):
    """Darken random polygons, as shadows cast across the scene."""

    kind = "pixel"
    params = (
        Param("shadow_roi", "list", [0.0, 0.5, 1.0, 1.0], f"region where shadows appear, {ROI_DOC}"),
        Param("num_shadows_limit", "int_range", (1, 2), "range of the number of shadows", low=1),
        Param("shadow_dimension", "int", 5, "vertices per shadow polygon", low=3),
        Param(
            "shadow_intensity_range",
            "range",
            (0.5, 0.5),
            "darkening range of each shadow (0 none, 1 black)",
            low=0.0,
            high=1.0,
        ),
    )
    default_p = 0.5
    example = "- RandomShadow: {shadow_roi: [0, 0.5, 1, 1], num_shadows_limit: [1, 2], p: 0.3}"
    deviations = (
        "Vertices are sorted by angle around their centroid, so a shadow is a simple "
        "polygon, never a bow tie; alpha is untouched."
    )

    def check(self) -> None:
        check_roi(self.shadow_roi, "shadow_roi")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> RandomShadowOp | None:
        x_min, y_min, x_max, y_max = self.shadow_roi
        low, high = self.num_shadows_limit
        polygons = []
        for _ in range(int(rng.integers(low, high + 1))):
            xs = rng.uniform(x_min, x_max, self.shadow_dimension)
            ys = rng.uniform(y_min, y_max, self.shadow_dimension)
            order = np.argsort(np.arctan2(ys - ys.mean(), xs - xs.mean()))
            polygons.append(tuple((float(xs[i]), float(ys[i])) for i in order))
        low, high = self.shadow_intensity_range
        intensities = tuple(float(v) for v in rng.uniform(low, high, len(polygons)))
        return RandomShadowOp(polygons=tuple(polygons), intensities=intensities)


def check_roi(roi, name: str) -> None:
    """A region (x_min, y_min, x_max, y_max) in fractions, with min < max."""
    if len(roi) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in roi):
        raise ParamError(f"{name} must be [x_min, y_min, x_max, y_max], got {roi!r}", name)
    x_min, y_min, x_max, y_max = roi
    if not (0 <= x_min < x_max <= 1 and 0 <= y_min < y_max <= 1):
        raise ParamError(f"{name} must satisfy 0 <= min < max <= 1, got {list(roi)!r}", name)
