"""InsideBoxes: any pixel transform, or a small same-size warp, applied inside each box.

Each box is chosen independently with probability ``p_per_box`` and visited
in a shuffled order; the inner transform draws its op for the box's pixel
window (its own ``p`` is not rolled: ``p_per_box`` decides). A pixel op
changes the window (``region: mask`` limits it to the instance's own
pixels: its polygon, else its mask, else the whole box) and leaves every
label byte-equal. A warp moves the window's content and the labels inside it
(``region.py``). The detection policies' bbox-only ops are the same steps.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from augcli.core.sample import Instances, Sample
from augcli.transforms.base import SampleContext, Transform, register
from augcli.transforms.catalog import transform_class
from augcli.transforms.params import Param, ParamError
from augcli.transforms.policies.boxes import BoxStep
from augcli.transforms.policies.region import region_of
from augcli.transforms.policies.steps import PolicyOp

# Geometric transforms whose warp keeps the canvas size: they can run inside a window.
WINDOW_WARPS = ("HorizontalFlip", "VerticalFlip", "Rotate", "Affine", "ShiftScaleRotate")
_SIZE_CHANGING = {"Rotate": ("crop_border", True), "Affine": ("fit_output", True)}


class InsideBoxesOp(PolicyOp):
    name: ClassVar[str] = "InsideBoxes"


def build_inner(item: Any) -> Transform:
    """``{Name: {params}}`` -> the inner transform, or ParamError naming what is allowed."""
    if not isinstance(item, dict) or len(item) != 1:
        raise ParamError(
            "transform must be one pipeline item like {GaussianBlur: {sigma_limit: 2}}", "transform"
        )
    ((name, config),) = item.items()
    cls = transform_class(name)
    if cls is None or cls.kind == "container":
        raise ParamError(f"transform: unknown transform {name!r}", "transform")
    if cls.kind != "pixel" and name not in WINDOW_WARPS:
        raise ParamError(
            f"transform: {name} cannot run inside a box; use a pixel transform or one of "
            f"{', '.join(WINDOW_WARPS)}",
            "transform",
        )
    if cls.needs_labels:
        raise ParamError(f"transform: {name} looks at the labels and cannot run inside a box", "transform")
    try:
        inner = cls(**dict(config or {}))
    except ParamError as err:
        raise ParamError(f"transform: {name}: {err}", "transform") from None
    flag = _SIZE_CHANGING.get(name)
    if flag and getattr(inner, flag[0], None) == flag[1]:
        raise ParamError(
            f"transform: {name} with {flag[0]}: {flag[1]} changes the size; not inside a box", "transform"
        )
    return inner


@register
class InsideBoxes(Transform):
    """Apply a transform inside each box (chosen with p_per_box); labels inside move with warped content."""

    kind = "geometric"
    default_p = 1.0
    needs_labels = True
    requires_targets: ClassVar[tuple[str, ...]] = ("boxes",)
    params = (
        Param(
            "transform",
            "any",
            None,
            "the pipeline item to apply inside boxes, e.g. {Equalize: {}}",
            shape="a pipeline item",
        ),
        Param("p_per_box", "float", 0.3, "probability that a given box is transformed", low=0.0, high=1.0),
        Param(
            "region",
            "choice",
            "box",
            "box: the whole box window; mask: only the instance's own pixels (pixel transforms only)",
            choices=("box", "mask"),
        ),
    )
    example = "- InsideBoxes: {transform: {Rotate: {limit: 20}}, p_per_box: 0.5, p: 1.0}"
    deviations = (
        "An augcli addition (the detection policies' bbox-only ops generalised). Boxes are not "
        "moved; polygons, masks, keypoints and the semantic map inside a warped box move with "
        "its content, clipped to the box window (see docs/transforms.md). Needs a dataset with boxes."
    )

    def check(self) -> None:
        self.inner = build_inner(self.transform)
        if self.region == "mask" and self.inner.kind != "pixel":
            raise ParamError(
                "region: mask works with pixel transforms only; use region: box for warps", "region"
            )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext):
        sample = ctx.sample()
        n = len(sample.instances)
        order = rng.permutation(n) if n else np.zeros(0, np.int64)
        fires = rng.random(n) < self.p_per_box
        rows, inners = [], []
        for i in order:
            rect = region_of(sample.instances.boxes[i], sample.width, sample.height)
            if not fires[i] or rect is None:
                continue
            op = self.inner.make_op(rng, _window_context(sample, rect, ctx))
            if op is not None:
                rows.append(int(i))
                inners.append(op)
        return InsideBoxesOp(steps=(BoxStep(self.name, tuple(rows), tuple(inners), self.region),))


def _window_context(sample: Sample, rect, ctx: SampleContext) -> SampleContext:
    x0, y0, x1, y1 = rect
    window = Sample(image=sample.image[y0:y1, x0:x1], instances=Instances.empty(), meta=dict(sample.meta))
    return SampleContext(width=x1 - x0, height=y1 - y0, get_sample=lambda: window, categories=ctx.categories)
