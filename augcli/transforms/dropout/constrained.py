"""ConstrainedCoarseDropout: holes cut only inside objects of chosen classes.

``bbox_labels`` picks instances by category name or id. An instance with a
polygon or mask gets hole centres drawn from its own pixels, a box-only
instance gets holes placed inside its box; hole sides are fractions of the
instance's box sides. ``mask_indices`` picks classes of the semantic map:
each connected component gets holes centred on its pixels, sized as
fractions of the square root of its area. ``num_holes_range`` is drawn once
and every object gets that many holes.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from augcli.core.errors import TransformError
from augcli.core.sample import Categories, Sample
from augcli.geometry.occlusion import instance_region
from augcli.transforms.base import Op, SampleContext, register
from augcli.transforms.dropout.fill import Hole, fill_mask_param, fill_param
from augcli.transforms.dropout.holes import LABELS_NOTE, HoleDropout, HoleDropoutOp, clip_hole
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import draw_seed


class ConstrainedCoarseDropoutOp(HoleDropoutOp):
    name = "ConstrainedCoarseDropout"


@register
class ConstrainedCoarseDropout(HoleDropout):
    """Cut holes only inside objects of the chosen classes (by category name or id)."""

    needs_labels = True
    params = (
        Param(
            "num_holes_range", "int_range", (1, 1), "holes per object (min, max), drawn once per image", low=1
        ),
        Param(
            "hole_height_range",
            "range",
            (0.1, 0.1),
            "hole height as a fraction of the object's box height (semantic components: of the square "
            "root of their area)",
            low=0.0,
            high=1.0,
        ),
        Param(
            "hole_width_range",
            "range",
            (0.1, 0.1),
            "hole width as a fraction of the object's box width (semantic components: of the square "
            "root of their area)",
            low=0.0,
            high=1.0,
        ),
        fill_param(),
        fill_mask_param(),
        Param(
            "mask_indices",
            "list",
            None,
            "semantic map classes whose connected components get holes",
            nullable=True,
        ),
        Param(
            "bbox_labels",
            "list",
            None,
            "categories (names or ids) whose instances get holes; at least one of bbox_labels and "
            "mask_indices is required",
        ),
    )
    default_p = 0.5
    example = (
        "- ConstrainedCoarseDropout: {bbox_labels: [person], num_holes_range: [1, 3], "
        "hole_height_range: [0.2, 0.4], hole_width_range: [0.2, 0.4], p: 0.5}"
    )
    deviations = LABELS_NOTE + (
        " bbox_labels and mask_indices may be given together (both kinds of objects get holes; "
        "Albumentations uses mask_indices alone then); holes of an instance with a polygon or mask are "
        "centred on its pixels and sized from its box; crowd regions get no holes."
    )

    def check_holes(self) -> None:
        if self.mask_indices is None and self.bbox_labels is None:
            raise ParamError(
                "give bbox_labels (category names or ids) or mask_indices (semantic classes)", "bbox_labels"
            )
        for name in ("hole_height_range", "hole_width_range"):
            if getattr(self, name)[0] <= 0:
                raise ParamError(f"{name} must be fractions in (0, 1], got {list(getattr(self, name))}", name)
        for value in self.mask_indices or []:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ParamError(
                    f"mask_indices must be non-negative integer classes, got {value!r}", "mask_indices"
                )
        for value in self.bbox_labels or []:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ParamError(
                    f"bbox_labels must be category names or integer ids, got {value!r}", "bbox_labels"
                )

    def dataset_problems(self, categories: Categories | None) -> list[str]:
        """Labels that name no category of the dataset (checked before any pixel moves)."""
        if categories is None or not categories.items:
            return []
        try:
            self.category_ids(categories)
        except TransformError as err:
            return [str(err)]
        return []

    def category_ids(self, categories: Categories | None) -> set[int]:
        names = categories.names() if categories is not None else {}
        by_name = {name: cid for cid, name in names.items()}
        ids: set[int] = set()
        for value in self.bbox_labels or []:
            if isinstance(value, str):
                if value not in by_name:
                    known = ", ".join(sorted(by_name)) or "none: the dataset has no category list"
                    raise TransformError(
                        f"ConstrainedCoarseDropout: bbox_labels names an unknown category "
                        f"{value!r} (known: {known})"
                    )
                ids.add(by_name[value])
            else:
                if names and value not in names:
                    raise TransformError(
                        f"ConstrainedCoarseDropout: bbox_labels has category id {value}, "
                        f"which the dataset does not define"
                    )
                ids.add(int(value))
        return ids

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Op | None:
        sample = ctx.sample()
        per_object = int(rng.integers(self.num_holes_range[0], self.num_holes_range[1] + 1))
        holes: list[Hole] = []
        if self.bbox_labels:
            holes += self._instance_holes(rng, sample, self.category_ids(ctx.categories), per_object)
        if self.mask_indices and sample.semantic is not None:
            holes += self._semantic_holes(rng, sample, per_object)
        return self.op(ConstrainedCoarseDropoutOp, holes, draw_seed(rng))

    def _sides(self, rng: np.random.Generator, height: float, width: float) -> tuple[float, float]:
        return (
            max(1.0, height * rng.uniform(*self.hole_height_range)),
            max(1.0, width * rng.uniform(*self.hole_width_range)),
        )

    def _instance_holes(
        self, rng: np.random.Generator, sample: Sample, ids: set[int], per_object: int
    ) -> list[Hole]:
        inst, height, width = sample.instances, sample.height, sample.width
        holes: list[Hole] = []
        for i in range(len(inst)):
            if int(inst.labels[i]) not in ids or inst.crowd[i]:
                continue
            x1, y1, x2, y2 = (float(v) for v in inst.boxes[i])
            pixels = None
            if inst.polygons[i] or inst.masks[i] is not None:
                pixels = np.flatnonzero(instance_region(inst, i, height, width))
            for _ in range(per_object):
                h, w = self._sides(rng, y2 - y1, x2 - x1)
                if pixels is not None and len(pixels):
                    row, col = divmod(int(pixels[rng.integers(len(pixels))]), width)
                    cx, cy = col + 0.5, row + 0.5
                    holes.append(clip_hole(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, width, height))
                else:
                    left = x1 + rng.uniform(0.0, max(x2 - x1 - w, 0.0))
                    top = y1 + rng.uniform(0.0, max(y2 - y1 - h, 0.0))
                    holes.append(clip_hole(left, top, left + w, top + h, width, height))
        return holes

    def _semantic_holes(self, rng: np.random.Generator, sample: Sample, per_object: int) -> list[Hole]:
        height, width = sample.height, sample.width
        holes: list[Hole] = []
        for value in self.mask_indices:
            region = (sample.semantic == value).astype(np.uint8)
            count, labels = cv2.connectedComponents(region, connectivity=8)
            flat = labels.ravel()
            order = np.argsort(flat, kind="stable")  # pixel indices grouped by component
            starts = np.concatenate([[0], np.cumsum(np.bincount(flat, minlength=count))])
            for component in range(1, count):
                pixels = order[starts[component] : starts[component + 1]]
                side = math.sqrt(len(pixels))
                for _ in range(per_object):
                    h, w = self._sides(rng, side, side)
                    row, col = divmod(int(pixels[rng.integers(len(pixels))]), width)
                    cx, cy = col + 0.5, row + 0.5
                    holes.append(clip_hole(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, width, height))
        return holes
