"""CutMix for detection and segmentation: a rectangle of a partner pasted onto the image.

The cut's area fraction is 1 - lam with lam ~ Beta(beta, beta) (side ratio
sqrt(1 - lam)); of ``num_areas`` random candidates, one overlapping no
existing box is preferred (Ultralytics 8.3), else the least overlapping one.
The partner, fitted to the image's size, is moved by one warp straight into
the rectangle, so its labels are clipped to it exactly; the primary's labels
under the rectangle lose that area (``geometry.occlusion``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.boxes import box_areas
from augcli.geometry.occlusion import apply_occlusion
from augcli.geometry.warp import translation
from augcli.transforms.base import register
from augcli.transforms.geometric._common import interpolation_param
from augcli.transforms.mixing._common import (
    FILL_MASK,
    PARTNER_NOTE,
    MixingOp,
    MixingTransform,
    check_fill_mask,
    concat_instances,
    fit_matrix,
    like_image,
    place,
    shift_instances,
)
from augcli.transforms.params import Param

PARTNER_FIT = Param(
    "partner_fit",
    "choice",
    "resize",
    "how the partner is brought to the image's size before the cut: resize or letterbox",
    choices=("resize", "letterbox"),
)


@dataclass(frozen=True)
class CutMixOp(MixingOp):
    name: ClassVar[str] = "CutMix"
    partners: tuple[Sample, ...]
    rect: tuple[int, int, int, int]  # x1, y1, x2, y2 on the image
    matrix: tuple  # partner pixels -> the rectangle
    min_visibility: float
    fill: Any
    fill_mask: Any
    interpolation: int

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        x1, y1, x2, y2 = self.rect
        piece = place(
            self.partners[0],
            np.array(self.matrix),
            (x2 - x1, y2 - y1),
            fill=self.fill,
            fill_mask=self.fill_mask,
            interpolation=self.interpolation,
            policy=policy,
        )
        image = sample.image.copy()
        image[y1:y2, x1:x2] = like_image(piece.image, sample.image)
        semantic = sample.semantic
        if semantic is not None and piece.semantic is not None:
            semantic = semantic.copy()
            semantic[y1:y2, x1:x2] = piece.semantic
        covered = np.zeros((sample.height, sample.width), bool)
        covered[y1:y2, x1:x2] = True
        primary = apply_occlusion(sample.replace(image=image, semantic=semantic), covered, policy)
        kept = piece.instances[piece.instances.visibility >= self.min_visibility - 1e-9]
        pasted = shift_instances(kept, x1, y1, sample.width, sample.height)
        return primary.replace(instances=concat_instances([primary.instances, pasted]))


@register
class CutMix(MixingTransform):
    """Paste a rectangle of a partner image (area from Beta(beta, beta)), updating every label."""

    params = (
        Param(
            "beta", "float", 1.0, "Beta(beta, beta) draws lam; the cut covers 1 - lam of the image", low=1e-3
        ),
        Param("num_areas", "int", 3, "candidate rectangles; one overlapping no box is preferred", low=1),
        Param(
            "min_visibility",
            "float",
            0.1,
            "a partner instance is kept when at least this fraction of it falls inside the cut",
            low=0.0,
            high=1.0,
        ),
        PARTNER_FIT,
        Param("fill", "color", 114, "image value where a letterboxed partner has no pixels"),
        FILL_MASK,
        interpolation_param(),
    )
    example = "- CutMix: {beta: 1.0, num_areas: 3, p: 1.0}"
    deviations = (
        "Ultralytics 8.3's CutMix (beta, num_areas), for every label type. "
        + PARTNER_NOTE
        + " When every candidate overlaps a box, the least overlapping one is used (Ultralytics leaves "
        "the image unchanged); the primary's instances under the cut lose that area: visibility, masks "
        "and polygons (RLE when the output format stores it), keypoints under it become v=1, boxes "
        "re-derived, instances dropped when fully covered or below labels.min_visibility. Partner "
        "instances are kept when min_visibility of them lies inside the cut (Ultralytics: 0.1, or 0.01 "
        "with segments), clipped to it. The semantic map takes the partner's labels inside the cut."
    )

    # parameters, set from the recipe by Transform and normalised by check()
    fill_mask: Any

    def check(self) -> None:
        self.fill_mask = check_fill_mask(self.fill_mask)

    def make_op(self, rng: np.random.Generator, ctx: Any) -> CutMixOp | None:
        primary = ctx.sample()
        width, height = primary.width, primary.height
        lam = float(rng.beta(self.beta, self.beta))
        side = np.sqrt(1.0 - lam)
        cut_w, cut_h = int(width * side), int(height * side)
        candidates = []
        for _ in range(self.num_areas):
            cx, cy = int(rng.integers(width)), int(rng.integers(height))
            x1, y1 = np.clip([cx - cut_w // 2, cy - cut_h // 2], 0, [width, height])
            x2, y2 = np.clip([cx + cut_w // 2, cy + cut_h // 2], 0, [width, height])
            candidates.append((int(x1), int(y1), int(x2), int(y2)))
        overlap = [_overlap(primary.instances.boxes, c) for c in candidates]
        free = [c for c, o in zip(candidates, overlap) if o == 0]
        rect = free[int(rng.integers(len(free)))] if free else candidates[int(np.argmin(overlap))]
        if rect[2] <= rect[0] or rect[3] <= rect[1]:
            return None  # a cut of no area changes nothing
        (partner,) = self.partners(rng, ctx, 1)
        fit = fit_matrix(partner.width, partner.height, width, height, self.partner_fit)
        matrix = translation(-rect[0], -rect[1]) @ fit
        return CutMixOp(
            partners=(partner,),
            rect=rect,
            matrix=tuple(map(tuple, matrix)),
            min_visibility=self.min_visibility,
            fill=self.fill,
            fill_mask=self.fill_mask,
            interpolation=self.interpolation,
        )


def _overlap(boxes: np.ndarray, rect: tuple[int, int, int, int]) -> float:
    """Area of the boxes that the rectangle covers, summed."""
    if len(boxes) == 0:
        return 0.0
    x1, y1, x2, y2 = rect
    inter = np.stack(
        [
            np.maximum(boxes[:, 0], x1),
            np.maximum(boxes[:, 1], y1),
            np.minimum(boxes[:, 2], x2),
            np.minimum(boxes[:, 3], y2),
        ],
        axis=1,
    )
    return float(box_areas(inter).sum())
