"""Channel transforms: ToSepia, ChannelShuffle, ChannelDropout, InvertImg, FancyPCA, PlanckianJitter.

Each is one SIMD pass (``cv2.transform``, ``cv2.multiply`` or ``cv2.add``
with a per-channel scalar) or a look-up table. Draws that depend on the
channel count (which channels to shuffle or drop, PCA weights) come from a
seed stored in the op, because a transform does not see the image's
channels when it draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import apply_luts, draw_seed, identity_lut, num_channels, scalar_tables
from augcli.transforms.pixel.support import ColourOp, depth_of, rgb_only, seeded

SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)


@dataclass(frozen=True)
class ToSepiaOp(ColourOp):
    name: ClassVar[str] = "ToSepia"

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        if not rgb_only(colour):
            return colour
        return cv2.transform(colour, SEPIA)  # saturates to the dtype


@register
class ToSepia(Transform):
    """Give an RGB image the warm brown tint of an old photograph (fixed sepia matrix)."""

    kind = "pixel"
    default_p = 0.5
    example = "- ToSepia: {p: 0.1}"
    deviations = "Grey images are returned unchanged (as in Albumentations); alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ToSepiaOp | None:
        return ToSepiaOp()


@dataclass(frozen=True)
class ChannelShuffleOp(ColourOp):
    name: ClassVar[str] = "ChannelShuffle"
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        channels = num_channels(colour)
        if channels == 1:
            return colour
        order = seeded(self.seed).permutation(channels)
        if channels <= 4:
            # A permutation matrix through cv2.transform is one SIMD pass.
            return cv2.transform(colour, np.eye(channels, dtype=np.float32)[order])
        return np.ascontiguousarray(colour[..., order])


@register
class ChannelShuffle(Transform):
    """Randomly rearrange the colour channels."""

    kind = "pixel"
    default_p = 0.5
    example = "- ChannelShuffle: {p: 0.2}"
    deviations = (
        "Alpha stays last and is never shuffled; the permutation is drawn from a seed the op records."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ChannelShuffleOp | None:
        return ChannelShuffleOp(seed=draw_seed(rng))


@dataclass(frozen=True)
class ChannelDropoutOp(ColourOp):
    name: ClassVar[str] = "ChannelDropout"
    count: int
    fill: float
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        channels = num_channels(colour)
        if channels == 1:
            return colour
        count = min(self.count, channels - 1)
        dropped = seeded(self.seed).choice(channels, size=count, replace=False)
        fill = colour.dtype.type(np.clip(np.rint(self.fill), 0, maxv))
        if fill == 0 and channels <= 4 and colour.shape[0] * colour.shape[1] > 1:
            # Zeroing is one SIMD pass: AND with all-ones on kept channels, zero on dropped.
            # (OpenCV reads the scalar as an array when the image is a single pixel.)
            keep = [0.0 if c in dropped else float(maxv) for c in range(channels)]
            return cv2.bitwise_and(colour, tuple(keep) + (0.0,) * (4 - channels))
        out = colour.copy()
        for channel in dropped:
            out[..., channel] = fill
        return out


@register
class ChannelDropout(Transform):
    """Set randomly chosen colour channels to a fill value."""

    kind = "pixel"
    params = (
        Param(
            "channel_drop_range",
            "int_range",
            (1, 1),
            "how many channels to drop, [min, max] inclusive",
            low=1,
        ),
        Param("fill", "float", 0.0, "value written into dropped channels (image units)", low=0.0),
    )
    default_p = 0.5
    example = "- ChannelDropout: {channel_drop_range: [1, 2], fill: 0, p: 0.2}"
    deviations = (
        "Albumentations raises on single-channel images and when max drop >= channels; "
        "augcli leaves grey images unchanged and keeps at least one channel. Alpha is "
        "never dropped."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ChannelDropoutOp | None:
        low, high = self.channel_drop_range
        return ChannelDropoutOp(count=int(rng.integers(low, high + 1)), fill=self.fill, seed=draw_seed(rng))


@dataclass(frozen=True)
class InvertImgOp(ColourOp):
    name: ClassVar[str] = "InvertImg"

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        return cv2.bitwise_not(colour)  # max - x for uint8 and uint16


@register
class InvertImg(Transform):
    """Invert the image: every colour value becomes max - value."""

    kind = "pixel"
    default_p = 0.5
    example = "- InvertImg: {p: 0.1}"
    deviations = "Alpha is left untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> InvertImgOp | None:
        return InvertImgOp()


@dataclass(frozen=True)
class FancyPCAOp(ColourOp):
    name: ClassVar[str] = "FancyPCA"
    alpha: float
    seed: int

    def shift(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        """Per-channel offset in image units: sum_i a_i * lambda_i * p_i (Krizhevsky et al.)."""
        channels = num_channels(colour)
        pixels = colour.reshape(-1, channels)
        # Covariance from at most ~64k pixels: the principal axes do not need more.
        stride = max(1, pixels.shape[0] // 65536)
        sample = pixels[::stride].astype(np.float32) * np.float32(1.0 / maxv)
        if len(sample) < 2:
            return np.zeros(channels)  # one pixel has no colour spread
        cov = np.atleast_2d(np.cov(sample, rowvar=False))
        eigenvalues, eigenvectors = np.linalg.eigh(cov)
        weights = seeded(self.seed).normal(0.0, self.alpha, channels)
        return (eigenvectors @ (weights * np.maximum(eigenvalues, 0.0))) * maxv

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        offset = self.shift(colour, maxv)
        channels = num_channels(colour)
        if channels <= 4:
            out = cv2.add(colour, tuple(offset.tolist()) + (0.0,) * (4 - channels), dtype=depth_of(colour))
            if out.size == colour.size:
                return out
            # OpenCV 5 takes an array of at most 4 values (a 1-2 pixel image) for a scalar
            summed = colour.astype(np.float32) + offset.astype(np.float32)
            if np.issubdtype(colour.dtype, np.integer):
                summed = np.clip(np.rint(summed), 0, maxv)
            return summed.astype(colour.dtype)
        return apply_luts(colour, identity_lut(colour)[None, :] + offset[:, None])


@register
class FancyPCA(Transform):
    """Shift colours along the image's principal colour axes (AlexNet's PCA lighting noise)."""

    kind = "pixel"
    params = (
        Param(
            "alpha",
            "float",
            0.1,
            "standard deviation of the random weight of each principal component",
            low=0.0,
        ),
    )
    default_p = 0.5
    example = "- FancyPCA: {alpha: 0.1, p: 0.5}"
    deviations = (
        "Follows Krizhevsky et al. 2012: one colour offset per image, "
        "sum(a_i * lambda_i * p_i) with a_i ~ N(0, alpha), eigen-decomposition of the "
        "[0, 1]-scaled colour covariance (estimated from at most ~64k pixels). "
        "Albumentations 2.0 instead scales each pixel's deviation from the mean. "
        "Alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> FancyPCAOp | None:
        return FancyPCAOp(alpha=self.alpha, seed=draw_seed(rng))


# --- PlanckianJitter -------------------------------------------------------------------

WHITE_TEMPERATURE = 6000.0  # the split point between warm and cool draws
WARM_SHARE = 0.4  # probability of drawing below the split
TEMPERATURE_RANGES = {"blackbody": (3000, 15000), "cied": (4000, 15000)}
XYZ_TO_LINEAR_SRGB = np.array(
    [[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]]
)


def illuminant_xy(temperature: float, mode: str) -> tuple[float, float]:
    """CIE 1931 chromaticity of a black body (Kang et al. 2002 fit) or of CIE daylight D."""
    t = float(temperature)
    if mode == "cied":
        if t <= 7000:
            x = -4.6070e9 / t**3 + 2.9678e6 / t**2 + 0.09911e3 / t + 0.244063
        else:
            x = -2.0064e9 / t**3 + 1.9018e6 / t**2 + 0.24748e3 / t + 0.237040
        return x, -3.0 * x * x + 2.870 * x - 0.275
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def planckian_gains(temperature: float, mode: str) -> tuple[float, float]:
    """(red, blue) gains relative to green for gamma-2.2 encoded pixels."""
    x, y = illuminant_xy(temperature, mode)
    rgb = XYZ_TO_LINEAR_SRGB @ np.array([x / y, 1.0, (1.0 - x - y) / y])
    rgb = np.maximum(rgb, 1e-6) / max(rgb[1], 1e-6)
    # Light scales linear values; on encoded values a linear gain g acts as g ** (1 / 2.2).
    return float(rgb[0] ** (1 / 2.2)), float(rgb[2] ** (1 / 2.2))


@dataclass(frozen=True)
class PlanckianJitterOp(ColourOp):
    name: ClassVar[str] = "PlanckianJitter"
    temperature: float
    mode: str

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        if not rgb_only(colour):
            return colour
        red, blue = planckian_gains(self.temperature, self.mode)
        tables = scalar_tables("multiply", [red, 1.0, blue]) if colour.dtype == np.uint8 else None
        if tables is not None:  # cv2.multiply's values, through look-up tables (faster)
            return apply_luts(np.ascontiguousarray(colour), tables)
        return cv2.multiply(colour, (red, 1.0, blue, 0.0), dtype=depth_of(colour))


@register
class PlanckianJitter(Transform):
    """Recolour as if lit by a black body or CIE daylight of a random colour temperature."""

    kind = "pixel"
    params = (
        Param(
            "mode",
            "choice",
            "blackbody",
            "illuminant family: blackbody or cied (CIE daylight D)",
            choices=("blackbody", "cied"),
        ),
        Param(
            "temperature_limit",
            "int_range",
            None,
            "temperature range in kelvin; null means 3000-15000 (blackbody) or 4000-15000 (cied)",
            low=1667,
            high=25000,
            nullable=True,
        ),
        Param(
            "sampling_method",
            "choice",
            "uniform",
            "uniform: 40% below 6000 K, 60% above; gaussian: half-normals around 6000 K",
            choices=("uniform", "gaussian"),
        ),
    )
    default_p = 0.5
    example = "- PlanckianJitter: {mode: blackbody, temperature_limit: [3500, 9000], p: 0.5}"
    deviations = (
        "Gains are computed from the CIE Planckian locus (Kang et al. 2002) or the CIE "
        "daylight locus, converted to linear sRGB, normalised to green and applied to "
        "gamma-2.2 encoded values, instead of the tabulated coefficients of the paper; "
        "the warm end is therefore less extreme. Grey images are unchanged; alpha is "
        "untouched."
    )

    def check(self) -> None:
        if self.temperature_limit is not None and self.mode == "cied" and self.temperature_limit[0] < 4000:
            raise ParamError("cied temperatures start at 4000 K", "temperature_limit")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PlanckianJitterOp | None:
        low, high = self.temperature_limit or TEMPERATURE_RANGES[self.mode]
        return PlanckianJitterOp(
            temperature=sample_temperature(rng, low, high, self.sampling_method), mode=self.mode
        )


def sample_temperature(rng: np.random.Generator, low: float, high: float, method: str) -> float:
    """A temperature in [low, high]; straddling 6000 K, 40% of draws fall below it."""
    if not low < WHITE_TEMPERATURE < high:
        return float(rng.uniform(low, high))
    warm = rng.random() < WARM_SHARE
    if method == "uniform":
        return float(rng.uniform(low, WHITE_TEMPERATURE) if warm else rng.uniform(WHITE_TEMPERATURE, high))
    span = (WHITE_TEMPERATURE - low) if warm else (high - WHITE_TEMPERATURE)
    shift = min(abs(rng.normal(0.0, span / 3.0)), span)
    return float(WHITE_TEMPERATURE - shift if warm else WHITE_TEMPERATURE + shift)
