"""Resolution loss: Downscale and Superpixels.

Superpixels runs a compact SLIC (simple linear iterative clustering) of
augcli's own on an image at most ``max_size`` pixels long: each pixel only
compares itself with the 3 x 3 nearest cluster seeds, so an iteration is a
few vectorised passes over at most ``max_size**2`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import draw_seed, num_channels
from augcli.transforms.pixel.support import (
    INTERPOLATIONS,
    ColourOp,
    grey_view,
    interpolation_param,
    rgb_only,
    seeded,
)


def resize(colour: np.ndarray, width: int, height: int, interpolation: int) -> np.ndarray:
    image = grey_view(colour) if num_channels(colour) == 1 else colour
    if num_channels(image) <= 4:
        return cv2.resize(image, (width, height), interpolation=interpolation)
    return np.dstack(
        [
            cv2.resize(np.ascontiguousarray(image[..., c]), (width, height), interpolation=interpolation)
            for c in range(image.shape[2])
        ]
    )


# --- Downscale -------------------------------------------------------------------------


@dataclass(frozen=True)
class DownscaleOp(ColourOp):
    name: ClassVar[str] = "Downscale"
    scale: float
    down: int
    up: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        height, width = colour.shape[:2]
        small_w = max(1, int(round(width * self.scale)))
        small_h = max(1, int(round(height * self.scale)))
        small = resize(colour, small_w, small_h, self.down)
        return resize(small, width, height, self.up)


@register
class Downscale(Transform):
    """Lose detail: shrink the image by a random factor and scale it back up."""

    kind = "pixel"
    params = (
        Param(
            "scale_range", "range", (0.25, 0.25), "range of the shrink factor, in (0, 1]", low=0.0, high=1.0
        ),
        Param(
            "interpolation_pair",
            "any",
            {"downscale": 0, "upscale": 0},
            "OpenCV interpolation flags {downscale: flag, upscale: flag} "
            "(0 nearest, 1 linear, 2 cubic, 3 area, 4 lanczos4)",
            shape="{downscale: int, upscale: int}",
        ),
    )
    default_p = 0.5
    example = "- Downscale: {scale_range: [0.3, 0.6], interpolation_pair: {downscale: 3, upscale: 1}, p: 0.3}"
    deviations = "Alpha is untouched (not downscaled)."

    def check(self) -> None:
        if self.scale_range[0] <= 0:
            raise ParamError("scale_range must be > 0", "scale_range")
        pair = self.interpolation_pair
        if not isinstance(pair, dict) or set(pair) != {"downscale", "upscale"}:
            raise ParamError(
                "interpolation_pair must be a mapping with keys downscale and upscale", "interpolation_pair"
            )
        for key, flag in pair.items():
            if flag not in INTERPOLATIONS or isinstance(flag, bool):
                raise ParamError(
                    f"interpolation_pair.{key} must be one of {INTERPOLATIONS}, got {flag!r}",
                    "interpolation_pair",
                )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> DownscaleOp | None:
        return DownscaleOp(
            scale=float(rng.uniform(*self.scale_range)),
            down=int(self.interpolation_pair["downscale"]),
            up=int(self.interpolation_pair["upscale"]),
        )


# --- Superpixels -----------------------------------------------------------------------

SLIC_ITERATIONS = 6
SLIC_COMPACTNESS = 10.0  # colour distance (Lab units) worth one grid step of space


def slic_labels(
    features: np.ndarray,
    n_segments: int,
    compactness: float = SLIC_COMPACTNESS,
    iterations: int = SLIC_ITERATIONS,
) -> np.ndarray:
    """(H, W) int labels of a SLIC clustering of an (H, W, F) float32 feature image."""
    height, width, dims = features.shape
    step = max(1.0, np.sqrt(height * width / max(n_segments, 1)))
    rows, cols = max(1, int(round(height / step))), max(1, int(round(width / step)))
    cell_h, cell_w = height / rows, width / cols
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    # Seeds start at cell centres; each pixel only looks at the seeds of its own and
    # neighbouring cells (they stay near their cell).
    seed_y = ((np.arange(rows) + 0.5) * cell_h).repeat(cols).astype(np.float32)
    seed_x = np.tile((np.arange(cols) + 0.5) * cell_w, rows).astype(np.float32)
    flat = features.reshape(-1, dims)
    seed_f = flat[(seed_y.astype(int) * width + seed_x.astype(int))].copy()
    cell_r = np.minimum((yy // cell_h).astype(int), rows - 1).ravel()
    cell_c = np.minimum((xx // cell_w).astype(int), cols - 1).ravel()
    candidates = np.stack(
        [
            np.clip(cell_r + dr, 0, rows - 1) * cols + np.clip(cell_c + dc, 0, cols - 1)
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
        ],
        axis=1,
    )
    px, py = xx.ravel(), yy.ravel()
    spatial = (compactness / step) ** 2
    labels = candidates[:, 4]
    for _ in range(iterations):
        colour_d = ((flat[:, None, :] - seed_f[candidates]) ** 2).sum(-1)
        space_d = (px[:, None] - seed_x[candidates]) ** 2 + (py[:, None] - seed_y[candidates]) ** 2
        labels = candidates[np.arange(len(candidates)), np.argmin(colour_d + spatial * space_d, axis=1)]
        count = np.bincount(labels, minlength=rows * cols).astype(np.float32)
        used = count > 0
        seed_x[used] = (np.bincount(labels, px, rows * cols) / np.maximum(count, 1))[used]
        seed_y[used] = (np.bincount(labels, py, rows * cols) / np.maximum(count, 1))[used]
        for d in range(dims):
            seed_f[used, d] = (np.bincount(labels, flat[:, d], rows * cols) / np.maximum(count, 1))[used]
    return labels.reshape(height, width)


@dataclass(frozen=True)
class SuperpixelsOp(ColourOp):
    name: ClassVar[str] = "Superpixels"
    p_replace: float
    n_segments: int
    max_size: int | None
    interpolation: int
    seed: int

    def apply_colour(self, colour: np.ndarray, maxv: int) -> np.ndarray:
        if self.p_replace <= 0:
            return colour
        height, width = colour.shape[:2]
        image = grey_view(colour) if num_channels(colour) == 1 else colour
        if self.max_size is not None and max(height, width) > self.max_size:
            scale = self.max_size / max(height, width)
            image = resize(image, max(1, int(width * scale)), max(1, int(height * scale)), self.interpolation)
        labels = slic_labels(_features(image, maxv), self.n_segments)
        out = _replace_segments(image, labels, self.p_replace, seeded(self.seed))
        if out.shape[:2] != (height, width):
            out = resize(out, width, height, self.interpolation)
        return out


def _features(image: np.ndarray, maxv: int) -> np.ndarray:
    scaled = image.astype(np.float32) * np.float32(1.0 / maxv)
    if rgb_only(image):
        return cv2.cvtColor(scaled, cv2.COLOR_RGB2Lab)  # L in 0..100, as SLIC expects
    scaled *= 100.0
    return scaled[..., None] if scaled.ndim == 2 else scaled


def _replace_segments(
    image: np.ndarray, labels: np.ndarray, p_replace: float, rng: np.random.Generator
) -> np.ndarray:
    """Each segment, with probability p_replace, takes its mean colour."""
    segments = int(labels.max()) + 1
    replace = rng.random(segments) < p_replace
    if not replace.any():
        return image
    flat_labels = labels.ravel()
    pixels = image.reshape(len(flat_labels), -1).astype(np.float64)
    count = np.maximum(np.bincount(flat_labels, minlength=segments), 1)
    means = np.stack(
        [np.bincount(flat_labels, pixels[:, c], segments) / count for c in range(pixels.shape[1])], axis=1
    )
    out = pixels.copy()
    hit = replace[flat_labels]
    out[hit] = means[flat_labels[hit]]
    return np.rint(out).astype(image.dtype).reshape(image.shape)


@register
class Superpixels(Transform):
    """Replace random superpixels (SLIC segments) by their mean colour."""

    kind = "pixel"
    params = (
        Param(
            "p_replace",
            "range",
            (0.0, 0.1),
            "range of the probability that a segment is replaced; a single x means [0, x]",
            low=0.0,
            high=1.0,
            scalar="upto",
        ),
        Param(
            "n_segments",
            "int_range",
            (100, 100),
            "range of the target number of segments; a single x means [1, x]",
            low=1,
            scalar="upto",
        ),
        Param(
            "max_size",
            "int",
            128,
            "segment at most this longest side (the whole image is resampled when larger)",
            low=8,
            nullable=True,
        ),
        interpolation_param(1, what="down- and upscaling around the segmentation"),
    )
    default_p = 0.5
    example = "- Superpixels: {p_replace: [0.1, 0.3], n_segments: [50, 150], p: 0.2}"
    deviations = (
        "Segments come from augcli's own compact SLIC (Lab colour plus position, "
        f"compactness {SLIC_COMPACTNESS:g}, {SLIC_ITERATIONS} iterations, no connectivity "
        "pass), so segment shapes differ from scikit-image's; alpha is untouched."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> SuperpixelsOp | None:
        low, high = self.n_segments
        return SuperpixelsOp(
            p_replace=float(rng.uniform(*self.p_replace)),
            n_segments=int(rng.integers(low, high + 1)),
            max_size=self.max_size,
            interpolation=self.interpolation,
            seed=draw_seed(rng),
        )
