"""The raster path: labels of instances that lie on a fold of the warp.

``geometry.folds`` finds where a sampling grid lays the image over itself.
An instance there is seen in several places at once, so its outline cannot
be moved vertex by vertex. Instead its region (polygon rasterised by pixel
centres, or its box) is warped like a mask, with the image's own map and
nearest sampling, which gives exactly the output pixels that show it:

- a polygon becomes that mask: an RLE mask when the writer can store one
  (``meta['polygon_holes'] == 'rle'``, set by the engine from the writer,
  as for dropout holes), else the mask traced back to a polygon, one ring
  per part (a fold can split an object), holes filled
  (``geometry.tracing``);
- a box-only instance keeps no mask, its box is the warped box region's;
- the box of either is the mask's tight box, whatever ``labels.box`` says
  (the corners of a folded box mean nothing);
- visibility is scaled as for masks (input area shown / input area).

RLE instances need none of this: masks always take the raster path.
Instances whose input region the folded output pixels never sample keep the
vector path. ``meta['raster_path']`` counts the instances that took this
path (once per folding warp).
"""

from __future__ import annotations

import numpy as np

from augcli.core.sample import Sample
from augcli.geometry import rle
from augcli.geometry.folds import Folds
from augcli.geometry.occlusion import box_region, instance_region, polygon_hole_mode
from augcli.geometry.polygons import polygon_bounds
from augcli.geometry.raster import Resampler
from augcli.geometry.tracing import mask_to_rings

RASTER_PATH = "raster_path"  # sample.meta key: instances a fold sent down the raster path


def count_raster_path(meta: dict, count: int) -> dict:
    """A copy of ``meta`` counting ``count`` more instances on the raster path."""
    return {**meta, RASTER_PATH: int(meta.get(RASTER_PATH, 0)) + int(count)}


class FoldRaster:
    """Which instances of ``sample`` lie on ``folds``, and their labels from warped rasters."""

    def __init__(self, sample: Sample, folds: Folds, resampler: Resampler):
        inst = sample.instances
        self.rows = np.empty(0, dtype=np.int64)
        self.masks = np.zeros(resampler.out_size[::-1] + (0,), dtype=bool)
        self.input_areas = np.empty(0)
        self.store_rle = polygon_hole_mode(sample.meta) == "rle"
        vector = [i for i in range(len(inst)) if inst.polygons[i] or inst.masks[i] is None]
        if not vector:
            return
        boxes = np.array([_input_box(inst, i) for i in vector])
        candidates = [i for i, near in zip(vector, folds.near(boxes)) if near]
        if not candidates:
            return
        height, width = sample.height, sample.width
        regions = np.empty((height, width, len(candidates)), dtype=bool, order="F")
        for k, i in enumerate(candidates):
            regions[:, :, k] = instance_region(inst, i, height, width)
        warped = resampler.mask_stack(regions)
        folded = (warped & folds.region[:, :, None]).any(axis=(0, 1))
        self.rows = np.asarray(candidates, dtype=np.int64)[folded]
        self.masks = warped[:, :, folded]
        self.input_areas = regions[:, :, folded].sum(axis=(0, 1)).astype(np.float64)

    def __len__(self) -> int:
        return len(self.rows)

    def labels(self, k: int) -> tuple[list | None, dict | None]:
        """(polygon, mask) of the k-th folded instance; (None, None) if it left the canvas."""
        mask = self.masks[:, :, k]
        if not mask.any():
            return None, None
        encoded = rle.encode(mask)
        if self.store_rle:
            return None, encoded
        x0, y0, x1, y1 = (int(v) for v in rle.bounds(encoded))
        return mask_to_rings(mask[y0:y1, x0:x1], x0, y0), encoded


def folded_box_bounds(
    boxes: np.ndarray, folds: Folds, resampler: Resampler, height: int, width: int
) -> np.ndarray:
    """(N, 4) output boxes of input ``boxes`` whose region lies on a fold, from their warped
    rasters (a box that left the canvas collapses to zeros); NaN rows for boxes off the folds."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    out = np.full((len(boxes), 4), np.nan)
    rows = np.flatnonzero(folds.near(boxes))
    if len(rows) == 0:
        return out
    regions = np.empty((height, width, len(rows)), dtype=bool, order="F")
    for k, i in enumerate(rows):
        regions[:, :, k] = box_region(boxes[i], height, width)
    warped = resampler.mask_stack(regions)
    for k, i in enumerate(rows):
        if not (warped[:, :, k] & folds.region).any():
            continue
        ys, xs = np.nonzero(warped[:, :, k])
        out[i] = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] if len(xs) else 0.0
    return out


def _input_box(inst, i: int) -> np.ndarray:
    """The instance's extent in the input: its polygon's box, else its box."""
    bounds = polygon_bounds(inst.polygons[i]) if inst.polygons[i] else None
    return np.asarray(bounds if bounds is not None else inst.boxes[i], dtype=np.float64)
