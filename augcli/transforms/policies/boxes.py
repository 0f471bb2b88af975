"""Steps that act inside boxes: the bbox-only ops and InsideBoxes.

``BoxStep`` visits the boxes it drew (by their row at the start of the policy
op, in the drawn order; a box dropped by an earlier step is skipped) and runs
its inner op inside each box's window (``region.py`` says what the labels
do). ``BBoxCutoutStep`` is the detection policies' BBox_Cutout: one square
centred inside one box, which may reach past the box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_to_mask_in_box
from augcli.transforms.base import GeometricOp, PixelOp
from augcli.transforms.policies import imageops
from augcli.transforms.policies.region import Rect, paint_region, region_of, warp_region
from augcli.transforms.policies.steps import ROW_TAG, PixelStep, WarpStep, cutout_rect, step_record


@dataclass(frozen=True)
class LocalCutout:
    """A 2*pad square centred at (u, v) fractions of the window, clipped to it."""

    u: float
    v: float
    pad: int

    def rect_in(self, width: int, height: int) -> Rect:
        cx, cy = min(int(self.u * width), width - 1), min(int(self.v * height), height - 1)
        return cutout_rect(cx, cy, self.pad, width, height)


@dataclass(frozen=True)
class BoxStep:
    """Run ``inners[k]`` inside the box of instance ``rows[k]``, in order.

    An inner is a PixelStep, WarpStep, LocalCutout, or any pixel op or
    same-size matrix-warp op of the catalogue (InsideBoxes).
    """

    op: str
    rows: tuple[int, ...]
    inners: tuple[Any, ...]
    region: str = "box"  # 'mask': pixel inners change the instance's own pixels only

    def apply(self, sample: Sample, settings: dict, policy: LabelPolicy) -> Sample:
        for row, inner in zip(self.rows, self.inners):
            tags = sample.instances.extra.get(ROW_TAG, [])
            if row not in tags:
                continue  # dropped by an earlier step
            i = tags.index(row)
            rect = region_of(sample.instances.boxes[i], sample.width, sample.height)
            if rect is not None:
                sample = self._inside(sample, i, rect, inner, settings, policy)
        return sample

    def _inside(self, sample, i, rect, inner, settings, policy) -> Sample:
        width, height = rect[2] - rect[0], rect[3] - rect[1]
        if isinstance(inner, WarpStep):
            return warp_region(sample, rect, inner.matrix(width, height), settings, policy)
        if isinstance(inner, GeometricOp):
            warp = inner.warp(width, height)
            return warp_region(sample, rect, warp.matrix, inner.resampling(), policy)
        if isinstance(inner, LocalCutout):
            fill = settings["fill"]
            return paint_region(
                sample, rect, lambda w: imageops.fill_rect(w, inner.rect_in(width, height), fill)
            )
        assert isinstance(inner, (PixelStep, PixelOp)), inner
        where = own_pixels(sample, i, rect) if self.region == "mask" else None
        return paint_region(sample, rect, inner.apply_image, where)

    def record(self) -> dict:
        inners = [step_record(x) for x in self.inners]
        return {"op": self.op, "rows": list(self.rows), "inners": inners, "region": self.region}


def own_pixels(sample: Sample, i: int, rect: Rect) -> np.ndarray | None:
    """The instance's own pixels in the window (its polygon, else mask); None = the whole box."""
    inst = sample.instances
    x0, y0, x1, y1 = rect
    if inst.polygons[i]:
        return polygon_to_mask_in_box(inst.polygons[i], x0, y0, x1 - x0, y1 - y0)
    if inst.masks[i] is not None:
        return rle.decode(inst.masks[i])[y0:y1, x0:x1].astype(bool)
    return None


@dataclass(frozen=True)
class BBoxCutoutStep:
    """BBox_Cutout: a (fraction * box) sized square centred at (u, v) in box ``choice``."""

    op: ClassVar[str] = "BBox_Cutout"
    choice: float  # which box: int(choice * number of boxes)
    u: float
    v: float
    pad_fraction: float

    def apply(self, sample: Sample, settings: dict, policy: LabelPolicy) -> Sample:
        boxes = sample.instances.boxes
        if not len(boxes):
            return sample
        box = boxes[min(int(self.choice * len(boxes)), len(boxes) - 1)]
        rect = region_of(box, sample.width, sample.height)
        if rect is None:
            return sample
        x0, y0, x1, y1 = rect
        cx = x0 + min(int(self.u * (x1 - x0)), x1 - x0 - 1)
        cy = y0 + min(int(self.v * (y1 - y0)), y1 - y0 - 1)
        half_w, half_h = int(self.pad_fraction * (x1 - x0) / 2), int(self.pad_fraction * (y1 - y0) / 2)
        window = (
            max(0, cx - half_w),
            max(0, cy - half_h),
            min(sample.width, cx + half_w),
            min(sample.height, cy + half_h),
        )
        return sample.replace(image=imageops.fill_rect(sample.image, window, settings["fill"]))
