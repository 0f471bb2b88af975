"""DetectionAutoAugment: the learned detection policies v0-v3 of Zoph et al. 2019.

One sub-policy is drawn uniformly; its ops run in order, each firing with
its probability. The ``*_Only_BBoxes`` ops are always called and act inside
each box independently with probability p/3, visiting the boxes in a
shuffled order, one sign per call (as the TPU reference does). Pixel
constants (250, 120, 100, 50 px) are source pixels when the policy runs on
the source image, as in the reference pipeline (put it before any resize).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from augcli.transforms.base import Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.policies import detection_tables as dt
from augcli.transforms.policies.boxes import BBoxCutoutStep, BoxStep, LocalCutout
from augcli.transforms.policies.steps import CutoutStep, PixelStep, PolicyOp, WarpStep, cutout_rect, signed
from augcli.transforms.policies.torchvision_policies import parse_sub_policies, policy_params
from augcli.transforms.policies.tpu_compat import SliverWarpStep

_WARP_FAMILIES = ("Rotate", "ShearX", "ShearY", "TranslateX", "TranslateY")


class DetectionAutoAugmentOp(PolicyOp):
    name: ClassVar[str] = "DetectionAutoAugment"


def _family(op: str) -> str:
    """'Rotate_BBox' -> 'Rotate', 'ShearX_Only_BBoxes' -> 'ShearX'."""
    return op.split("_")[0]


def colour_step(op: str, level: float, tpu: bool) -> PixelStep:
    if op in ("AutoContrast", "Equalize"):
        return PixelStep(op)
    if op == "Posterize":
        return PixelStep(op, float(dt.posterize_bits(level, tpu)))
    if op == "Solarize":
        return PixelStep(op, float(dt.solarize_threshold(level, tpu)))
    if op == "SolarizeAdd":
        return PixelStep(op, float(dt.solarize_addition(level)))
    if op == "Contrast":
        return PixelStep(op, dt.enhance_factor(level), tpu_mean=tpu)
    return PixelStep(op, dt.enhance_factor(level))


def warp_value(family: str, level: float, inside_box: bool) -> float:
    if family == "Rotate":
        return dt.rotate_degrees(level)
    if family in ("ShearX", "ShearY"):
        return dt.shear_level(level)
    return dt.translate_pixels(level, inside_box)


def draw_op(rng: np.random.Generator, op: str, prob: float, level: float, ctx, n_boxes: int, tpu: bool):
    """The step of one policy op, or None when it does not fire."""
    if op in dt.BBOX_ONLY_OPS:
        return _box_only(rng, op, prob, level, n_boxes, tpu)
    if rng.random() >= prob:
        return None
    if op == "Cutout":
        pad = dt.cutout_pad(level, inside_box=False)
        cx, cy = int(rng.integers(ctx.width)), int(rng.integers(ctx.height))
        return CutoutStep(cutout_rect(cx, cy, pad, ctx.width, ctx.height))
    if op == "BBox_Cutout":
        choice, u, v = (float(x) for x in rng.random(3))
        return BBoxCutoutStep(choice, u, v, dt.bbox_cutout_fraction(level))
    if op in dt.GEOMETRIC_OPS:
        family = _family(op)
        step = SliverWarpStep if tpu else WarpStep
        return step(family, signed(rng, warp_value(family, level, inside_box=False)))
    return colour_step(op, level, tpu)


def _box_only(rng, op: str, prob: float, level: float, n_boxes: int, tpu: bool) -> BoxStep | None:
    family = _family(op)
    order = rng.permutation(n_boxes) if n_boxes else np.zeros(0, np.int64)
    fires = rng.random(n_boxes) < prob / 3.0
    if family == "Cutout":
        centres = rng.random((n_boxes, 2))
        pad = dt.cutout_pad(level, inside_box=True)
        inners: list[LocalCutout | WarpStep | PixelStep] = [
            LocalCutout(float(centres[i, 0]), float(centres[i, 1]), pad) for i in order
        ]
    else:
        inner: WarpStep | PixelStep
        if family == "Flip":
            inner = WarpStep("FlipX")
        elif family in _WARP_FAMILIES:
            inner = WarpStep(family, signed(rng, warp_value(family, level, inside_box=True)))
        else:
            inner = colour_step(family, level, tpu)
        inners = [inner] * n_boxes
    rows = tuple(int(i) for k, i in enumerate(order) if fires[i])
    chosen = tuple(inners[k] for k, i in enumerate(order) if fires[i])
    return BoxStep(op, rows, chosen) if rows else None


@register
class DetectionAutoAugment(Transform):
    """Learned detection policies v0-v3 (Zoph et al. 2019), boxes and every other label kept on their pixels."""

    kind = "geometric"
    default_p = 1.0
    needs_labels = True
    params = (
        Param(
            "policy",
            "choice",
            "v0",
            "v0 (the paper's), v1, v2, v3, test, or custom",
            choices=("v0", "v1", "v2", "v3", "test", "custom"),
        ),
        Param(
            "sub_policies",
            "list",
            None,
            "with policy: custom, the sub-policies: [[[op, probability, level 0..10], ...], ...]",
            nullable=True,
        ),
        Param(
            "compat",
            "choice",
            "augcli",
            "augcli: quirks fixed; tpu: reproduce the reference (corner boxes, 5% sliver boxes, "
            "0-bit posterize, count/256 contrast mean, solarize wrap at level 10)",
            choices=("augcli", "tpu"),
        ),
        *policy_params(interpolation=0, fill=dt.TPU_FILL),
    )
    example = "- DetectionAutoAugment: {policy: v0, p: 1.0}"
    deviations = (
        "Boxes of warped instances are re-derived from their polygons or masks (labels.box: "
        "tight), tighter than the reference's rotated corners; compat: tpu uses the corners. "
        "A box pushed off the canvas is dropped and counted (the reference keeps a 5% sliver; "
        "compat: tpu does too, for box-only instances). "
        "compat: augcli maps Posterize to int(L/10*4)+4 bits (the paper's 4..8; the reference's "
        "L<=2 gives 0 bits, a black image), uses the true mean grey level in Contrast (the "
        "reference uses pixel count/256) and keeps Solarize monotonic at L=10 (the reference's "
        "uint8 threshold 256 wraps to 0 and inverts everything). Bbox-only ops act on the box's "
        "pixel window [floor, ceil) and move the labels inside it with the content (see "
        "docs/transforms.md); boxes are not moved by them. Fill 128 and nearest interpolation "
        "as in the reference; blends round where it truncates."
    )

    def check(self) -> None:
        if self.policy == "custom":
            if self.sub_policies is None:
                raise ParamError("policy: custom needs sub_policies", "sub_policies")
            self.table = parse_sub_policies(self.sub_policies, dt.OPS, 10)
            if any(level is None for sub in self.table for _, _, level in sub):
                raise ParamError("sub_policies: every detection op needs a level 0..10", "sub_policies")
        elif self.sub_policies is not None:
            raise ParamError("sub_policies needs policy: custom", "sub_policies")
        else:
            self.table = dt.POLICIES[self.policy]

    def make_op(self, rng, ctx):
        tpu = self.compat == "tpu"
        n_boxes = len(ctx.sample().instances)
        sub = self.table[int(rng.integers(len(self.table)))]
        steps = []
        for op, prob, level in sub:
            step = draw_op(rng, op, prob, level, ctx, n_boxes, tpu)
            if step is not None:
                steps.append(step)
        return DetectionAutoAugmentOp(
            steps=tuple(steps),
            interpolation=self.interpolation,
            fill=self.fill,
            fill_mask=self.fill_mask,
            box="corners" if tpu else None,
        )
