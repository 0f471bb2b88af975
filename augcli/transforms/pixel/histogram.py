"""Tone-mapping transforms built from look-up tables.

Equalize, AutoContrast, Posterize, Solarize and RandomToneCurve each
compute one table per channel (from the histogram where needed) and map the
image through it: one ``cv2.LUT`` pass for uint8, one gather for uint16.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import apply_luts, draw_seed, identity_lut, num_channels
from augcli.transforms.pixel.support import ColourOp, grey_view, rgb_only, seeded


def histogram(image: np.ndarray, channel: int, maxv: int, ignore: int | None = None) -> np.ndarray:
    """Counts of every value 0..maxv in one channel of an image (float64)."""
    if image.dtype == np.uint8:
        # calcHist reads the channel in place: no split, no copy.
        hist = cv2.calcHist([image], [channel], None, [256], [0, 256]).ravel().astype(np.float64)
    else:
        plane = image if image.ndim == 2 else image[..., channel]
        hist = np.bincount(plane.ravel(), minlength=maxv + 1).astype(np.float64)
    if ignore is not None and 0 <= ignore <= maxv:
        hist[ignore] = 0.0
    return hist


def channels_of(colour: np.ndarray) -> list[np.ndarray]:
    if colour.ndim == 2 or colour.shape[2] == 1:
        return [grey_view(colour)]
    return [np.ascontiguousarray(colour[..., c]) for c in range(colour.shape[2])]


# --- Equalize --------------------------------------------------------------------------


def equalize_lut(hist: np.ndarray, maxv: int, mode: str) -> np.ndarray:
    """Histogram-equalising table: OpenCV's rule (cv) or Pillow's (pil)."""
    identity = np.arange(maxv + 1, dtype=np.float64)
    used = np.flatnonzero(hist)
    if used.size <= 1:
        return identity
    total = hist.sum()
    if mode == "pil":
        step = (total - hist[used[-1]]) // maxv
        if step <= 0:
            return identity
        before = np.concatenate([[0.0], np.cumsum(hist)[:-1]])
        return np.minimum(maxv, (before + step // 2) // step)
    # OpenCV: the darkest used value maps to 0 and the cumulative count is stretched.
    cdf = np.cumsum(hist)
    first = hist[used[0]]
    return np.clip((cdf - first) * (maxv / (total - first)), 0, maxv)


@dataclass(frozen=True)
class EqualizeOp(ColourOp):
    name: ClassVar[str] = "Equalize"
    mode: str
    by_channels: bool

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        if rgb_only(colour) and not self.by_channels:
            # Equalise luma only: Y of YCrCb (uint16 via float).
            if colour.dtype == np.uint8:
                ycrcb = cv2.cvtColor(colour, cv2.COLOR_RGB2YCrCb)
                luma = cv2.extractChannel(ycrcb, 0)
                cv2.insertChannel(self._one(luma, maxv), ycrcb, 0)
                return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)
            ycrcb = cv2.cvtColor(colour.astype(np.float32) / maxv, cv2.COLOR_RGB2YCrCb)
            luma = np.rint(ycrcb[..., 0] * maxv).clip(0, maxv).astype(colour.dtype)
            ycrcb[..., 0] = self._one(luma, maxv).astype(np.float32) / maxv
            rgb = cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB) * maxv
            return np.rint(rgb).clip(0, maxv).astype(colour.dtype)
        planes = [self._one(c, maxv) for c in channels_of(colour)]
        if len(planes) == 1:
            return planes[0]
        return cv2.merge(planes) if len(planes) <= 4 else np.dstack(planes)

    def _one(self, channel: np.ndarray, maxv: int) -> np.ndarray:
        if self.mode == "cv" and channel.dtype == np.uint8:
            return cv2.equalizeHist(channel)
        return apply_luts(channel, equalize_lut(histogram(channel, 0, maxv), maxv, self.mode))


@register
class Equalize(Transform):
    """Equalise the histogram of each channel, or of the luma only."""

    kind = "pixel"
    params = (
        Param(
            "mode",
            "choice",
            "cv",
            "cv: OpenCV's equalizeHist rule; pil: Pillow's ImageOps.equalize",
            choices=("cv", "pil"),
        ),
        Param(
            "by_channels",
            "bool",
            True,
            "true: equalise each channel; false: equalise Y of YCrCb only (colour kept)",
        ),
    )
    default_p = 0.5
    example = "- Equalize: {mode: cv, by_channels: false, p: 0.2}"
    deviations = (
        "No mask / mask_params (a recipe cannot hold arrays or callables). uint16 is "
        "equalised over all 65536 levels with the same rules; alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> EqualizeOp | None:
        return EqualizeOp(mode=self.mode, by_channels=self.by_channels)


# --- AutoContrast ----------------------------------------------------------------------


def histogram_bounds(hist: np.ndarray, cutoff: float) -> tuple[int, int]:
    """Lowest and highest value left after cutting ``cutoff`` percent of pixels off each end."""
    total = hist.sum()
    if total <= 0:
        return 0, 0
    cut = total * cutoff / 100.0
    cdf = np.cumsum(hist)
    low = int(np.searchsorted(cdf, cut, side="right"))
    high = int(len(hist) - 1 - np.searchsorted(np.cumsum(hist[::-1]), cut, side="right"))
    return min(low, len(hist) - 1), max(high, 0)


def contrast_lut(hist: np.ndarray, low: int, high: int, maxv: int, method: str) -> np.ndarray:
    values = np.arange(maxv + 1, dtype=np.float64)
    if method == "pil":
        return np.clip((values - low) * (maxv / (high - low)), 0, maxv)
    # cdf: equalise inside [low, high]; below goes to 0, above to max.
    cdf = np.cumsum(hist[low : high + 1])
    lut = np.where(values < low, 0.0, float(maxv))
    span = cdf[-1] - cdf[0]
    lut[low : high + 1] = (cdf - cdf[0]) * (maxv / span) if span > 0 else values[low : high + 1]
    return lut


@dataclass(frozen=True)
class AutoContrastOp(ColourOp):
    name: ClassVar[str] = "AutoContrast"
    cutoff: float
    ignore: int | None
    method: str

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        image = grey_view(colour) if num_channels(colour) == 1 else colour
        tables = []
        for channel in range(num_channels(image)):
            hist = histogram(image, channel, maxv, self.ignore)
            low, high = histogram_bounds(hist, self.cutoff)
            lut = identity_lut(image) if high <= low else contrast_lut(hist, low, high, maxv, self.method)
            if self.ignore is not None and 0 <= self.ignore <= maxv:
                lut[self.ignore] = self.ignore
            tables.append(lut)
        return apply_luts(colour, np.stack(tables))


@register
class AutoContrast(Transform):
    """Stretch each channel's value range to the full range, optionally cutting off the extremes."""

    kind = "pixel"
    params = (
        Param(
            "cutoff",
            "float",
            0.0,
            "percent of pixels ignored at each end of the histogram",
            low=0.0,
            high=49.99,
        ),
        Param(
            "ignore",
            "int",
            None,
            "a value left out of the histogram and kept as it is (e.g. a background marker)",
            low=0,
            nullable=True,
        ),
        Param(
            "method",
            "choice",
            "cdf",
            "cdf: equalise between the bounds; pil: linear stretch as Pillow's ImageOps.autocontrast",
            choices=("cdf", "pil"),
        ),
    )
    default_p = 0.5
    example = "- AutoContrast: {cutoff: 1, method: pil, p: 0.3}"
    deviations = (
        "ignore is a pixel value (Albumentations 2.0.8 also treats it as a channel index); "
        "uint16 works on all 65536 levels; alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> AutoContrastOp | None:
        return AutoContrastOp(cutoff=self.cutoff, ignore=self.ignore, method=self.method)


# --- Posterize, Solarize ---------------------------------------------------------------


@dataclass(frozen=True)
class PosterizeOp(ColourOp):
    name: ClassVar[str] = "Posterize"
    num_bits: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        depth = 8 if colour.dtype == np.uint8 else 16
        drop = depth - self.num_bits
        if drop <= 0:
            return colour
        mask = (maxv >> drop) << drop  # keep the top num_bits bits
        return np.bitwise_and(colour, colour.dtype.type(mask))


@register
class Posterize(Transform):
    """Keep only the top num_bits bits of every colour value (fewer tone levels)."""

    kind = "pixel"
    params = (
        Param(
            "num_bits",
            "int_range",
            (4, 4),
            "bits to keep, drawn from [min, max]; 8 keeps the image; a single x means [x, x]",
            low=1,
            high=8,
        ),
    )
    default_p = 0.5
    example = "- Posterize: {num_bits: [3, 5], p: 0.3}"
    deviations = (
        "uint16 images keep the same number of top bits, so they get the same number of "
        "levels as uint8; per-channel bit lists are not accepted (Albumentations 2.0.8 "
        "rejects them too); alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PosterizeOp | None:
        low, high = self.num_bits
        return PosterizeOp(num_bits=int(rng.integers(low, high + 1)))


@dataclass(frozen=True)
class SolarizeOp(ColourOp):
    name: ClassVar[str] = "Solarize"
    threshold: float  # fraction of the max value

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        values = identity_lut(colour)
        return apply_luts(colour, np.where(values >= self.threshold * maxv, maxv - values, values))


@register
class Solarize(Transform):
    """Invert every value at or above a threshold."""

    kind = "pixel"
    params = (
        Param(
            "threshold_range",
            "range",
            (0.5, 0.5),
            "threshold range as a fraction of the max value (255 for uint8)",
            low=0.0,
            high=1.0,
        ),
    )
    default_p = 0.5
    example = "- Solarize: {threshold_range: [0.4, 0.6], p: 0.2}"
    deviations = "Alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> SolarizeOp | None:
        return SolarizeOp(threshold=float(rng.uniform(*self.threshold_range)))


# --- RandomToneCurve -------------------------------------------------------------------


def tone_curve(low_y, high_y, maxv: int) -> np.ndarray:
    """Cubic Bezier through (0, 0), control heights low_y and high_y, and (1, 1); arrays
    of heights (shape (K, 1)) give K curves."""
    low_term, high_term, cube = _bezier_terms(maxv)
    return (low_term * low_y + high_term * high_y + cube) * maxv


@functools.lru_cache(maxsize=4)
def _bezier_terms(maxv: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """3 s^2 t, 3 s t^2 and t^3 over the values, computed in the order the curve always
    multiplied them (so the curves keep their bits); kept per maxv, read-only."""
    t = np.arange(maxv + 1, dtype=np.float64) / maxv
    s = 1.0 - t
    terms = (3 * s * s * t, 3 * s * t * t, t**3)
    for term in terms:
        term.setflags(write=False)
    return terms


@dataclass(frozen=True)
class ToneCurveOp(ColourOp):
    name: ClassVar[str] = "RandomToneCurve"
    scale: float
    per_channel: bool
    seed: int

    def control_points(self, channels: int) -> np.ndarray:
        """(channels or 1, 2) control heights, drawn around 0.25 and 0.75."""
        count = channels if self.per_channel else 1
        points = seeded(self.seed).normal([0.25, 0.75], self.scale, size=(count, 2))
        return np.clip(points, 0.0, 1.0)

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        points = self.control_points(num_channels(colour))
        return apply_luts(colour, tone_curve(points[:, :1], points[:, 1:], maxv))


@register
class RandomToneCurve(Transform):
    """Bend the tone curve: an S-curve from two randomly moved Bezier control points."""

    kind = "pixel"
    params = (
        Param(
            "scale",
            "float",
            0.1,
            "standard deviation of the control points' moves (around 0.25 and 0.75)",
            low=0.0,
            high=1.0,
        ),
        Param("per_channel", "bool", False, "draw a separate curve for each channel"),
    )
    default_p = 0.5
    example = "- RandomToneCurve: {scale: 0.2, p: 0.5}"
    deviations = "Control points come from a seed the op records; alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ToneCurveOp | None:
        return ToneCurveOp(scale=self.scale, per_channel=self.per_channel, seed=draw_seed(rng))
