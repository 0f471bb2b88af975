"""Weather: RandomFog, RandomRain, RandomSnow (RandomGravel is in ``gravel``).

Particle positions are drawn inside the op from its seed and the image
size. Fog circles are counted into a coverage map and blended once (the
closed form of blending N white circles in turn), and rain streaks are drawn
in one ``cv2.polylines`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import apply_luts, draw_seed, identity_lut, num_channels
from augcli.transforms.pixel.support import (
    ColourOp,
    blend_field,
    grey_view,
    multiply_field,
    odd_at_least,
    rgb_only,
    seeded,
    to_float,
    to_image,
)


def colour_for(colour: np.ndarray, rgb, maxv: int) -> tuple:
    """An RGB colour given in uint8 units, for this image's channels and dtype."""
    scale = maxv / 255.0
    if rgb_only(colour):
        return tuple(float(v) * scale for v in rgb)
    grey = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) * scale
    return (grey,) * num_channels(colour)


# --- RandomFog -------------------------------------------------------------------------


def fog_particles(height: int, width: int, intensity: float, rng: np.random.Generator):
    """(x, y, radius) of fog puffs: denser towards the centre, bigger with intensity."""
    puff = max(1, int(width // 3 * intensity))
    cx, cy = width // 2, height // 2
    region_w, region_h = width, height
    xs, ys = [], []
    for _ in range(10):  # shrinking regions pile the fog up in the middle
        if region_w <= puff or region_h <= puff:
            break
        count = int(region_w * region_h / (puff * puff) * intensity * 10)
        xs.append(rng.integers(cx - region_w // 2, cx + region_w // 2 + 1, count))
        ys.append(rng.integers(cy - region_h // 2, cy + region_h // 2 + 1, count))
        region_w, region_h = int(region_w * 0.9), int(region_h * 0.9)
    x = np.concatenate(xs) if xs else np.zeros(0, int)
    y = np.concatenate(ys) if ys else np.zeros(0, int)
    top = max(2, int(min(height, width) * 0.1 * intensity))
    radius = rng.integers(max(1, top // 2), top, len(x)) if top > max(1, top // 2) else np.full(len(x), top)
    return x, y, radius


def coverage(height: int, width: int, xs, ys, radii) -> np.ndarray:
    """How many discs cover each pixel (uint16)."""
    count = np.zeros((height, width), np.uint16)
    discs: dict[int, np.ndarray] = {}
    for x, y, r in zip(xs.tolist(), ys.tolist(), radii.tolist()):
        disc = discs.get(r)
        if disc is None:
            axis = np.arange(-r, r + 1)
            disc = discs[r] = (axis[:, None] ** 2 + axis[None, :] ** 2 <= r * r).astype(np.uint16)
        y0, x0 = max(y - r, 0), max(x - r, 0)
        y1, x1 = min(y + r + 1, height), min(x + r + 1, width)
        if y1 > y0 and x1 > x0:
            count[y0:y1, x0:x1] += disc[y0 - (y - r) : y1 - (y - r), x0 - (x - r) : x1 - (x - r)]
    return count


@dataclass(frozen=True)
class RandomFogOp(ColourOp):
    name: ClassVar[str] = "RandomFog"
    intensity: float
    alpha_coef: float
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        xs, ys, radii = fog_particles(height, width, self.intensity, seeded(self.seed))
        count = coverage(height, width, xs, ys, radii)
        # Blending n white discs of opacity a one after another leaves (1 - a) ** n of the image.
        alpha = min(1.0, self.alpha_coef * self.intensity)
        weights = 1.0 - (1.0 - alpha) ** np.arange(int(count.max()) + 1, dtype=np.float32)
        fogged = blend_field(colour, float(maxv), weights[count].astype(np.float32))
        size = odd_at_least(min(height, width) // 30)
        return cv2.GaussianBlur(grey_view(fogged) if num_channels(fogged) == 1 else fogged, (size, size), 0)


@register
class RandomFog(Transform):
    """Fog: semi-transparent white puffs piled towards the centre, then a light blur."""

    kind = "pixel"
    params = (
        Param("fog_coef_range", "range", (0.3, 1.0), "fog intensity range", low=0.0, high=1.0),
        Param(
            "alpha_coef", "float", 0.08, "opacity of each fog puff (times the intensity)", low=0.0, high=1.0
        ),
    )
    default_p = 0.5
    example = "- RandomFog: {fog_coef_range: [0.3, 0.6], alpha_coef: 0.08, p: 0.2}"
    deviations = (
        "Puffs are blended in closed form from a coverage count (same result as "
        "blending them one after another); alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> RandomFogOp | None:
        return RandomFogOp(
            intensity=float(rng.uniform(*self.fog_coef_range)),
            alpha_coef=self.alpha_coef,
            seed=draw_seed(rng),
        )


# --- RandomRain ------------------------------------------------------------------------

DROPS_PER_ROW = {"drizzle": 0.25, "heavy": 1.0, "torrential": 2.0, "default": 1.0 / 3.0}


@dataclass(frozen=True)
class RandomRainOp(ColourOp):
    name: ClassVar[str] = "RandomRain"
    slant: float  # degrees from vertical
    drop_length: int | None
    drop_width: int
    drop_color: tuple[int, ...]  # (r, g, b)
    blur_value: int
    brightness_coefficient: float
    rain_type: str
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        length = self.drop_length if self.drop_length is not None else max(1, height // 8)
        count = int(height * DROPS_PER_ROW[self.rain_type])
        rng = seeded(self.seed)
        starts = np.stack(
            [rng.integers(0, width, count), rng.integers(0, max(1, height - length), count)], axis=1
        )
        ends = starts + [length * np.tan(np.deg2rad(self.slant)), length]
        lines = np.rint(np.stack([starts, ends], axis=1)).astype(np.int32)
        image = grey_view(colour) if num_channels(colour) == 1 else colour
        streaks = colour_for(colour, self.drop_color, maxv)
        if len(streaks) <= 4:
            layer = np.zeros_like(image)
            cv2.polylines(layer, list(lines), False, streaks, self.drop_width, lineType=cv2.LINE_4)
        else:  # OpenCV draws at most 4 channels: draw one plane per channel
            planes = [np.zeros(image.shape[:2], image.dtype) for _ in streaks]
            for plane, value in zip(planes, streaks):
                cv2.polylines(plane, list(lines), False, value, self.drop_width, lineType=cv2.LINE_4)
            layer = np.dstack(planes)
        if self.blur_value > 1:
            layer = cv2.blur(layer, (self.blur_value, self.blur_value))
        out = cv2.add(image, layer)
        if self.brightness_coefficient != 1.0:
            out = apply_luts(out, identity_lut(out) * self.brightness_coefficient)
        return out


@register
class RandomRain(Transform):
    """Rain: slanted streaks over a slightly darkened image."""

    kind = "pixel"
    params = (
        Param(
            "slant_range",
            "range",
            (-10.0, 10.0),
            "streak angle range in degrees from vertical (negative leans left)",
            low=-80.0,
            high=80.0,
        ),
        Param(
            "drop_length",
            "int",
            None,
            "streak length in pixels; null means height // 8",
            low=1,
            nullable=True,
        ),
        Param("drop_width", "int", 1, "streak width in pixels", low=1),
        Param("drop_color", "list", [200, 200, 200], "streak colour, RGB in uint8 units"),
        Param("blur_value", "int", 7, "box blur size of the streak layer (1 = none)", low=1),
        Param(
            "brightness_coefficient", "float", 0.7, "brightness factor of the rainy image", low=0.0, high=1.0
        ),
        Param(
            "rain_type",
            "choice",
            "default",
            "drop density: drizzle H/4, default H/3, heavy H, torrential 2H drops",
            choices=("drizzle", "heavy", "torrential", "default"),
        ),
    )
    default_p = 0.5
    example = "- RandomRain: {slant_range: [-10, 10], rain_type: drizzle, p: 0.2}"
    deviations = (
        "slant is an angle in degrees as documented (Albumentations 2.0.8 adds it as a "
        "pixel offset); grey images get grey streaks; alpha is untouched."
    )

    def check(self) -> None:
        check_rgb(self.drop_color, "drop_color")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> RandomRainOp | None:
        return RandomRainOp(
            slant=float(rng.uniform(*self.slant_range)),
            drop_length=self.drop_length,
            drop_width=self.drop_width,
            drop_color=tuple(int(v) for v in self.drop_color),
            blur_value=self.blur_value,
            brightness_coefficient=self.brightness_coefficient,
            rain_type=self.rain_type,
            seed=draw_seed(rng),
        )


def check_rgb(value, name: str) -> None:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 3
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
    ):
        raise ParamError(f"{name} must be [r, g, b] with values in 0..255, got {value!r}", name)


# --- RandomSnow ------------------------------------------------------------------------


@dataclass(frozen=True)
class RandomSnowOp(ColourOp):
    name: ClassVar[str] = "RandomSnow"
    snow_point: float
    brightness_coeff: float
    method: str
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        if self.method == "texture":
            return self._texture(colour, maxv)
        # Bleach: multiply the lightness of every pixel darker than the snow point.
        threshold = (self.snow_point * 255 / 2 + 255 / 3) * maxv / 255
        values = identity_lut(colour)
        table = np.where(values < threshold, values * self.brightness_coeff, values)
        if not rgb_only(colour):
            return apply_luts(colour, table)
        if colour.dtype == np.uint8:
            hls = cv2.cvtColor(colour, cv2.COLOR_RGB2HLS)
            cv2.insertChannel(apply_luts(cv2.extractChannel(hls, 1), table), hls, 1)
            return cv2.cvtColor(hls, cv2.COLOR_HLS2RGB)
        hls = cv2.cvtColor(to_float(colour, maxv), cv2.COLOR_RGB2HLS)
        light = hls[..., 1] * maxv
        hls[..., 1] = np.where(light < threshold, light * self.brightness_coeff, light).clip(0, maxv) / maxv
        return to_image(cv2.cvtColor(hls, cv2.COLOR_HLS2RGB), colour.dtype, maxv, scale=maxv)

    def _texture(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        brighter = multiply_field(
            colour, np.full((height, width), 1.0 + self.brightness_coeff * self.snow_point, np.float32)
        )
        flakes = np.empty((height, width), np.float32)
        cv2.setRNGSeed(self.seed)
        cv2.randn(flakes, 0.5, 0.3)
        flakes = cv2.GaussianBlur(flakes, (0, 0), 1.5)
        # More snow at the top of the frame, as it settles on far surfaces.
        depth = np.linspace(1.0, 0.2, height, dtype=np.float32)[:, None]
        weight = np.clip(flakes * depth * np.float32(self.snow_point), 0.0, 1.0)
        tint = colour_for(colour, (235, 242, 255), maxv)  # snow is slightly blue
        snowy = blend_field(brighter, tint, weight)
        sparkle = np.empty((height, width), np.float32)
        cv2.randu(sparkle, 0.0, 1.0)
        snowy[sparkle > 0.99] = maxv
        return snowy


@register
class RandomSnow(Transform):
    """Snow: bleach dark areas (bleach) or lay a bluish snow texture over the image (texture)."""

    kind = "pixel"
    params = (
        Param("snow_point_range", "range", (0.1, 0.3), "snow amount range", low=0.0, high=1.0),
        Param("brightness_coeff", "float", 2.5, "brightening factor", low=0.0),
        Param(
            "method",
            "choice",
            "bleach",
            "bleach: lightness thresholding; texture: snow overlay",
            choices=("bleach", "texture"),
        ),
    )
    default_p = 0.5
    example = "- RandomSnow: {snow_point_range: [0.1, 0.3], brightness_coeff: 2.0, p: 0.2}"
    deviations = (
        "texture blends a blurred noise layer (denser at the top) towards a bluish white "
        "in RGB and adds sparkles, instead of adding the layer to HSV channels; grey images "
        "are bleached on their value; alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> RandomSnowOp | None:
        return RandomSnowOp(
            snow_point=float(rng.uniform(*self.snow_point_range)),
            brightness_coeff=self.brightness_coeff,
            method=self.method,
            seed=draw_seed(rng),
        )
