"""RandAugment, TrivialAugmentWide and AutoAugment with torchvision v2's tables, label-aware.

torchvision raises TypeError on boxes and masks; here every shear, translate
and rotate is one matrix warp through the geometry core, so boxes,
polygons, masks, keypoints and semantic maps move with the pixels, and every
photometric op leaves the labels byte-equal.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from augcli.transforms.base import Transform, register
from augcli.transforms.geometric._common import FILL_MASK, interpolation_param
from augcli.transforms.params import Param, ParamError
from augcli.transforms.policies import tables
from augcli.transforms.policies.steps import PolicyOp

COMMON_DEVIATIONS = (
    "Labels are carried: shear/translate/rotate move every target through one matrix warp each "
    "(torchvision rejects boxes and masks). Blends round where torchvision truncates (at most "
    "one level). Shears are about the top-left pixel centre and rotations about the image "
    "centre, as in torchvision. uint16 images work with the same tables (solarize thresholds "
    "scale to 65535)."
)


def policy_params(interpolation: int = 0, fill=0) -> tuple[Param, ...]:
    fill_param = Param("fill", "color", fill, "image value for pixels a warp uncovers and for cutouts")
    return (interpolation_param(interpolation), fill_param, FILL_MASK)


def op_list_param(family: str) -> Param:
    names = ", ".join(tables.space(family, 2, 1, 1))
    return Param(
        "ops", "list", None, f"restrict the draw to these ops (default: all of {names})", nullable=True
    )


def check_ops(ops: list | None, family: str) -> tuple[str, ...]:
    known = tuple(tables.space(family, 2, 1, 1))
    if ops is None:
        return known
    bad = [op for op in ops if op not in known]
    if bad or not ops:
        raise ParamError(f"ops must be a non-empty list of {', '.join(known)}; got {ops!r}", "ops")
    return tuple(ops)


def draw_step(rng: np.random.Generator, space: dict, op: str, index: int | None):
    magnitudes, signed = space[op]
    magnitude = 0.0 if magnitudes is None or index is None else float(magnitudes[index])
    if signed and rng.random() < 0.5:
        magnitude = -magnitude
    return tables.to_step(op, magnitude)


class RandAugmentOp(PolicyOp):
    name: ClassVar[str] = "RandAugment"


class TrivialAugmentWideOp(PolicyOp):
    name: ClassVar[str] = "TrivialAugmentWide"


class AutoAugmentOp(PolicyOp):
    name: ClassVar[str] = "AutoAugment"


def _settings(transform: Transform) -> dict:
    return {
        "interpolation": transform.interpolation,
        "fill": transform.fill,
        "fill_mask": transform.fill_mask,
    }


@register
class RandAugment(Transform):
    """RandAugment: num_ops ops drawn uniformly (with replacement), all at one magnitude bin."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param("num_ops", "int", 2, "how many ops to apply in sequence", low=0, high=16),
        Param("magnitude", "int", 9, "the magnitude bin every op uses (0 .. num_magnitude_bins - 1)", low=0),
        Param("num_magnitude_bins", "int", 31, "how many magnitude bins span each op's range", low=2),
        op_list_param("randaugment"),
        *policy_params(),
    )
    example = "- RandAugment: {num_ops: 2, magnitude: 9, p: 1.0}"
    deviations = (
        "p (default 1, as torchvision applies always) and ops (a subset) are additions. " + COMMON_DEVIATIONS
    )

    def check(self) -> None:
        if self.magnitude >= self.num_magnitude_bins:
            raise ParamError(
                f"magnitude must be between 0 and {self.num_magnitude_bins - 1} "
                f"(num_magnitude_bins - 1), got {self.magnitude}",
                "magnitude",
            )
        self.op_names = check_ops(self.ops, "randaugment")

    def make_op(self, rng, ctx):
        space = tables.space("randaugment", self.num_magnitude_bins, ctx.width, ctx.height)
        steps = []
        for _ in range(self.num_ops):
            op = self.op_names[int(rng.integers(len(self.op_names)))]
            steps.append(draw_step(rng, space, op, self.magnitude))
        return RandAugmentOp(steps=tuple(steps), **_settings(self))


