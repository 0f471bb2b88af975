"""Lens and camera blurs: Defocus, GlassBlur, ZoomBlur, ChromaticAberration.

The kernels (``disk_kernel``, ``zoom_blur``, ``glass_blur``) are shared
with the ImageNet-C corruptions. Everything works on the colour channels;
alpha stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import draw_seed, num_channels
from augcli.transforms.pixel.support import ColourOp, grey_view, interpolation_param, rgb_only, to_image

BORDER = cv2.BORDER_REFLECT_101


# --- Defocus ---------------------------------------------------------------------------


def disk_kernel(radius: float, alias_blur: float) -> np.ndarray:
    """A normalised flat disc (the aperture), softened by a small Gaussian against aliasing."""
    reach = int(np.ceil(radius)) + 2  # room for the softening
    axis = np.arange(-reach, reach + 1, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    kernel = (xx * xx + yy * yy <= radius * radius).astype(np.float32)
    if alias_blur > 0:
        kernel = cv2.GaussianBlur(kernel, (0, 0), alias_blur, borderType=cv2.BORDER_CONSTANT)
    return kernel / kernel.sum()


def convolve(colour: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """filter2D on any channel count (OpenCV switches to a DFT for large kernels)."""
    if num_channels(colour) == 1:
        return cv2.filter2D(grey_view(colour), -1, kernel, borderType=BORDER)
    return cv2.filter2D(colour, -1, kernel, borderType=BORDER)


@dataclass(frozen=True)
class DefocusOp(ColourOp):
    name: ClassVar[str] = "Defocus"
    radius: int
    alias_blur: float

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        return convolve(colour, disk_kernel(self.radius, self.alias_blur))


@register
class Defocus(Transform):
    """Out-of-focus blur: convolve with a disc-shaped aperture."""

    kind = "pixel"
    params = (
        Param(
            "radius",
            "int_range",
            (3, 10),
            "disc radius range in pixels; a single x means [1, x]",
            low=1,
            scalar="upto",
        ),
        Param(
            "alias_blur",
            "range",
            (0.1, 0.5),
            "sigma range of the Gaussian that softens the disc edge; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
    )
    default_p = 0.5
    example = "- Defocus: {radius: [2, 5], alias_blur: [0.1, 0.3], p: 0.3}"
    deviations = "The disc is softened by a Gaussian of sigma alias_blur; alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> DefocusOp | None:
        low, high = self.radius
        return DefocusOp(
            radius=int(rng.integers(low, high + 1)), alias_blur=float(rng.uniform(*self.alias_blur))
        )


# --- GlassBlur -------------------------------------------------------------------------


def glass_blur(colour: np.ndarray, sigma: float, max_delta: int, iterations: int, seed: int) -> np.ndarray:
    """Blur, let every pixel take a random neighbour's value (|offset| < max_delta), blur again."""
    image = grey_view(colour) if num_channels(colour) == 1 else colour
    if sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), sigma, borderType=BORDER)
    height, width = image.shape[:2]
    base_x = np.broadcast_to(np.arange(width, dtype=np.float32), (height, width))
    base_y = np.broadcast_to(np.arange(height, dtype=np.float32)[:, None], (height, width))
    offsets = np.empty((height, width), np.float32)
    cv2.setRNGSeed(seed)  # OpenCV's generator is thread-local: reseeding makes it exact
    for _ in range(iterations):
        cv2.randu(offsets, -max_delta, max_delta)
        map_x = base_x + np.floor(offsets)
        cv2.randu(offsets, -max_delta, max_delta)
        map_y = base_y + np.floor(offsets)
        image = cv2.remap(image, map_x, map_y, cv2.INTER_NEAREST, borderMode=BORDER)
    if sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), sigma, borderType=BORDER)
    return image


@dataclass(frozen=True)
class GlassBlurOp(ColourOp):
    name: ClassVar[str] = "GlassBlur"
    sigma: float
    max_delta: int
    iterations: int
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        return glass_blur(colour, self.sigma, self.max_delta, self.iterations, self.seed)


