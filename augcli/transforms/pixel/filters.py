"""Convolution filters: UnsharpMask, Emboss, MedianBlur, AdvancedBlur.

All run OpenCV kernels on the colour channels only, so alpha stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.blur import gaussian_ksize
from augcli.transforms.pixel.imageops import draw_seed, has_odd, num_channels, sample_odd
from augcli.transforms.pixel.support import ColourOp, grey_view, seeded, to_image

BORDER = cv2.BORDER_REFLECT_101


def require_odd(transform: Transform, name: str) -> None:
    low, high = getattr(transform, name)
    if not has_odd(max(low, 3), high):
        raise ParamError(f"{name} must contain an odd kernel size >= 3, got [{low}, {high}]", name)


# --- UnsharpMask -----------------------------------------------------------------------


@dataclass(frozen=True)
class UnsharpMaskOp(ColourOp):
    name: ClassVar[str] = "UnsharpMask"
    ksize: int
    sigma: float
    alpha: float
    threshold: float  # uint8 units

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        if num_channels(colour) == 1:
            colour = grey_view(colour)  # OpenCV drops a trailing 1: keep shapes equal
        image = colour.astype(np.float32)
        size = (self.ksize, self.ksize)
        blurred = cv2.GaussianBlur(image, size, self.sigma, borderType=BORDER)
        residual = cv2.subtract(image, blurred)
        # Sharpen only where the detail is above the threshold, with a soft edge.
        limit = self.threshold * maxv / 255.0
        mask = (np.abs(residual) > limit).astype(np.float32)
        soft = cv2.GaussianBlur(mask, size, self.sigma, borderType=BORDER)
        sharp = cv2.scaleAdd(residual, self.alpha, image)
        np.clip(sharp, 0, maxv, out=sharp)
        out = cv2.scaleAdd(cv2.multiply(cv2.subtract(sharp, image), soft), 1.0, image)
        return to_image(out, colour.dtype, maxv)


@register
class UnsharpMask(Transform):
    """Sharpen by adding back the detail a Gaussian blur removes, where it exceeds a threshold."""

    kind = "pixel"
    params = (
        Param(
            "blur_limit",
            "int_range",
            (3, 7),
            "Gaussian kernel size range (odd sizes >= 3 are drawn); [0, 0] derives the size "
            "from sigma; a single x means [3, x]",
            low=0,
            scalar="upto",
        ),
        Param(
            "sigma_limit",
            "range",
            (0.0, 0.0),
            "Gaussian sigma range; 0 derives sigma from the kernel size; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "alpha",
            "range",
            (0.2, 0.5),
            "strength range: 0 keeps the image, 1 adds the full detail; a single x means [0, x]",
            low=0.0,
            high=1.0,
            scalar="upto",
        ),
        Param(
            "threshold",
            "int",
            10,
            "minimum |image - blurred| (uint8 units) for a pixel to be sharpened",
            low=0,
            high=255,
        ),
    )
    default_p = 0.5
    example = "- UnsharpMask: {blur_limit: [3, 7], alpha: [0.2, 0.5], p: 0.3}"
    deviations = (
        "A size derived from sigma is int(3.5 * sigma) * 2 + 1; uint16 thresholds scale "
        "by 257; alpha is untouched."
    )

    def check(self) -> None:
        if tuple(self.blur_limit) != (0, 0):
            require_odd(self, "blur_limit")
        elif self.sigma_limit[1] <= 0:
            raise ParamError(
                "blur_limit [0, 0] needs sigma_limit > 0 to derive the kernel size", "blur_limit"
            )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> UnsharpMaskOp | None:
        low, high = self.blur_limit
        sigma = float(rng.uniform(*self.sigma_limit))
        ksize = sample_odd(rng, max(low, 3), high) if high > 0 else gaussian_ksize(sigma)
        return UnsharpMaskOp(
            ksize=ksize, sigma=sigma, alpha=float(rng.uniform(*self.alpha)), threshold=float(self.threshold)
        )


# --- Emboss ----------------------------------------------------------------------------


def emboss_kernel(alpha: float, strength: float) -> np.ndarray:
    """Blend of the identity and a 3x3 relief kernel lit from the top left."""
    identity = np.zeros((3, 3), np.float32)
    identity[1, 1] = 1.0
    relief = np.array(
        [[-1 - strength, -strength, 0.0], [-strength, 1.0, strength], [0.0, strength, 1 + strength]],
        np.float32,
    )
    return (1.0 - alpha) * identity + alpha * relief


@dataclass(frozen=True)
class EmbossOp(ColourOp):
    name: ClassVar[str] = "Emboss"
    alpha: float
    strength: float

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        return cv2.filter2D(colour, -1, emboss_kernel(self.alpha, self.strength), borderType=BORDER)


@register
class Emboss(Transform):
    """Add a relief effect: blend the image with a 3x3 emboss filter."""

    kind = "pixel"
    params = (
        Param(
            "alpha",
            "range",
            (0.2, 0.5),
            "visibility range of the embossed image (0 none, 1 only it)",
            low=0.0,
            high=1.0,
        ),
        Param("strength", "range", (0.2, 0.7), "relief strength range", low=0.0),
    )
    default_p = 0.5
    example = "- Emboss: {alpha: [0.2, 0.5], strength: [0.2, 0.7], p: 0.3}"
    deviations = "Alpha is untouched."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> EmbossOp | None:
        return EmbossOp(alpha=float(rng.uniform(*self.alpha)), strength=float(rng.uniform(*self.strength)))


# --- MedianBlur ------------------------------------------------------------------------

MEDIAN_MAX_KSIZE_16BIT = 5  # OpenCV's median filter accepts 3 and 5 only beyond 8 bits


@dataclass(frozen=True)
class MedianBlurOp(ColourOp):
    name: ClassVar[str] = "MedianBlur"
    ksize: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        ksize = self.ksize if colour.dtype == np.uint8 else min(self.ksize, MEDIAN_MAX_KSIZE_16BIT)
        channels = num_channels(colour)
        if channels == 1:
            return cv2.medianBlur(grey_view(colour), ksize)
        if channels in (3, 4):
            return cv2.medianBlur(colour, ksize)
        return np.dstack(
            [cv2.medianBlur(np.ascontiguousarray(colour[..., c]), ksize) for c in range(channels)]
        )


@register
class MedianBlur(Transform):
    """Replace each value by the median of its neighbourhood (random odd square kernel)."""

    kind = "pixel"
    params = (
        Param(
            "blur_limit",
            "int_range",
            (3, 7),
            "kernel size range (odd sizes are drawn); a single x means [3, x]",
            low=3,
            scalar="upto",
        ),
    )
    default_p = 0.5
    example = "- MedianBlur: {blur_limit: [3, 5], p: 0.3}"
    deviations = "uint16 images use at most a 5x5 kernel (OpenCV's limit beyond 8 bits); alpha is untouched."

    def check(self) -> None:
        require_odd(self, "blur_limit")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> MedianBlurOp | None:
        return MedianBlurOp(ksize=sample_odd(rng, *self.blur_limit))


# --- AdvancedBlur ----------------------------------------------------------------------


def generalized_gaussian_kernel(
    ksize: int, sigma_x: float, sigma_y: float, angle: float, beta: float, noise: np.ndarray | None = None
) -> np.ndarray:
    """exp(-0.5 * (d' S^-1 d) ** beta) on a rotated anisotropic grid, times noise, normalised."""
    axis = np.arange(ksize, dtype=np.float64) - (ksize - 1) / 2.0
    xx, yy = np.meshgrid(axis, axis)
    rad = np.deg2rad(angle)
    rotation = np.array([[np.cos(rad), -np.sin(rad)], [np.sin(rad), np.cos(rad)]])
    cov = rotation @ np.diag([max(sigma_x, 1e-3) ** 2, max(sigma_y, 1e-3) ** 2]) @ rotation.T
    inv = np.linalg.inv(cov)
    quad = inv[0, 0] * xx * xx + (inv[0, 1] + inv[1, 0]) * xx * yy + inv[1, 1] * yy * yy
    kernel = np.exp(-0.5 * np.power(quad, beta))
    if noise is not None:
        kernel = kernel * noise
    return (kernel / kernel.sum()).astype(np.float32)


@dataclass(frozen=True)
class AdvancedBlurOp(ColourOp):
    name: ClassVar[str] = "AdvancedBlur"
    ksize: int
    sigma_x: float
    sigma_y: float
    angle: float
    beta: float
    noise_limit: tuple[float, float]
    seed: int

    def kernel(self) -> np.ndarray:
        noise = seeded(self.seed).uniform(*self.noise_limit, size=(self.ksize, self.ksize))
        return generalized_gaussian_kernel(
            self.ksize, self.sigma_x, self.sigma_y, self.angle, self.beta, noise
        )

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        return cv2.filter2D(colour, -1, self.kernel(), borderType=BORDER)


@register
class AdvancedBlur(Transform):
    """Blur with a rotated, anisotropic generalized-Gaussian kernel multiplied by noise."""

    kind = "pixel"
    params = (
        Param(
            "blur_limit",
            "int_range",
            (3, 7),
            "kernel size range (odd sizes are drawn); a single x means [3, x]",
            low=3,
            scalar="upto",
        ),
        Param(
            "sigma_x_limit",
            "range",
            (0.2, 1.0),
            "x spread range; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "sigma_y_limit",
            "range",
            (0.2, 1.0),
            "y spread range; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "rotate_limit",
            "range",
            (-90.0, 90.0),
            "kernel rotation range in degrees; a single x means [-x, x]",
            scalar="symmetric",
        ),
        Param(
            "beta_limit",
            "range",
            (0.5, 8.0),
            "shape range: 1 Gaussian, < 1 heavier tails, > 1 flatter top; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
        Param(
            "noise_limit",
            "range",
            (0.9, 1.1),
            "range of the multiplicative noise on each kernel weight; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
    )
    default_p = 0.5
    example = "- AdvancedBlur: {blur_limit: [3, 7], sigma_x_limit: [0.2, 1.0], p: 0.3}"
    deviations = "Kernel noise comes from a seed the op records; alpha is untouched."

    def check(self) -> None:
        require_odd(self, "blur_limit")
        if self.beta_limit[1] <= 0:
            raise ParamError("beta_limit must allow a value > 0", "beta_limit")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> AdvancedBlurOp | None:
        ksize = sample_odd(rng, *self.blur_limit)
        sigma_x = float(rng.uniform(*self.sigma_x_limit))
        sigma_y = float(rng.uniform(*self.sigma_y_limit))
        angle = float(rng.uniform(*self.rotate_limit))
        low, high = self.beta_limit
        # Half the draws below 1 and half above, so peaked kernels are not over-represented.
        if low < 1.0 < high:
            beta = rng.uniform(low, 1.0) if rng.random() < 0.5 else rng.uniform(1.0, high)
        else:
            beta = rng.uniform(low, high)
        return AdvancedBlurOp(
            ksize=ksize,
            sigma_x=sigma_x,
            sigma_y=sigma_y,
            angle=angle,
            beta=max(float(beta), 1e-3),
            noise_limit=tuple(self.noise_limit),
            seed=draw_seed(rng),
        )
