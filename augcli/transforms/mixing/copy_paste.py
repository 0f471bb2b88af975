"""Simple Copy-Paste (Ghiasi et al. 2021): objects of a jittered partner pasted onto the image.

The partner gets large-scale jitter (a scale drawn from ``scale_range`` of
the size that fits the image, an optional horizontal flip, a random offset)
as one warp onto the image's canvas; a random subset of its instances is
pasted where they landed. The pasted footprint (their polygons, masks, or
boxes as rectangles for box-only objects) occludes the primary's labels
through ``geometry.occlusion``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.occlusion import apply_occlusion, instance_region
from augcli.geometry.warp import scaling, translation
from augcli.transforms.base import register
from augcli.transforms.geometric._common import interpolation_param
from augcli.transforms.mixing._common import (
    PARTNER_NOTE,
    MixingOp,
    MixingTransform,
    blend,
    concat_instances,
    like_image,
    place,
)
from augcli.transforms.params import Param, ParamError

BLENDS = ("hard", "gaussian")
BOX_MODES = ("rectangle", "skip")


@dataclass(frozen=True)
class CopyPasteOp(MixingOp):
    name: ClassVar[str] = "CopyPaste"
    partners: tuple[Sample, ...]  # the partner already jittered onto the image's canvas
    chosen: tuple[int, ...]  # its instances that are pasted
    sigma: float  # 0: hard edges
    feather: int  # soft edge of pasted rectangles (px)

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        if not self.chosen:
            return sample
        donor = self.partners[0]
        height, width = sample.height, sample.width
        footprint = np.zeros((height, width), bool)
        alpha = np.zeros((height, width), np.float32)
        for i in self.chosen:
            region = instance_region(donor.instances, i, height, width)
            footprint |= region
            shaped = donor.instances.polygons[i] or donor.instances.masks[i] is not None
            soft = region if shaped or not self.feather else _feathered(region, self.feather)
            alpha = np.maximum(alpha, soft.astype(np.float32))
        if self.sigma > 0:
            alpha = np.maximum(cv2.GaussianBlur(alpha, (0, 0), self.sigma), 0)
        image = blend(like_image(donor.image, sample.image), sample.image, np.minimum(alpha, 1.0))
        semantic = sample.semantic
        if semantic is not None and donor.semantic is not None:
            semantic = np.where(footprint, donor.semantic, semantic).astype(semantic.dtype)
        primary = apply_occlusion(sample.replace(image=image, semantic=semantic), footprint, policy)
        pasted = donor.instances[list(self.chosen)]
        return primary.replace(instances=concat_instances([primary.instances, pasted]))

    def record(self) -> dict:
        out = super().record()
        out["jitter"] = self.partners[0].meta.get("copy_paste_jitter")
        return out


def _feathered(region: np.ndarray, feather: int) -> np.ndarray:
    """A rectangle's alpha rising linearly over ``feather`` px from its edge."""
    inside = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L1, 3)
    return np.clip(inside / float(feather), 0.0, 1.0) * region


