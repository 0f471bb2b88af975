"""GaussNoise: additive Gaussian noise, read inside the op from the pooled table.

The op stores the seed, not the noise field, so it stays a few bytes when it
is pickled to a worker or written to the provenance log; the seed picks the
windows of ``noise_pool.normal_pool()`` the field is made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import PixelOp, SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import (
    draw_seed,
    join_alpha,
    max_value,
    num_channels,
    split_alpha,
)
from augcli.transforms.pixel.noise_pool import add_normal, normal_pool, pooled_field


@dataclass(frozen=True)
class GaussNoiseOp(PixelOp):
    name: ClassVar[str] = "GaussNoise"
    std: float  # fraction of the dtype maximum
    mean: float  # fraction of the dtype maximum
    per_channel: bool
    noise_scale_factor: float
    seed: int

    def noise(self, height: int, width: int, channels: int, maxv: int) -> np.ndarray:
        """float32 noise of shape (H, W, channels), or (H, W) when shared by all channels."""
        small_h = max(1, int(round(height * self.noise_scale_factor)))
        small_w = max(1, int(round(width * self.noise_scale_factor)))
        per_channel = self.per_channel and channels > 1
        shape = (small_h, small_w, channels) if per_channel else (small_h, small_w)
        field = pooled_field(normal_pool(), shape, self.seed)
        field = field * np.float32(self.std * maxv) + np.float32(self.mean * maxv)
        if (small_h, small_w) != (height, width):
            field = cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)
            field = field.reshape((height, width) + shape[2:])
        return field

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        maxv = max_value(image)
        colour, alpha = split_alpha(image)
        height, width = colour.shape[:2]
        channels = num_channels(colour)
        if self.noise_scale_factor == 1.0 and (self.per_channel or channels == 1):
            # the common case: one saturating weighted add per window of the pool
            out = add_normal(colour, float(self.std * maxv), float(self.mean * maxv), self.seed)
            return join_alpha(out, alpha)
        field = self.noise(height, width, channels, maxv)
        if field.ndim == 2 and colour.ndim == 3:
            field = cv2.merge([field] * channels) if channels > 1 else field[..., None]
        colour = np.ascontiguousarray(colour)
        # Saturating, rounding add straight into the image dtype.
        depth = cv2.CV_8U if image.dtype == np.uint8 else cv2.CV_16U
        out = cv2.add(colour, field.reshape(colour.shape), dtype=depth)
        return join_alpha(out.reshape(colour.shape), alpha)


@register
class GaussNoise(Transform):
    """Add Gaussian noise whose standard deviation is a fraction of the max pixel value."""

    kind = "pixel"
    params = (
        Param(
            "std_range",
            "range",
            (0.2, 0.44),
            "noise standard deviation range as a fraction of the max value (255 for uint8)",
            low=0.0,
            high=1.0,
        ),
        Param(
            "mean_range",
            "range",
            (0.0, 0.0),
            "noise mean range as a fraction of the max value",
            low=-1.0,
            high=1.0,
        ),
        Param(
            "per_channel",
            "bool",
            True,
            "draw independent noise for each colour channel (false: one field for all)",
        ),
        Param(
            "noise_scale_factor",
            "float",
            1.0,
            "draw noise at this fraction of the resolution and resize it (faster, blotchier)",
            low=0.0,
            high=1.0,
        ),
    )
    default_p = 0.5
    example = "- GaussNoise: {std_range: [0.02, 0.08], p: 0.5}"
    deviations = (
        "Alpha channels get no noise. The noise is read from a fixed table of 2^21 N(0, 1) "
        "draws (the same in every process) in windows of 2^17 values at offsets drawn from "
        "the op's seed: Gaussian with the drawn mean and std, independent within a window and "
        "between copies, but not a fresh draw for every pixel."
    )

    def check(self) -> None:
        if self.noise_scale_factor <= 0:
            raise ParamError("noise_scale_factor must be > 0", "noise_scale_factor")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> PixelOp | None:
        return GaussNoiseOp(
            std=float(rng.uniform(*self.std_range)),
            mean=float(rng.uniform(*self.mean_range)),
            per_channel=self.per_channel,
            noise_scale_factor=self.noise_scale_factor,
            seed=draw_seed(rng),
        )
