"""PatchGaussian: additive Gaussian noise inside one random square patch.

From "Improving Robustness Without Sacrificing Accuracy with Patch Gaussian
Augmentation" (Lopes et al., 2019): a W x W patch whose centre is uniform
over the image (so it may be cut by the border) gets i.i.d. Gaussian noise
of standard deviation sigma. It sits with the dropout family as a softened
Cutout, but the object stays visible under the noise, so labels are left
exactly as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.transforms.base import Op, SampleContext, Transform, register
from augcli.transforms.dropout.fill import Hole, draw_size, hole_range
from augcli.transforms.dropout.holes import clip_hole
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import draw_seed, max_value, num_channels, split_alpha


@dataclass(frozen=True)
class PatchGaussianOp(Op):
    kind: ClassVar[str] = "dropout"
    name: ClassVar[str] = "PatchGaussian"
    patch: Hole  # x1, y1, x2, y2 already clipped to the canvas
    sigma: float  # noise standard deviation as a fraction of the value range
    seed: int

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        x1, y1, x2, y2 = self.patch
        if x2 <= x1 or y2 <= y1 or self.sigma <= 0:
            return sample
        image = sample.image
        colours = num_channels(split_alpha(image)[0])
        out = image.copy()
        region = out[y1:y2, x1:x2] if image.ndim == 2 else out[y1:y2, x1:x2, :colours]
        maxv = max_value(image)
        noise = np.random.default_rng(self.seed).normal(0.0, self.sigma * maxv, size=region.shape)
        noisy = region.astype(np.float64) + noise
        np.rint(noisy, out=noisy)
        region[...] = np.clip(noisy, 0, maxv).astype(image.dtype)
        return sample.replace(image=out)


@register
class PatchGaussian(Transform):
    """Add Gaussian noise inside one random square patch (Patch Gaussian); labels stay as they are."""

    kind = "dropout"
    params = (
        Param(
            "patch_size_range",
            "any",
            (0.25, 0.5),
            "patch side range: two ints (pixels) or two floats (fractions of the shorter image side)",
            shape="[int, int] or [float, float]",
        ),
        Param(
            "sigma_range",
            "range",
            (0.1, 0.5),
            "noise standard deviation range, as a fraction of the value range (255 for uint8)",
            low=0.0,
        ),
    )
    default_p = 0.5
    example = "- PatchGaussian: {patch_size_range: [0.2, 0.4], sigma_range: [0.1, 0.3], p: 0.5}"
    deviations = (
        "Not in Albumentations 2.0: augcli's own, after Lopes et al. 2019. The patch centre is "
        "uniform over the image, so patches near the border are cut; labels are untouched."
    )

    def check(self) -> None:
        self._patch = hole_range("patch_size_range", self.patch_size_range)

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        height, width = ctx.height, ctx.width
        side = draw_size(rng, self._patch, min(height, width))
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        patch = clip_hole(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, width, height)
        sigma = float(rng.uniform(*self.sigma_range))
        return PatchGaussianOp(patch=patch, sigma=sigma, seed=draw_seed(rng))
