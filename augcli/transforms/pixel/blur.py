"""Spatial filters: Blur, GaussianBlur, MotionBlur, Sharpen (OpenCV kernels).

Smoothing filters act on every channel, alpha included, so the edges of
transparent regions soften together with the colours. Sharpen changes tone,
so it leaves alpha untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import PixelOp, SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import (
    has_odd,
    join_alpha,
    keep_shape,
    max_value,
    sample_odd,
    split_alpha,
)

BORDER = cv2.BORDER_REFLECT_101


def _check_odd(transform: Transform, name: str) -> None:
    low, high = getattr(transform, name)
    if not has_odd(low, high):
        raise ParamError(f"{name} must contain an odd kernel size, got [{low}, {high}]", name)


@dataclass(frozen=True)
class BlurOp(PixelOp):
    name: ClassVar[str] = "Blur"
    ksize: int

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        max_value(image)
        return keep_shape(cv2.blur(image, (self.ksize, self.ksize), borderType=BORDER), image)


@register
class Blur(Transform):
    """Box blur with a random odd square kernel."""

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
    example = "- Blur: {blur_limit: [3, 5], p: 0.3}"

    def check(self) -> None:
        _check_odd(self, "blur_limit")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        return BlurOp(ksize=sample_odd(rng, *self.blur_limit))


def gaussian_ksize(sigma: float) -> int:
    """Kernel size PIL uses for a sigma (and Albumentations when blur_limit is 0)."""
    return int(sigma * 3.5) * 2 + 1


@dataclass(frozen=True)
class GaussianBlurOp(PixelOp):
    name: ClassVar[str] = "GaussianBlur"
    ksize: int
    sigma: float

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        max_value(image)
        if self.sigma <= 0 or self.ksize <= 1:
            return image
        out = cv2.GaussianBlur(
            image, (self.ksize, self.ksize), sigmaX=self.sigma, sigmaY=self.sigma, borderType=BORDER
        )
        return keep_shape(out, image)


@register
class GaussianBlur(Transform):
    """Gaussian blur with a random sigma (kernel size from sigma unless blur_limit says otherwise)."""

    kind = "pixel"
    params = (
        Param(
            "blur_limit",
            "int_range",
            (0, 0),
            "kernel size range; 0 derives the size from sigma as int(3.5 * sigma) * 2 + 1; "
            "a single x means [0, x]",
            low=0,
            scalar="upto",
        ),
        Param(
            "sigma_limit",
            "range",
            (0.5, 3.0),
            "standard deviation range in pixels; a single x means [0, x]",
            low=0.0,
            scalar="upto",
        ),
    )
    default_p = 0.5
    example = "- GaussianBlur: {sigma_limit: [0.2, 1.5], p: 0.5}"
    deviations = "An even kernel size drawn from blur_limit is rounded up to the next odd size."

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        sigma = float(rng.uniform(*self.sigma_limit))
        low, high = self.blur_limit
        ksize = int(rng.integers(low, high + 1))
        if ksize == 0:
            ksize = gaussian_ksize(sigma)
        elif ksize % 2 == 0:
            ksize += 1
        return GaussianBlurOp(ksize=ksize, sigma=sigma)


def motion_kernel(ksize: int, angle: float, direction: float) -> np.ndarray:
    """A normalised line kernel through the centre of a ksize x ksize square.

    ``angle`` in degrees (0 = horizontal, 90 = vertical); ``direction`` in
    [-1, 1] moves the line's weight behind (-1), around (0) or ahead (+1) of
    the centre. The line always fits inside the square.
    """
    centre = (ksize - 1) / 2.0
    scale = 1.0 / (1.0 + abs(direction))
    back, ahead = centre * (1.0 - direction) * scale, centre * (1.0 + direction) * scale
    rad = np.deg2rad(angle)
    ux, uy = np.cos(rad), -np.sin(rad)  # image rows grow downwards
    start = (int(round(centre - back * ux)), int(round(centre - back * uy)))
    end = (int(round(centre + ahead * ux)), int(round(centre + ahead * uy)))
    line = np.zeros((ksize, ksize), dtype=np.uint8)
    cv2.line(line, start, end, 1, thickness=1, lineType=cv2.LINE_8)
    kernel = line.astype(np.float32)
    return kernel / kernel.sum()


def shift_kernel(kernel: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move a kernel's content by (dx, dy) cells (the caller keeps it inside)."""
    return np.roll(kernel, (dy, dx), axis=(0, 1))


@dataclass(frozen=True)
class MotionBlurOp(PixelOp):
    name: ClassVar[str] = "MotionBlur"
    ksize: int
    angle: float
    direction: float
    shift: tuple[int, int]  # (dx, dy) of the line inside the kernel

    def kernel(self) -> np.ndarray:
        return shift_kernel(motion_kernel(self.ksize, self.angle, self.direction), *self.shift)

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        max_value(image)
        out = cv2.filter2D(image, -1, self.kernel(), borderType=BORDER)
        return keep_shape(out, image)


