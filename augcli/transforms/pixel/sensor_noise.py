"""Sensor noise: ISONoise, ShotNoise, SaltAndPepper, MultiplicativeNoise.

Noise fields are generated inside the op from its seed (ISONoise reads
seeded windows of the pooled tables of ``noise_pool``; the others use
OpenCV's generator for normal and uniform fields, numpy's for Poisson
counts), so an op pickles to a few bytes and replays exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import apply_luts, draw_seed, identity_lut, num_channels
from augcli.transforms.pixel.noise_pool import normal_pool, pooled_field, uniform16_pool
from augcli.transforms.pixel.support import (
    ColourOp,
    grey_view,
    multiply_field,
    rgb_only,
    seeded,
    to_float,
    to_image,
)

GAMMA = 2.2


# --- ISONoise --------------------------------------------------------------------------


@dataclass(frozen=True)
class ISONoiseOp(ColourOp):
    name: ClassVar[str] = "ISONoise"
    color_shift: float
    intensity: float
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        count_seed, hue_seed = (int(v) for v in seeded(self.seed).integers(0, 2**31 - 1, 2))
        height, width = colour.shape[:2]
        rgb = rgb_only(colour)
        image = to_float(colour if rgb else grey_view(colour) if num_channels(colour) == 1 else colour, maxv)
        hls = cv2.cvtColor(image, cv2.COLOR_RGB2HLS) if rgb else None  # H in degrees, L, S in [0, 1]
        light = cv2.extractChannel(hls, 1) if rgb else image
        std_light = float(cv2.meanStdDev(light)[1][0, 0])
        # Luminance: Poisson counts (in uint8 steps) scaled towards white, more in dark areas.
        counts = poisson_constant(std_light * self.intensity * 255.0, light.shape, count_seed)
        headroom = np.subtract(np.float32(1.0), light)
        headroom *= counts
        light += headroom * np.float32(1.0 / 255.0)
        np.clip(light, 0.0, 1.0, out=light)
        if not rgb:
            return to_image(light, colour.dtype, maxv, scale=maxv)
        # Colour: a normal hue jitter whose spread is a fraction of the full circle.
        jitter = pooled_field(normal_pool(), (height, width), hue_seed)
        jitter *= np.float32(self.color_shift * 360.0 * self.intensity)
        jitter += cv2.extractChannel(hls, 0)
        hue = np.mod(jitter, np.float32(360.0), out=jitter)
        out = cv2.cvtColor(cv2.merge([hue, light, cv2.extractChannel(hls, 2)]), cv2.COLOR_HLS2RGB)
        return to_image(out, colour.dtype, maxv, scale=maxv)


def poisson_constant(lam: float, shape: tuple, seed: int) -> np.ndarray:
    """float32 Poisson(lam) counts of the given shape, by inverting the CDF.

    One 16-bit uniform value per count, read from the pooled table
    (``noise_pool``), indexes a 65536-entry table of counts, several times
    faster than numpy's Poisson sampler; the distribution is exact up to the
    1/65536 resolution of the draws.
    """
    if lam <= 0:
        return np.zeros(shape, np.float32)
    if lam > 500:  # exp(-lam) would underflow; the normal limit is exact enough here
        counts = np.empty(shape, np.float32)
        cv2.setRNGSeed(seed)
        cv2.randn(counts.reshape(shape[0], -1), lam, np.sqrt(lam))
        return np.maximum(np.rint(counts), 0.0)
    top = int(lam + 12 * np.sqrt(lam) + 12)
    pmf = np.empty(top + 1)
    pmf[0] = np.exp(-lam)
    pmf[1:] = lam / np.arange(1, top + 1)
    cdf = np.cumsum(np.cumprod(pmf))
    table = np.searchsorted(cdf, (np.arange(65536) + 0.5) / 65536).astype(np.float32)
    return np.take(table, pooled_field(uniform16_pool(), shape, seed))


@register
class ISONoise(Transform):
    """Camera sensor noise at high ISO: hue jitter plus Poisson luminance noise."""

    kind = "pixel"
    params = (
        Param(
            "color_shift",
            "range",
            (0.01, 0.05),
            "hue jitter range as a fraction of the full hue circle",
            low=0.0,
            high=1.0,
        ),
        Param("intensity", "range", (0.1, 0.5), "strength range of both noises", low=0.0),
    )
    default_p = 0.5
    example = "- ISONoise: {color_shift: [0.01, 0.05], intensity: [0.1, 0.5], p: 0.3}"
    deviations = (
        "Follows the documented scales (hue jitter std = color_shift * intensity * 360 "
        "degrees, Poisson luminance counts in uint8 steps, as Albumentations 1.x did); "
        "Albumentations 2.0.8 drops both factors and its noise is far weaker. Grey images "
        "get the luminance noise only; alpha is untouched. Both noises read seeded windows of "
        "fixed tables of 2^21 draws (see GaussNoise), not fresh draws for every pixel."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ISONoiseOp | None:
        return ISONoiseOp(
            color_shift=float(rng.uniform(*self.color_shift)),
            intensity=float(rng.uniform(*self.intensity)),
            seed=draw_seed(rng),
        )


# --- ShotNoise -------------------------------------------------------------------------


@dataclass(frozen=True)
class ShotNoiseOp(ColourOp):
    name: ClassVar[str] = "ShotNoise"
    scale: float
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        # Photon counts are Poisson in linear light: expected count = linear value / scale.
        levels = np.arange(maxv + 1, dtype=np.float64) / maxv
        top = int(np.ceil(1.0 / self.scale))
        back = np.power(np.minimum(np.arange(top + 1) * self.scale, 1.0), 1.0 / GAMMA) * maxv
        return poisson_counts(colour, levels**GAMMA / self.scale, back, self.seed)


def poisson_counts(colour: np.ndarray, expected: np.ndarray, back: np.ndarray, seed: int) -> np.ndarray:
    """Replace each value v by back[k], k ~ Poisson(expected[v]) (k capped at len(back) - 1).

    Both tables are small (one entry per level, one per count), so the only
    full-image work is the Poisson draw and two gathers.
    """
    counts = seeded(seed).poisson(np.take(expected.astype(np.float32), colour))
    table = np.rint(np.clip(back, 0, None)).astype(colour.dtype)
    return np.take(table, np.minimum(counts, len(back) - 1))


@register
class ShotNoise(Transform):
    """Photon shot noise: Poisson-distributed counts in linear light (gamma 2.2)."""

    kind = "pixel"
    params = (
        Param(
            "scale_range",
            "range",
            (0.1, 0.3),
            "range of the noise scale = 1 / photons per unit intensity (higher is noisier)",
            low=1e-4,
        ),
    )
    default_p = 0.5
    example = "- ShotNoise: {scale_range: [0.05, 0.2], p: 0.3}"
    deviations = "Alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ShotNoiseOp | None:
        return ShotNoiseOp(scale=float(rng.uniform(*self.scale_range)), seed=draw_seed(rng))


# --- SaltAndPepper ---------------------------------------------------------------------


@dataclass(frozen=True)
class SaltAndPepperOp(ColourOp):
    name: ClassVar[str] = "SaltAndPepper"
    amount: float
    salt_ratio: float
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        pixels = height * width
        salt = int(pixels * self.amount * self.salt_ratio)
        pepper = int(pixels * self.amount * (1.0 - self.salt_ratio))
        chosen = seeded(self.seed).choice(pixels, size=salt + pepper, replace=False, shuffle=False)
        out = colour.copy()
        flat = out.reshape(pixels, -1)
        flat[chosen[:salt]] = maxv  # one mask for every channel: noise stays grey
        flat[chosen[salt:]] = 0
        return out


@register
class SaltAndPepper(Transform):
    """Impulse noise: set a random fraction of pixels to white (salt) or black (pepper)."""

    kind = "pixel"
    params = (
        Param("amount", "range", (0.01, 0.06), "range of the fraction of pixels hit", low=0.0, high=1.0),
        Param(
            "salt_vs_pepper",
            "range",
            (0.4, 0.6),
            "range of the share of hits that are salt",
            low=0.0,
            high=1.0,
        ),
    )
    default_p = 0.5
    example = "- SaltAndPepper: {amount: [0.01, 0.03], p: 0.3}"
    deviations = "Alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> SaltAndPepperOp | None:
        return SaltAndPepperOp(
            amount=float(rng.uniform(*self.amount)),
            salt_ratio=float(rng.uniform(*self.salt_vs_pepper)),
            seed=draw_seed(rng),
        )


# --- MultiplicativeNoise ---------------------------------------------------------------


@dataclass(frozen=True)
class MultiplicativeNoiseOp(ColourOp):
    name: ClassVar[str] = "MultiplicativeNoise"
    low: float
    high: float
    per_channel: bool
    elementwise: bool
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        channels = num_channels(colour)
        count = channels if self.per_channel else 1
        if not self.elementwise:
            factors = seeded(self.seed).uniform(self.low, self.high, count)
            # One factor per channel is a look-up table (one shared table is cv2.LUT's fast path).
            return apply_luts(colour, identity_lut(colour)[None, :] * factors[:, None])
        shape = colour.shape if (self.per_channel and colour.ndim == 3) else colour.shape[:2]
        field = np.empty(shape, np.float32)
        cv2.setRNGSeed(self.seed)
        cv2.randu(field.reshape(shape[0], -1), self.low, self.high)
        return multiply_field(colour, field)


@register
class MultiplicativeNoise(Transform):
    """Multiply the image by random factors: one, one per channel, or one per pixel."""

    kind = "pixel"
    params = (
        Param("multiplier", "range", (0.9, 1.1), "range of the factors", low=0.0),
        Param("per_channel", "bool", False, "a separate factor for each channel"),
        Param("elementwise", "bool", False, "a separate factor for each pixel"),
    )
    default_p = 0.5
    example = "- MultiplicativeNoise: {multiplier: [0.85, 1.15], elementwise: true, p: 0.3}"
    deviations = "Factors come from a seed the op records; alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> MultiplicativeNoiseOp | None:
        low, high = self.multiplier
        return MultiplicativeNoiseOp(
            low=low,
            high=high,
            per_channel=self.per_channel,
            elementwise=self.elementwise,
            seed=draw_seed(rng),
        )
