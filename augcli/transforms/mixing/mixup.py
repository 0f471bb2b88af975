"""MixUp: the primary and one partner blended with a Beta(alpha, alpha) ratio; labels are the union."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.transforms.base import register
from augcli.transforms.geometric._common import interpolation_param
from augcli.transforms.mixing._common import (
    FILL_MASK,
    PARTNER_NOTE,
    MixingOp,
    MixingTransform,
    blend,
    check_fill_mask,
    concat_instances,
    fit_matrix,
    like_image,
    place,
)
from augcli.transforms.params import Param

PARTNER_FITS = ("letterbox", "resize")
PARTNER_FIT = Param(
    "partner_fit",
    "choice",
    "letterbox",
    "how the partner is brought to the image's size: letterbox (aspect kept, padded with fill) or resize",
    choices=PARTNER_FITS,
)


@dataclass(frozen=True)
class MixUpOp(MixingOp):
    name: ClassVar[str] = "MixUp"
    partners: tuple[Sample, ...]
    ratio: float  # weight of the primary image
    matrix: tuple  # partner pixels -> the primary's canvas
    fill: Any
    fill_mask: Any
    interpolation: int

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        width, height = sample.width, sample.height
        partner = place(
            self.partners[0],
            np.array(self.matrix),
            (width, height),
            fill=self.fill,
            fill_mask=self.fill_mask,
            interpolation=self.interpolation,
            policy=policy,
        )
        image = blend(sample.image, like_image(partner.image, sample.image), self.ratio)
        semantic = sample.semantic
        if semantic is not None and partner.semantic is not None and self.ratio < 0.5:
            # the heavier image labels each pixel; the letterbox pad has no label of its own
            covered = _covered(self.matrix, self.partners[0], width, height)
            semantic = np.where(covered, partner.semantic, semantic).astype(semantic.dtype)
        instances = concat_instances([sample.instances, partner.instances])
        return sample.replace(image=image, semantic=semantic, instances=instances)


def _covered(matrix: tuple, partner: Sample, width: int, height: int) -> np.ndarray:
    """Output pixels whose centre falls on the (scaled, shifted) partner image."""
    m = np.array(matrix)
    x0, y0 = m[0, 2], m[1, 2]
    x1, y1 = x0 + m[0, 0] * partner.width, y0 + m[1, 1] * partner.height
    xs, ys = np.arange(width) + 0.5, np.arange(height) + 0.5
    return ((ys >= y0) & (ys < y1))[:, None] & ((xs >= x0) & (xs < x1))[None, :]


@register
class MixUp(MixingTransform):
    """Blend the image with a partner image (ratio from Beta(alpha, alpha)); instances are the union."""

    params = (
        Param(
            "alpha",
            "float",
            32.0,
            "Beta(alpha, alpha) draws the primary's weight (32: about 0.5 +- 0.06)",
            low=1e-3,
        ),
        PARTNER_FIT,
        Param("fill", "color", 114, "image value of the letterbox pad"),
        FILL_MASK,
        interpolation_param(),
    )
    example = "- MixUp: {alpha: 32.0, p: 1.0}"
    deviations = (
        "Ultralytics' MixUp (p defaults to 0.5 here; Ultralytics' mixup hyperparameter is 0.0). "
        + PARTNER_NOTE
        + " The partner is letterboxed (or resized) to the image's size in one warp, so its labels "
        "follow exactly. Instances are the union of both images', each keeping its own geometry, "
        "class and crowd flag; no per-instance weight column is written. Semantic maps: each pixel "
        "takes the label of the image with the larger weight (the partner's letterbox pad keeps the "
        "primary's label). The ratio is recorded in the provenance log."
    )

    # parameters, set from the recipe by Transform and normalised by check()
    fill_mask: Any

    def check(self) -> None:
        self.fill_mask = check_fill_mask(self.fill_mask)

    def make_op(self, rng: np.random.Generator, ctx: Any) -> MixUpOp:
        primary = ctx.sample()
        ratio = float(rng.beta(self.alpha, self.alpha))
        (partner,) = self.partners(rng, ctx, 1)
        matrix = fit_matrix(partner.width, partner.height, primary.width, primary.height, self.partner_fit)
        return MixUpOp(
            partners=(partner,),
            ratio=ratio,
            matrix=tuple(map(tuple, matrix)),
            fill=self.fill,
            fill_mask=self.fill_mask,
            interpolation=self.interpolation,
        )