@register
class MotionBlur(Transform):
    """Blur along a random line, as from camera shake or a moving subject."""

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
        Param("allow_shifted", "bool", True, "move the streak randomly off the kernel centre"),
        Param(
            "angle_range",
            "range",
            (0.0, 360.0),
            "streak angle range in degrees (0 = horizontal, 90 = vertical)",
            low=0.0,
            high=360.0,
        ),
        Param(
            "direction_range",
            "range",
            (-1.0, 1.0),
            "streak bias range: -1 behind the pixel, 0 both sides, 1 ahead",
            low=-1.0,
            high=1.0,
        ),
    )
    default_p = 0.5
    example = "- MotionBlur: {blur_limit: [3, 9], angle_range: [0, 180], direction_range: [0, 0], p: 0.3}"
    deviations = (
        "A biased streak is shortened so that it still fits the kernel; the kernel is "
        "built from (ksize, angle, direction, shift), which the op records."
    )

    def check(self) -> None:
        _check_odd(self, "blur_limit")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        ksize = sample_odd(rng, *self.blur_limit)
        angle = float(rng.uniform(*self.angle_range))
        direction = float(rng.uniform(*self.direction_range))
        shift = (0, 0)
        if self.allow_shifted:
            rows, cols = np.nonzero(motion_kernel(ksize, angle, direction))
            dx = int(rng.integers(-cols.min(), ksize - cols.max()))
            dy = int(rng.integers(-rows.min(), ksize - rows.max()))
            shift = (dx, dy)
        return MotionBlurOp(ksize=ksize, angle=angle, direction=direction, shift=shift)


@dataclass(frozen=True)
class SharpenOp(PixelOp):
    name: ClassVar[str] = "Sharpen"
    alpha: float
    lightness: float
    method: str
    kernel_size: int
    sigma: float

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        max_value(image)
        colour, alpha = split_alpha(image)
        colour = np.ascontiguousarray(colour)
        if self.method == "kernel":
            out = cv2.filter2D(colour, -1, sharpen_kernel(self.alpha, self.lightness), borderType=BORDER)
        else:
            # Unsharp mask: add back alpha times the detail the blur removed.
            blurred = cv2.GaussianBlur(
                colour, (self.kernel_size, self.kernel_size), self.sigma, borderType=BORDER
            )
            out = cv2.addWeighted(colour, 1.0 + self.alpha, blurred, -self.alpha, 0.0)
        return join_alpha(keep_shape(out, colour), alpha)


def sharpen_kernel(alpha: float, lightness: float) -> np.ndarray:
    """Blend of the identity and a Laplacian sharpening kernel whose centre adds ``lightness``."""
    identity = np.zeros((3, 3), dtype=np.float32)
    identity[1, 1] = 1.0
    effect = -np.ones((3, 3), dtype=np.float32)
    effect[1, 1] = 8.0 + lightness
    return (1.0 - alpha) * identity + alpha * effect


@register
class Sharpen(Transform):
    """Sharpen with a Laplacian kernel (method kernel) or an unsharp mask (method gaussian)."""

    kind = "pixel"
    params = (
        Param(
            "alpha",
            "range",
            (0.2, 0.5),
            "strength range: 0 keeps the image, 1 applies the full sharpening",
            low=0.0,
            high=1.0,
        ),
        Param(
            "lightness",
            "range",
            (0.5, 1.0),
            "brightness of the sharpened image (kernel method; 1 keeps it)",
            low=0.0,
        ),
        Param(
            "method",
            "choice",
            "kernel",
            "kernel: 3x3 Laplacian blend; gaussian: unsharp mask",
            choices=("kernel", "gaussian"),
        ),
        Param("kernel_size", "int", 5, "odd Gaussian kernel size (gaussian method)", low=3),
        Param("sigma", "float", 1.0, "Gaussian sigma in pixels (gaussian method)", low=0.0),
    )
    default_p = 0.5
    example = "- Sharpen: {alpha: [0.1, 0.3], lightness: [0.9, 1.1], p: 0.3}"
    deviations = "Alpha channels are left untouched."

    def check(self) -> None:
        if self.kernel_size % 2 == 0:
            raise ParamError(f"kernel_size must be odd, got {self.kernel_size}", "kernel_size")
        if self.sigma <= 0:
            raise ParamError(f"sigma must be > 0, got {self.sigma}", "sigma")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        return SharpenOp(
            alpha=float(rng.uniform(*self.alpha)),
            lightness=float(rng.uniform(*self.lightness)),
            method=self.method,
            kernel_size=self.kernel_size,
            sigma=self.sigma,
        )