@register
class GlassBlur(Transform):
    """Frosted-glass look: blur, jitter pixels locally, blur again."""

    kind = "pixel"
    params = (
        Param("sigma", "float", 0.7, "Gaussian sigma of both blurs", low=0.0),
        Param("max_delta", "int", 4, "largest pixel displacement of the jitter", low=1),
        Param("iterations", "int", 2, "how many jitter passes", low=1),
        Param(
            "mode",
            "choice",
            "fast",
            "accepted for Albumentations compatibility; both modes run the same vectorised jitter",
            choices=("fast", "exact"),
        ),
    )
    default_p = 0.5
    example = "- GlassBlur: {sigma: 0.7, max_delta: 2, iterations: 1, p: 0.2}"
    deviations = (
        "Each jitter pass lets every pixel copy a random neighbour (one remap) instead "
        "of swapping pixel pairs in sequence; the look is the same, the cost is a fraction, "
        "and border pixels are jittered too. mode is accepted and ignored. Alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> GlassBlurOp | None:
        return GlassBlurOp(
            sigma=self.sigma, max_delta=self.max_delta, iterations=self.iterations, seed=draw_seed(rng)
        )


# --- ZoomBlur --------------------------------------------------------------------------


def zoom_blur(colour: np.ndarray, factors) -> np.ndarray:
    """Average of the image and its copies zoomed about the centre by each factor."""
    image = grey_view(colour) if num_channels(colour) == 1 else colour
    # uint8 sums fit uint16 exactly for up to 257 copies (cheaper than float).
    exact = image.dtype == np.uint8 and len(factors) < 257
    total = image.astype(np.uint16) if exact else image.astype(np.float32)
    for factor in factors:
        if exact:
            cv2.add(total, central_zoom(image, factor), dst=total, dtype=cv2.CV_16U)
        else:
            cv2.accumulate(central_zoom(image, factor), total)
    return to_image(total, colour.dtype, 0, scale=1.0 / (len(factors) + 1))


def central_zoom(image: np.ndarray, factor: float) -> np.ndarray:
    """Enlarge the central 1/factor of the image back to full size (a zoom about the centre)."""
    height, width = image.shape[:2]
    crop_h, crop_w = max(1, int(np.ceil(height / factor))), max(1, int(np.ceil(width / factor)))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    big_h, big_w = int(np.ceil(crop_h * factor)), int(np.ceil(crop_w * factor))
    big = cv2.resize(
        image[top : top + crop_h, left : left + crop_w], (big_w, big_h), interpolation=cv2.INTER_LINEAR
    )
    trim_y, trim_x = (big_h - height) // 2, (big_w - width) // 2
    return big[trim_y : trim_y + height, trim_x : trim_x + width]


@dataclass(frozen=True)
class ZoomBlurOp(ColourOp):
    name: ClassVar[str] = "ZoomBlur"
    max_factor: float
    step_factor: float

    def factors(self) -> np.ndarray:
        return np.arange(1.0, self.max_factor, self.step_factor)

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        return zoom_blur(colour, self.factors())


@register
class ZoomBlur(Transform):
    """Radial blur as from zooming during the exposure."""

    kind = "pixel"
    params = (
        Param(
            "max_factor",
            "range",
            (1.0, 1.31),
            "range of the largest zoom factor (>= 1); a single x means [1, x]",
            low=1.0,
            scalar="upto",
        ),
        Param(
            "step_factor",
            "range",
            (0.01, 0.03),
            "range of the step between zoom factors; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
    )
    default_p = 0.5
    example = "- ZoomBlur: {max_factor: [1.05, 1.2], step_factor: [0.02, 0.03], p: 0.2}"
    deviations = "uint8 images are summed in uint16 (exact); alpha is untouched."

    def check(self) -> None:
        if self.step_factor[1] <= 0:
            raise ParamError("step_factor must allow a value > 0", "step_factor")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ZoomBlurOp | None:
        low, high = self.step_factor
        step = float(rng.uniform(max(low, 1e-3), high)) if high > 1e-3 else 1e-3
        max_factor = max(1.0 + step, float(rng.uniform(*self.max_factor)))
        return ZoomBlurOp(max_factor=max_factor, step_factor=step)


# --- ChromaticAberration ---------------------------------------------------------------


def radial_maps(width: int, height: int, k1: float, k2: float) -> tuple[np.ndarray, np.ndarray]:
    """Sampling maps of the radial lens model x' = x (1 + k1 r^2 + k2 r^4).

    Coordinates are normalised by the image size around its centre, as
    OpenCV's camera model with focal lengths (W, H) does.
    """
    xn = (np.arange(width, dtype=np.float32) - width / 2.0) / width
    yn = (np.arange(height, dtype=np.float32) - height / 2.0) / height
    r2 = xn[None, :] ** 2 + yn[:, None] ** 2
    # float32 throughout, in place where a temporary is not needed (the same values as
    # 1.0 + r2 * (k1 + k2 * r2) and (xn * factor) * width + width / 2.0 written plainly)
    factor = np.multiply(r2, k2)
    factor += k1
    factor *= r2
    factor += 1.0
    map_x = np.multiply(xn[None, :], factor)
    map_x *= width
    map_x += width / 2.0
    map_y = np.multiply(yn[:, None], factor, out=factor)
    map_y *= height
    map_y += height / 2.0
    return map_x, map_y


@dataclass(frozen=True)
class ChromaticAberrationOp(ColourOp):
    name: ClassVar[str] = "ChromaticAberration"
    red: tuple[float, ...]  # (primary, secondary) radial coefficients
    blue: tuple[float, ...]
    interpolation: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        if not rgb_only(colour):
            return colour
        height, width = colour.shape[:2]
        out = np.array(colour, order="C")  # green stays; red and blue are replaced in place
        for channel, (k1, k2) in ((0, self.red), (2, self.blue)):
            map_x, map_y = radial_maps(width, height, k1, k2)
            plane = cv2.extractChannel(out, channel)  # cheaper than cv2.split of all three
            moved = cv2.remap(plane, map_x, map_y, self.interpolation, borderMode=cv2.BORDER_REPLICATE)
            cv2.insertChannel(moved, out, channel)
        return out


@register
class ChromaticAberration(Transform):
    """Lateral chromatic aberration: distort red and blue radially, keep green."""

    kind = "pixel"
    params = (
        Param(
            "primary_distortion_limit",
            "range",
            (-0.02, 0.02),
            "range of the r^2 coefficient; a single x means [-x, x]",
            scalar="symmetric",
        ),
        Param(
            "secondary_distortion_limit",
            "range",
            (-0.05, 0.05),
            "range of the r^4 coefficient; a single x means [-x, x]",
            scalar="symmetric",
        ),
        Param(
            "mode",
            "choice",
            "green_purple",
            "green_purple: red and blue move together; red_blue: they move apart; random: either",
            choices=("green_purple", "red_blue", "random"),
        ),
        interpolation_param(1),
    )
    default_p = 0.5
    example = "- ChromaticAberration: {primary_distortion_limit: 0.05, mode: random, p: 0.3}"
    deviations = (
        "Grey images are returned unchanged (Albumentations raises); alpha is untouched. "
        "The radial model is evaluated directly (same as OpenCV's camera model with "
        "focal lengths W, H and the centre as principal point)."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> ChromaticAberrationOp | None:
        red = [
            float(rng.uniform(*self.primary_distortion_limit)),
            float(rng.uniform(*self.secondary_distortion_limit)),
        ]
        blue = [
            float(rng.uniform(*self.primary_distortion_limit)),
            float(rng.uniform(*self.secondary_distortion_limit)),
        ]
        red[1], blue[1] = _same_sign(red[0], red[1]), _same_sign(blue[0], blue[1])
        mode = self.mode if self.mode != "random" else ("green_purple" if rng.random() < 0.5 else "red_blue")
        together = mode == "green_purple"
        blue = [
            _same_sign(red[0], blue[0]) if together else -_same_sign(red[0], blue[0]),
            _same_sign(red[1], blue[1]) if together else -_same_sign(red[1], blue[1]),
        ]
        return ChromaticAberrationOp(red=tuple(red), blue=tuple(blue), interpolation=self.interpolation)


def _same_sign(reference: float, value: float) -> float:
    return abs(value) if reference >= 0 else -abs(value)
