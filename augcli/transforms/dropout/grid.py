"""GridDropout (GridMask): a regular grid of square-ish holes, one per grid unit.

The op stores the grid (unit, hole and offset sizes), not a list of holes, so
a fine grid keeps a small provenance record; the holes are the products of
the periodic runs of covered rows and of covered columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.occlusion import apply_occlusion
from augcli.transforms.base import Op, SampleContext, register
from augcli.transforms.dropout.fill import Hole, fill_holes, fill_mask_param, fill_param, fill_semantic
from augcli.transforms.dropout.holes import LABELS_NOTE, HoleDropout
from augcli.transforms.params import Param
from augcli.transforms.pixel.imageops import draw_seed


@dataclass(frozen=True)
class GridDropoutOp(Op):
    kind: ClassVar[str] = "dropout"
    name: ClassVar[str] = "GridDropout"
    unit: tuple[int, int]  # grid unit width, height (px)
    hole: tuple[int, int]  # hole width, height (px), at most the unit
    offset: tuple[int, int]  # x, y where a hole starts, in [0, unit)
    fill: Any
    fill_mask: int | None
    seed: int

    def _runs(self, length: int, axis: int) -> list[tuple[int, int]]:
        """[start, end) of the holes along one axis: position p is in a hole when
        (p - offset) mod unit < hole; the first hole may start before 0."""
        unit, hole = self.unit[axis], self.hole[axis]
        first = self.offset[axis] % unit - unit
        return [
            (max(a, 0), min(a + hole, length))
            for a in range(first, length, unit)
            if a + hole > 0 and a < length
        ]

    def holes(self, height: int, width: int) -> list[Hole]:
        rows, cols = self._runs(height, 1), self._runs(width, 0)
        return [(x1, y1, x2, y2) for y1, y2 in rows for x1, x2 in cols]

    def covered(self, height: int, width: int) -> np.ndarray:
        rows = np.zeros(height, dtype=bool)
        cols = np.zeros(width, dtype=bool)
        for a, b in self._runs(height, 1):
            rows[a:b] = True
        for a, b in self._runs(width, 0):
            cols[a:b] = True
        return rows[:, None] & cols[None, :]

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        if min(self.hole) <= 0:
            return sample
        covered = self.covered(sample.height, sample.width)
        # rectangles: constant and per-hole fills are slice assignments, not a full-image mask
        holes = self.holes(sample.height, sample.width)
        image = fill_holes(sample.image, holes, covered, self.fill, self.seed)
        semantic = fill_semantic(sample.semantic, covered, self.fill_mask)
        return apply_occlusion(sample.replace(image=image, semantic=semantic), covered, policy)


@register
class GridDropout(HoleDropout):
    """GridMask: drop a regular grid of rectangular holes; labels lose what the holes cover."""

    params = (
        Param("ratio", "float", 0.5, "hole side as a fraction of the grid unit side", low=0.0, high=1.0),
        Param(
            "random_offset",
            "bool",
            True,
            "shift the whole grid by a random offset in [0, unit - hole]; when true shift_xy is ignored",
        ),
        Param(
            "unit_size_range",
            "int_range",
            None,
            "grid unit side in pixels, drawn from [min, max]; null: 1/10 of each image side",
            low=2,
            nullable=True,
        ),
        Param(
            "holes_number_xy",
            "int_range",
            None,
            "grid units along x and along y ([nx, ny]); overrides unit_size_range",
            low=1,
            nullable=True,
            ordered=False,
        ),
        Param(
            "shift_xy",
            "int_range",
            (0, 0),
            "grid offset [x, y] in pixels when random_offset is false",
            low=0,
            ordered=False,
        ),
        fill_param(),
        fill_mask_param(),
    )
    default_p = 0.5
    example = "- GridDropout: {ratio: 0.4, unit_size_range: [20, 40], random_offset: true, p: 0.5}"
    deviations = LABELS_NOTE + (
        " holes_number_xy is read as [x, y] as documented (2.0.8 divides the height by the first "
        "value); random_offset shifts the whole grid by one offset, as in the GridMask paper (2.0.8 "
        "offsets each hole on its own); a unit larger than the image is clipped to it instead of "
        "refused; shift_xy wraps around the unit so the grid stays periodic."
    )

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        height, width = ctx.height, ctx.width
        if self.holes_number_xy is not None:
            unit_w = max(1, width // self.holes_number_xy[0])
            unit_h = max(1, height // self.holes_number_xy[1])
        elif self.unit_size_range is not None:
            size = int(rng.integers(self.unit_size_range[0], self.unit_size_range[1] + 1))
            unit_w = unit_h = max(1, min(size, height, width))
        else:
            unit_w, unit_h = max(2, width // 10), max(2, height // 10)
        hole_w, hole_h = int(unit_w * self.ratio), int(unit_h * self.ratio)
        if self.random_offset:
            off_x = int(rng.integers(0, unit_w - hole_w + 1))
            off_y = int(rng.integers(0, unit_h - hole_h + 1))
        else:
            off_x, off_y = self.shift_xy[0] % unit_w, self.shift_xy[1] % unit_h
        return GridDropoutOp(
            unit=(unit_w, unit_h),
            hole=(hole_w, hole_h),
            offset=(off_x, off_y),
            fill=self.fill,
            fill_mask=self.fill_mask,
            seed=draw_seed(rng),
        )