@register
class CopyPaste(MixingTransform):
    """Paste objects of a scale-jittered partner image (Simple Copy-Paste), updating occluded labels."""

    params = (
        Param(
            "scale_range",
            "range",
            (0.1, 2.0),
            "large-scale jitter: the partner's scale, relative to the size that fits the image",
            low=0.01,
        ),
        Param("hflip", "float", 0.5, "chance that the partner is mirrored", low=0.0, high=1.0),
        Param(
            "max_objects",
            "int",
            None,
            "paste at most this many objects (null: no limit)",
            low=1,
            nullable=True,
        ),
        Param("classes", "list", None, "only paste objects of these category ids (null: any)", nullable=True),
        Param("paste_crowd", "bool", False, "also paste crowd regions (the paper's references skip them)"),
        Param(
            "blend",
            "choice",
            "hard",
            "edges of pasted objects: hard, or gaussian (soft alpha)",
            choices=BLENDS,
        ),
        Param("sigma_range", "range", (1.0, 3.0), "gaussian blend: sigma of the alpha blur (px)", low=0.0),
        Param(
            "box_mode",
            "choice",
            "rectangle",
            "box-only objects: pasted as their box's rectangle, or skipped",
            choices=BOX_MODES,
        ),
        Param("feather", "int", 0, "soft edge of pasted rectangles (px); 0: hard", low=0),
        interpolation_param(),
    )
    example = "- CopyPaste: {scale_range: [0.5, 1.5], max_objects: 5, p: 1.0}"
    deviations = (
        "Simple Copy-Paste with large-scale jitter [0.1, 2.0] at the image's size. "
        + PARTNER_NOTE
        + " The number of pasted objects is uniform in 1..N over the eligible ones (not crowd unless "
        "paste_crowd, in classes when given), capped by max_objects. Occluded instances of the image "
        "lose the pasted area: masks lose pixels, polygons become RLE when the output format stores "
        "it, keypoints under pasted objects get v=1, boxes are re-derived, and instances fully covered "
        "or below labels.min_visibility / labels.min_area are dropped with all their columns. Box-only "
        "datasets paste box crops as rectangles (box_mode: rectangle, optionally feathered), which "
        "Ultralytics refuses. The semantic map takes the partner's labels under pasted objects."
    )

    def check(self) -> None:
        if self.classes is not None and not all(
            isinstance(c, int) and not isinstance(c, bool) for c in self.classes
        ):
            raise ParamError(f"classes must be category ids, got {self.classes!r}", "classes")

    def make_op(self, rng: np.random.Generator, ctx: Any) -> CopyPasteOp:
        primary = ctx.sample()
        width, height = primary.width, primary.height
        (partner,) = self.partners(rng, ctx, 1)
        fit = min(width / partner.width, height / partner.height)
        s = fit * float(rng.uniform(*self.scale_range))
        flip = bool(rng.random() < self.hflip)
        room_x, room_y = width - partner.width * s, height - partner.height * s
        ox = round(float(rng.uniform(min(room_x, 0), max(room_x, 0))))
        oy = round(float(rng.uniform(min(room_y, 0), max(room_y, 0))))
        mirror = np.array([[-1.0, 0, partner.width], [0, 1, 0], [0, 0, 1]]) if flip else np.eye(3)
        matrix = translation(ox, oy) @ scaling(s, s) @ mirror
        donor = place(
            partner,
            matrix,
            (width, height),
            fill=0,
            fill_mask="ignore",
            interpolation=self.interpolation,
            policy=DEFAULT_POLICY,
        )
        jitter = {"scale": round(s, 6), "flip": flip, "offset": [ox, oy]}
        donor = donor.replace(meta={**donor.meta, "copy_paste_jitter": jitter})
        eligible = self._eligible(donor)
        chosen: tuple[int, ...] = ()
        if eligible:
            cap = len(eligible) if self.max_objects is None else min(self.max_objects, len(eligible))
            count = int(rng.integers(1, cap + 1))
            chosen = tuple(sorted(int(i) for i in rng.choice(eligible, size=count, replace=False)))
        sigma = float(rng.uniform(*self.sigma_range)) if self.blend == "gaussian" else 0.0
        return CopyPasteOp(partners=(donor,), chosen=chosen, sigma=sigma, feather=self.feather)

    def _eligible(self, donor: Sample) -> list[int]:
        inst = donor.instances
        out = []
        for i in range(len(inst)):
            shaped = bool(inst.polygons[i]) or inst.masks[i] is not None
            if not shaped and self.box_mode == "skip":
                continue
            if inst.crowd[i] and not self.paste_crowd:
                continue
            if self.classes is not None and int(inst.labels[i]) not in self.classes:
                continue
            out.append(i)
        return out
