"""``compat: tpu`` box handling: the reference's 5% slivers for boxes pushed off the canvas.

After every geometric op the TPU code clips boxes to [0, 1] and opens a box
of zero height (or width) to at least 0.05 of the image (``max(max, 0.05)``,
``min(min, 0.95)``), so a box pushed entirely off the image survives as a
sliver at the border. ``SliverWarpStep`` reproduces that for box-only
instances (instances with a polygon or mask follow their shape as usual).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from augcli.core.policy import LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.geometry.boxes import clip_boxes, warp_boxes
from augcli.geometry.warp import MatrixWarp
from augcli.transforms.policies.steps import ROW_TAG, WarpStep

SLIVER = 0.05


def open_zero_sides(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """The reference's ``_check_bbox_area``: zero-height/width boxes opened to 5% of the image."""
    out = np.asarray(boxes, np.float64).copy()
    for lo, hi, size in ((0, 2, width), (1, 3, height)):
        flat = out[:, hi] - out[:, lo] == 0
        out[flat, hi] = np.maximum(out[flat, hi], SLIVER * size)
        out[flat, lo] = np.minimum(out[flat, lo], (1 - SLIVER) * size)
    return out


@dataclass(frozen=True)
class SliverWarpStep(WarpStep):
    """A WarpStep whose box-only instances keep the reference's clipped-or-sliver boxes."""

    def apply(self, sample: Sample, settings: dict, policy: LabelPolicy) -> Sample:
        out = super().apply(sample, settings, policy)
        inst = sample.instances
        box_only = np.array([not p and m is None for p, m in zip(inst.polygons, inst.masks)], dtype=bool)
        if not box_only.any():
            return out
        warp = MatrixWarp(self.matrix(sample.width, sample.height), (sample.width, sample.height))
        boxes = clip_boxes(warp_boxes(inst.boxes, warp), sample.width, sample.height)
        boxes = open_zero_sides(boxes, sample.width, sample.height)
        tags_before = list(inst.extra[ROW_TAG])
        survived = set(out.instances.extra[ROW_TAG])
        lost = [i for i, tag in enumerate(tags_before) if box_only[i] and tag not in survived]
        kept = out.instances
        rows_after = {tag: k for k, tag in enumerate(kept.extra[ROW_TAG])}
        new_boxes = kept.boxes.copy()
        for i, tag in enumerate(tags_before):
            if box_only[i] and tag in rows_after:
                new_boxes[rows_after[tag]] = boxes[i]
        kept = kept.replace(boxes=new_boxes)
        if lost:
            revived = inst[lost].replace(boxes=boxes[lost])
            if revived.keypoints is not None:
                revived = revived.replace(keypoints=np.zeros_like(revived.keypoints))  # off the canvas
            kept = _in_row_order(_concat(kept, revived))
            dropped = dict(out.meta.get("dropped") or {})
            dropped["outside"] = dropped.get("outside", 0) - len(lost)
            out = out.replace(meta={**out.meta, "dropped": {k: v for k, v in dropped.items() if v}})
        return out.replace(instances=kept)


def _concat(a: Instances, b: Instances) -> Instances:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Instances):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            values[f.name] = np.concatenate([x, y])
        elif isinstance(x, dict):
            values[f.name] = {k: list(x[k]) + list(y[k]) for k in x}
        elif isinstance(x, list):
            values[f.name] = x + y
        else:
            values[f.name] = x
    return Instances(**values)


def _in_row_order(inst: Instances) -> Instances:
    return inst[np.argsort(np.asarray(inst.extra[ROW_TAG]), kind="stable")]