@register
class TrivialAugmentWide(Transform):
    """TrivialAugment (wide space): one op drawn uniformly, at a magnitude bin drawn uniformly."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param("num_magnitude_bins", "int", 31, "how many magnitude bins span each op's range", low=2),
        op_list_param("wide"),
        *policy_params(),
    )
    example = "- TrivialAugmentWide: {num_magnitude_bins: 31, p: 1.0}"
    deviations = "p (default 1) and ops (a subset) are additions. " + COMMON_DEVIATIONS

    def check(self) -> None:
        self.op_names = check_ops(self.ops, "wide")

    def make_op(self, rng, ctx):
        space = tables.space("wide", self.num_magnitude_bins, ctx.width, ctx.height)
        op = self.op_names[int(rng.integers(len(self.op_names)))]
        index = int(rng.integers(self.num_magnitude_bins))
        return TrivialAugmentWideOp(steps=(draw_step(rng, space, op, index),), **_settings(self))


def parse_sub_policies(value, known: tuple[str, ...], max_level: int, param: str = "sub_policies") -> tuple:
    """[[[op, probability, level or null], ...], ...] -> a validated tuple of tuples."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ParamError(f"{param} must be a non-empty list of sub-policies", param)
    out = []
    for s, sub in enumerate(value):
        if not isinstance(sub, (list, tuple)) or not sub:
            raise ParamError(f"{param}[{s}] must be a non-empty list of [op, probability, level]", param)
        ops = []
        for item in sub:
            if not isinstance(item, (list, tuple)) or len(item) != 3:
                raise ParamError(f"{param}[{s}]: each op is [name, probability, level], got {item!r}", param)
            name, prob, level = item
            if name not in known:
                raise ParamError(f"{param}[{s}]: unknown op {name!r} (known: {', '.join(known)})", param)
            if isinstance(prob, bool) or not isinstance(prob, (int, float)) or not 0 <= prob <= 1:
                raise ParamError(f"{param}[{s}]: probability must be in [0, 1], got {prob!r}", param)
            if level is not None and (
                isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= max_level
            ):
                raise ParamError(
                    f"{param}[{s}]: level must be an integer 0..{max_level} or null, got {level!r}", param
                )
            ops.append((name, float(prob), level))
        out.append(tuple(ops))
    return tuple(out)


@register
class AutoAugment(Transform):
    """AutoAugment: one learned sub-policy drawn uniformly; each of its ops fires with its probability."""

    kind = "geometric"
    default_p = 1.0
    params = (
        Param(
            "policy",
            "choice",
            "imagenet",
            "the learned policy",
            choices=("imagenet", "cifar10", "svhn", "custom"),
        ),
        Param(
            "sub_policies",
            "list",
            None,
            "with policy: custom, the sub-policies: [[[op, probability, bin 0..9 or null], ...], ...]",
            nullable=True,
        ),
        *policy_params(),
    )
    example = "- AutoAugment: {policy: imagenet, p: 1.0}"
    deviations = "p (default 1) and policy: custom are additions. " + COMMON_DEVIATIONS

    def check(self) -> None:
        if self.policy == "custom":
            if self.sub_policies is None:
                raise ParamError("policy: custom needs sub_policies", "sub_policies")
            known = tuple(tables.space("autoaugment", 10, 1, 1))
            self.table = parse_sub_policies(self.sub_policies, known, 9)
        elif self.sub_policies is not None:
            raise ParamError("sub_policies needs policy: custom", "sub_policies")
        else:
            self.table = tables.AUTOAUGMENT_POLICIES[self.policy]

    def make_op(self, rng, ctx):
        space = tables.space("autoaugment", 10, ctx.width, ctx.height)
        sub = self.table[int(rng.integers(len(self.table)))]
        steps = []
        for op, prob, index in sub:
            if rng.random() < prob:
                steps.append(draw_step(rng, space, op, index))
        return AutoAugmentOp(steps=tuple(steps), **_settings(self))
