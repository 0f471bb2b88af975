"""MaskDropout: remove whole objects, from the pixels and from the labels.

The objects are the sample's instances (their polygon, else mask, else box
is filled in the image and set to ``fill_mask`` in the semantic map; the
instances are dropped with every column, reason 'mask_dropout'). A sample
without instances but with a semantic map drops whole classes of the map
instead, as Albumentations treats each non-zero mask value as an object.
Other instances under a removed object lose those pixels like under any
dropout hole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.filtering import drop_instances
from augcli.geometry.occlusion import apply_occlusion, instance_region
from augcli.transforms.base import Op, SampleContext, Transform, register
from augcli.transforms.dropout.fill import check_class, check_fill, fill_pixels, fill_semantic
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import draw_seed


@dataclass(frozen=True)
class MaskDropoutOp(Op):
    kind: ClassVar[str] = "dropout"
    name: ClassVar[str] = "MaskDropout"
    instances: tuple[int, ...]  # rows of the sample's instances to remove
    classes: tuple[int, ...]  # semantic classes to remove (samples without instances)
    fill: Any
    fill_mask: int | None
    seed: int

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        height, width = sample.height, sample.width
        regions = [instance_region(sample.instances, i, height, width) for i in self.instances]
        if self.classes and sample.semantic is not None:
            regions += [sample.semantic == c for c in self.classes]
        if not regions:
            return sample
        covered = np.logical_or.reduce(regions)
        image = fill_pixels(sample.image, covered, self.fill, self.seed, regions=regions)
        semantic = fill_semantic(sample.semantic, covered, self.fill_mask)
        keep = np.ones(len(sample.instances), dtype=bool)
        keep[list(self.instances)] = False
        out = drop_instances(sample.replace(image=image, semantic=semantic), keep, "mask_dropout")
        return apply_occlusion(out, covered, policy)


@register
class MaskDropout(Transform):
    """Remove whole random objects: their pixels are filled and their labels dropped."""

    kind = "dropout"
    needs_labels = True
    params = (
        Param(
            "max_objects",
            "int_range",
            (1, 1),
            "how many objects to remove: [min, max], or an int n for [1, n]",
            low=1,
            scalar="upto",
        ),
        Param(
            "fill",
            "any",
            0,
            "image fill of removed objects: a number, one number per channel, 'random', "
            "'random_uniform' (one colour per object), 'inpaint_telea' or 'inpaint_ns'",
            shape="number, [numbers per channel] or a fill name",
        ),
        Param(
            "fill_mask",
            "any",
            0,
            "class written into the semantic map where objects were removed; null leaves the map",
            nullable=True,
            shape="int",
        ),
    )
    default_p = 0.5
    example = "- MaskDropout: {max_objects: [1, 2], fill: 0, fill_mask: 0, p: 0.5}"
    deviations = (
        "Objects are the instances (polygon, RLE mask or box), dropped with every label column; "
        "only a sample without instances falls back to the semantic map's classes "
        "(non-zero, not the ignore index). Overlapped instances lose the filled pixels; "
        "fill also accepts the random modes."
    )

    # parameters, set from the recipe by Transform and normalised by check()
    fill: Any
    fill_mask: int | None

    def check(self) -> None:
        self.fill = check_fill(self.fill)
        self.fill_mask = check_class(self.fill_mask)
        self.cfg["fill"], self.cfg["fill_mask"] = self.fill, self.fill_mask

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        sample = ctx.sample()
        lo, hi = self.max_objects
        count = int(rng.integers(lo, hi + 1))
        rows: tuple[int, ...] = ()
        classes: tuple[int, ...] = ()
        if len(sample.instances):
            chosen = rng.choice(len(sample.instances), size=min(count, len(sample.instances)), replace=False)
            rows = tuple(sorted(int(i) for i in chosen))
        elif sample.semantic is not None:
            present = [int(c) for c in np.unique(sample.semantic) if c != 0 and c != sample.ignore_index]
            if present:
                chosen = rng.choice(len(present), size=min(count, len(present)), replace=False)
                classes = tuple(sorted(present[int(i)] for i in chosen))
        return MaskDropoutOp(
            instances=rows, classes=classes, fill=self.fill, fill_mask=self.fill_mask, seed=draw_seed(rng)
        )
