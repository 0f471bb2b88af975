"""Corrupt: one ImageNet-C corruption at a severity from 1 to 5.

Eighteen corruptions change pixel values only and draw a ``CorruptOp``
(a pixel op: labels stay byte-equal). ``elastic_transform`` moves pixels,
so it draws a ``CorruptElasticOp``: a geometric op whose sampling grid
(the paper's random affine followed by a smoothed displacement field) goes
through the same one-warp core as ElasticTransform, and every label moves
with it. That is why the transform's kind is "geometric".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.geometry.warp import GridWarp
from augcli.transforms.base import Op, SampleContext, Transform, register
from augcli.transforms.geometric._common import ResampledOp
from augcli.transforms.params import Param
from augcli.transforms.pixel.corruptions import NAMES, PHOTOMETRIC, level
from augcli.transforms.pixel.imageops import draw_seed
from augcli.transforms.pixel.support import ColourOp, interpolation_param

REFERENCE_SIZE = 224  # the image side the published parameters were tuned for


def size_scale(height: int, width: int, reference_size: int | None) -> float:
    """Factor applied to the tables' pixel distances for this image."""
    return 1.0 if reference_size is None else min(height, width) / float(reference_size)


@dataclass(frozen=True)
class CorruptOp(ColourOp):
    name: ClassVar[str] = "Corrupt"
    corruption: str
    severity: int
    reference_size: int | None
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        scale = size_scale(colour.shape[0], colour.shape[1], self.reference_size)
        return PHOTOMETRIC[self.corruption](colour, maxv, self.severity, scale, self.seed)


def reference_field(
    height: int, width: int, scale: float, sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """Uniform(-1, 1) noise smoothed by ``sigma``, drawn at the reference resolution.

    The noise lives on the grid of the reference-sized image (``scale``
    times coarser than this one) and is resized up, so the field looks the
    same at any resolution. A sigma wider than a few grid cells is smoothed
    on a ``f`` times coarser grid by sigma / f and rescaled by 1 / f (a
    smoothed white field's amplitude falls as 1 / sigma): the same
    statistics without a kernel wider than the image.
    """
    factor = max(1, int(sigma // 4))
    grid = max(scale, 1e-6) * factor
    small_h, small_w = max(2, int(np.ceil(height / grid))), max(2, int(np.ceil(width / grid)))
    noise = rng.uniform(-1.0, 1.0, (small_h, small_w)).astype(np.float32)
    field = cv2.GaussianBlur(noise, (0, 0), sigma / factor, borderType=cv2.BORDER_REFLECT_101)
    field *= np.float32(1.0 / factor)
    return cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True, kw_only=True)
class CorruptElasticOp(ResampledOp):
    """ImageNet-C's elastic transform as a sampling grid (labels follow through apply_warp)."""

    name: ClassVar[str] = "Corrupt"
    corruption: str = "elastic_transform"
    severity: int
    reference_size: int | None
    seed: int

    def warp(self, width: int, height: int) -> GridWarp:
        alpha, sigma, reach = level("elastic_transform", self.severity)
        scale = size_scale(height, width, self.reference_size)
        rng = np.random.default_rng(self.seed)
        # The random affine: three points around the centre, each moved by up to ``reach``.
        centre = np.array([width, height], np.float32) / 2.0
        side = min(width, height) / 3.0
        src = np.array([centre + side, [centre[0] + side, centre[1] - side], centre - side], np.float32)
        dst = src + rng.uniform(-reach * scale, reach * scale, src.shape).astype(np.float32)
        inverse = cv2.invertAffineTransform(cv2.getAffineTransform(src, dst))
        dx = reference_field(height, width, scale, sigma, rng) * np.float32(alpha * scale)
        dy = reference_field(height, width, scale, sigma, rng) * np.float32(alpha * scale)
        # Output centre p samples the affine-warped image at p + d(p), i.e. the input at A^-1 (p + d).
        qx = np.arange(width, dtype=np.float32)[None, :] + 0.5 + dx
        qy = np.arange(height, dtype=np.float32)[:, None] + 0.5 + dy
        map_x = inverse[0, 0] * qx + inverse[0, 1] * qy + inverse[0, 2]
        map_y = inverse[1, 0] * qx + inverse[1, 1] * qy + inverse[1, 2]
        return GridWarp(map_x=map_x.astype(np.float32), map_y=map_y.astype(np.float32))


@register
class Corrupt(Transform):
    """Apply one ImageNet-C corruption (Hendrycks & Dietterich 2019) at severity 1-5."""

    kind = "geometric"
    params = (
        Param(
            "name",
            "choice",
            "elastic_transform",
            "which ImageNet-C corruption (the default is the one that moves labels)",
            choices=NAMES,
        ),
        Param(
            "severity",
            "int",
            3,
            "strength, 1 (mild) to 5 (severe), with the paper's parameters",
            low=1,
            high=5,
        ),
        Param(
            "reference_size",
            "int",
            REFERENCE_SIZE,
            "image side the pixel sizes of the tables refer to: blur radii, flake, drop and "
            "displacement sizes scale by min(H, W) / reference_size; null keeps the published "
            "pixel values",
            low=1,
            nullable=True,
        ),
        interpolation_param(1, what="elastic_transform's resampling of the image (masks always use nearest)"),
    )
    default_p = 0.5
    example = "- Corrupt: {name: elastic_transform, severity: 2, p: 0.3}"
    deviations = (
        "kind is geometric because elastic_transform moves pixels and labels (through the same "
        "warp core as ElasticTransform, constant black border instead of the paper's reflection so "
        "no unlabelled mirrored objects appear); every other corruption is a pixel op and leaves "
        "labels byte-equal. Pixel sizes scale with the image (reference_size). frost uses a "
        "procedurally synthesised frost texture (the paper's frost photographs cannot be shipped). "
        "motion_blur and snow use a one-sided Gaussian streak kernel like ImageMagick's; glass_blur "
        "jitters pixels with one remap per pass instead of sequential swaps; jpeg_compression uses "
        "OpenCV's libjpeg encoder instead of Pillow's. Alpha channels are untouched."
    )

    def check(self) -> None:
        # The parameter is called ``name`` in recipes; keep it off ``self.name``, which
        # must stay the transform's registry name.
        self.corruption = self.__dict__.pop("name")

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        if self.corruption == "elastic_transform":
            return CorruptElasticOp(
                severity=self.severity,
                reference_size=self.reference_size,
                seed=int(rng.integers(0, 2**63 - 1)),
                interpolation=self.interpolation,
            )
        return CorruptOp(
            corruption=self.corruption,
            severity=self.severity,
            reference_size=self.reference_size,
            seed=draw_seed(rng),
        )
