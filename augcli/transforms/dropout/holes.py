"""Rectangular holes: the op every hole-cutting dropout draws, and their shared base.

The op fills the holes in the image, writes ``fill_mask`` into the semantic
map when one is given, and hands the covered pixels to
``geometry.occlusion.apply_occlusion``, which updates every label
(visibility, occluded keypoints, masks and polygons losing the covered
pixels, instances dropped when fully covered or below
``labels.min_visibility``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.occlusion import apply_occlusion
from augcli.transforms.base import Op, Transform
from augcli.transforms.dropout.fill import (
    Hole,
    check_class,
    check_fill,
    fill_holes,
    fill_semantic,
    holes_covered,
)

LABELS_NOTE = (
    "Boxes, polygons, RLE masks and keypoints follow the holes (visibility drops, covered "
    "keypoints become v=1, masks lose the covered pixels, fully covered instances are dropped); "
    "a single-number fill leaves alpha untouched; fill_mask is one semantic class."
)


@dataclass(frozen=True)
class HoleDropoutOp(Op):
    """Fill rectangular holes; every label loses what they cover."""

    kind: ClassVar[str] = "dropout"
    name: ClassVar[str] = "HoleDropout"
    holes: tuple[Hole, ...]
    fill: Any  # number, per-channel tuple or one of FILL_MODES
    fill_mask: int | None
    seed: int  # for the random fill modes

    def covered(self, height: int, width: int) -> np.ndarray:
        return holes_covered(self.holes, height, width)

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        if not self.holes:
            return sample
        covered = self.covered(sample.height, sample.width)
        image = fill_holes(sample.image, self.holes, covered, self.fill, self.seed)
        semantic = fill_semantic(sample.semantic, covered, self.fill_mask)
        return apply_occlusion(sample.replace(image=image, semantic=semantic), covered, policy)


class HoleDropout(Transform):
    """Base of the transforms that cut rectangular holes (not registered itself)."""

    kind = "dropout"
    deviations = LABELS_NOTE
    # parameters, set from the recipe by Transform and normalised by check()
    fill: Any
    fill_mask: int | None

    def check(self) -> None:
        self.fill = check_fill(self.fill)
        self.fill_mask = check_class(self.fill_mask)
        self.cfg["fill"], self.cfg["fill_mask"] = self.fill, self.fill_mask
        self.check_holes()

    def check_holes(self) -> None:
        """Checks of the hole parameters; raise ParamError."""

    def op(self, op_class: type[HoleDropoutOp], holes: list[Hole], seed: int) -> HoleDropoutOp:
        kept = tuple((int(x1), int(y1), int(x2), int(y2)) for x1, y1, x2, y2 in holes if x2 > x1 and y2 > y1)
        return op_class(holes=kept, fill=self.fill, fill_mask=self.fill_mask, seed=seed)


def clip_hole(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> Hole:
    """Integer hole clipped to the canvas (may come out empty)."""
    cx1, cy1 = max(int(round(x1)), 0), max(int(round(y1)), 0)
    cx2, cy2 = min(int(round(x2)), width), min(int(round(y2)), height)
    return cx1, cy1, max(cx2, cx1), max(cy2, cy1)
