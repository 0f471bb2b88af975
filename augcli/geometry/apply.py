"""One warp, every target: the single function every geometric op calls.

``apply_warp`` moves the image, the semantic map and every instance column
through one MatrixWarp or GridWarp and returns a new Sample (the input's
arrays are never modified):

- image: chosen interpolation, border mode and fill;
- semantic map: nearest, same border mode as the image (so reflected
  borders stay labelled like their pixels), constant fill = ``fill_mask`` or
  the sample's ignore index;
- polygons: vertices mapped (densified first for grid warps), clipped to the
  canvas; a piecewise warp cuts each ring along its pieces' borders and moves
  every part with its piece (``geometry.piecewise``);
- masks (RLE): decoded, warped nearest with fill 0, re-encoded. Instance
  masks always use a constant border: mirrored border content gets no
  instances, just as its polygons and boxes do;
- keypoints: mapped; labelled points leaving the canvas become (0, 0, 0);
  mirroring warps swap left/right columns with ``meta['flip_perm']``;
- boxes: tight from the warped polygon or mask (``policy.box == 'tight'``),
  else from the warped box corners; clipped to the canvas;
- part boxes (``Instances.part_boxes``): like box-only boxes, clipped; a part
  that leaves the canvas collapses to zero size but keeps its row;
- extra box and keypoint sets (``Instances.box_sets`` / ``point_sets``):
  ``geometry.extras``;
- folds (a grid warp laying the image over itself, ``geometry.folds``):
  instances whose region the folded pixels sample take the raster path
  (``geometry.fold_raster``); part boxes and box sets there are the boxes of
  their warped rasters; a keypoint shown more than once takes the top-most
  upright copy (``folds.pick_copy``); everything else keeps the vector path.

``visibility`` is multiplied by the fraction of the instance that stays on
the canvas:

- polygon: clipped area / unclipped warped area (output pixels);
- mask: input area that landed on the canvas / input mask area. The first
  is estimated from the output mask, each output pixel counting for the
  input area it samples (|det| of the inverse warp's Jacobian there), so a
  mask that is only scaled keeps visibility 1 and the estimate needs no
  oversized canvas;
- box only: clipped box area / unclipped warped box area.

An instance whose shape leaves the canvas entirely is dropped with all its
columns and counted as ``meta['dropped']['outside']``.
"""

from __future__ import annotations

import cv2
import numpy as np

from augcli.core.errors import AnnotationError
from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.boxes import box_areas, clip_boxes, warp_boxes
from augcli.geometry.extras import MIRROR_META, move_box_sets, move_point_sets
from augcli.geometry.filtering import drop_instances, filter_instances, instance_areas
from augcli.geometry.fold_raster import FoldRaster, count_raster_path, folded_box_bounds
from augcli.geometry.folds import find_folds, pick_copy, point_copies
from augcli.geometry.piecewise import PiecewiseWarp, map_polygon
from augcli.geometry.points import map_points
from augcli.geometry.polygons import clip_polygon_measured, densify, polygon_bounds
from augcli.geometry.raster import Resampler
from augcli.geometry.warp import GridWarp, MatrixWarp, Warp

GRID_DENSIFY_PX = 3.0  # polygon edges are cut this short before a grid warp bends them
GRID_SIMPLIFY_PX = 0.2  # ...and the bent ring is simplified back within this tolerance

__all__ = ["apply_warp", "filter_instances", "instance_areas", "GRID_DENSIFY_PX"]


def apply_warp(
    sample: Sample,
    warp: Warp,
    *,
    interpolation: int = cv2.INTER_LINEAR,
    border_mode: int = cv2.BORDER_CONSTANT,
    fill=0,
    fill_mask=None,
    policy: LabelPolicy = DEFAULT_POLICY,
) -> Sample:
    """Return ``sample`` moved through ``warp``: pixels, labels and meta together."""
    resampler = Resampler(warp)
    width, height = warp.out_size
    image = resampler.image(sample.image, interpolation=interpolation, border_mode=border_mode, fill=fill)
    semantic = None
    if sample.semantic is not None:
        label_fill = sample.ignore_index if fill_mask is None else _first(fill_mask)
        semantic = resampler.labels(sample.semantic, fill=label_fill, border_mode=border_mode)
    meta = dict(sample.meta)
    if "width" in meta:
        meta["width"] = width
    if "height" in meta:
        meta["height"] = height
    out = sample.replace(image=image, semantic=semantic, meta=meta)
    if len(sample.instances) == 0:
        return out
    moved = _InstanceWarp(sample, warp, resampler, policy)
    instances, outside = moved.run()
    if moved.raster is not None and len(moved.raster):
        out = out.replace(meta=count_raster_path(out.meta, len(moved.raster)))
    return drop_instances(out.replace(instances=instances), ~outside, "outside")


def _first(value) -> float:
    return float(value) if np.ndim(value) == 0 else float(np.ravel(value)[0])


class _InstanceWarp:
    """The per-column work of ``apply_warp``, all instances of a column at once."""

    def __init__(self, sample: Sample, warp: Warp, resampler: Resampler, policy: LabelPolicy):
        self.inst = sample.instances
        self.sample = sample
        self.warp = warp
        self.resampler = resampler
        self.policy = policy
        self.width, self.height = warp.out_size
        n = len(self.inst)
        self.visibility = self.inst.visibility.astype(np.float64)  # a copy
        self.outside = np.zeros(n, dtype=bool)
        self.tight = np.full((n, 4), np.nan)  # box from the warped shape, where one exists
        self.shaped = np.zeros(n, dtype=bool)  # instance has a polygon or mask
        self.folds = find_folds(warp)
        self.raster = FoldRaster(sample, self.folds, resampler) if self.folds is not None else None
        self.on_raster = np.zeros(n, dtype=bool)
        if self.raster is not None:
            self.on_raster[self.raster.rows] = True

    def run(self) -> tuple[Instances, np.ndarray]:
        polygons = self._polygons()
        masks = self._masks()
        if self.raster is not None:
            self._raster_path(polygons, masks)
        boxes = self._boxes()
        keypoints = self._keypoints()
        mirror, folds = self.sample.meta.get(MIRROR_META), self.folds is not None
        instances = self.inst.replace(
            boxes=boxes,
            polygons=polygons,
            masks=masks,
            keypoints=keypoints,
            visibility=self.visibility,
            part_boxes=self._part_boxes(),
            box_sets=move_box_sets(self.inst, self.warp, mirror, self._boxes_on_folds if folds else None),
            point_sets=move_point_sets(
                self.inst, self.warp, mirror, self._keypoints_on_folds if folds else None
            ),
        )
        return instances, self.outside

    def _polygons(self) -> list:
        polys = self.inst.polygons
        index = [i for i, p in enumerate(polys) if p and not self.on_raster[i]]
        out = list(polys)
        if not index:
            return out
        moved, lost = self._moved_rings(polys, index)
        grid = isinstance(self.warp, GridWarp) and not isinstance(self.warp, PiecewiseWarp)
        for k, i in enumerate(index):
            parts = [_clean_ring(r, grid) for r in moved[k]]
            parts = [r for r in parts if r is not None]
            clipped, area_in, area_out = clip_polygon_measured(parts, self.width, self.height)
            before = area_in + lost[k]
            out[i] = clipped
            self.shaped[i] = True
            if not clipped:
                self.outside[i] = True
                continue
            if before > 0:
                self.visibility[i] *= min(1.0, area_out / before)
            self.tight[i] = polygon_bounds(clipped)
        return out

    def _moved_rings(self, polys: list, index: list[int]) -> tuple[list[list], list[float]]:
        """Per instance in ``index``: its rings moved through the warp (unclipped), and the
        input area that has no place in the output (only piecewise warps lose area here)."""
        if isinstance(self.warp, PiecewiseWarp):
            moved = [map_polygon(polys[i], self.warp) for i in index]
            return [parts for parts, _ in moved], [lost for _, lost in moved]
        rings = [np.asarray(r, dtype=np.float64).reshape(-1, 2) for i in index for r in polys[i]]
        if isinstance(self.warp, GridWarp):
            rings = [densify(r, GRID_DENSIFY_PX) for r in rings]
        lengths = [len(r) for r in rings]
        mapped = map_points(np.concatenate(rings, axis=0), self.warp)
        mapped_rings = np.split(mapped, np.cumsum(lengths)[:-1])
        out, cursor = [], 0
        for i in index:
            out.append(mapped_rings[cursor : cursor + len(polys[i])])
            cursor += len(polys[i])
        return out, [0.0] * len(index)

    def _masks(self) -> list:
        masks = self.inst.masks
        index = [i for i, m in enumerate(masks) if m is not None]
        out = list(masks)
        if not index:
            return out  # no RLE is decoded without masks
        height_in, width_in = self.sample.height, self.sample.width
        for i in index:
            if [int(v) for v in masks[i]["size"]] != [height_in, width_in]:
                raise AnnotationError(
                    f"mask of size {list(masks[i]['size'])} on an image of size [{height_in}, {width_in}]",
                    where=f"instance {i}",
                )
        stack = rle.decode_many([masks[i] for i in index], height_in, width_in)
        warped = self.resampler.mask_stack(stack)
        encoded = rle.encode_many(warped)
        constant_scale = isinstance(self.warp, MatrixWarp) and self.warp.is_affine
        for k, i in enumerate(index):
            out[i] = encoded[k]
            if self.shaped[i] or self.on_raster[i]:
                continue  # the polygon already decided
            self.shaped[i] = True
            kept_pixels = rle.area(encoded[k])
            if kept_pixels == 0:
                self.outside[i] = True
                continue
            box = rle.bounds(encoded[k])
            if constant_scale:
                kept_input = kept_pixels * self.resampler.inverse_area_scale()
            else:
                x0, y0, x1, y1 = (int(v) for v in box)
                scale = np.asarray(self.resampler.inverse_area_scale((x0, y0, x1, y1)))
                kept_input = float(scale[warped[y0:y1, x0:x1, k]].sum())
            area_in = rle.area(masks[i])
            if area_in > 0:
                self.visibility[i] *= min(1.0, kept_input / area_in)
            self.tight[i] = box
        return out

    def _raster_path(self, polygons: list, masks: list) -> None:
        """Labels of the instances on a fold, from their warped rasters (``fold_raster``)."""
        raster = self.raster
        assert raster is not None  # only called for a warp with folds
        for k, i in enumerate(raster.rows):
            polygon, mask = raster.labels(k)
            self.shaped[i] = True
            if mask is None:
                self.outside[i] = True
                continue
            if self.inst.polygons[i]:
                polygons[i] = polygon
                if polygon is None:  # the writer stores the mask itself
                    masks[i] = mask
            x0, y0, x1, y1 = (int(v) for v in rle.bounds(mask))
            scale = np.asarray(self.resampler.inverse_area_scale((x0, y0, x1, y1)))
            shown = float(scale[raster.masks[y0:y1, x0:x1, k]].sum())
            if raster.input_areas[k] > 0:
                self.visibility[i] *= min(1.0, shown / raster.input_areas[k])
            self.tight[i] = rle.bounds(mask)

    def _boxes(self) -> np.ndarray:
        mapped = warp_boxes(self.inst.boxes, self.warp)
        placed = np.isfinite(mapped).all(axis=1)
        clipped = clip_boxes(np.where(placed[:, None], mapped, 0.0), self.width, self.height)
        clipped[~placed] = 0.0
        box_only = ~self.shaped
        if box_only.any():
            area_mapped = box_areas(mapped)
            area_clipped = box_areas(clipped)
            touches = (
                placed
                & (mapped[:, 2] >= 0)
                & (mapped[:, 0] <= self.width)
                & (mapped[:, 3] >= 0)
                & (mapped[:, 1] <= self.height)
            )
            # A degenerate (zero-area) box survives while it touches the canvas.
            gone = ~touches | ((area_mapped > 0) & (area_clipped <= 0))
            self.outside[box_only & gone] = True
            ratio = np.divide(area_clipped, area_mapped, out=np.ones_like(area_mapped), where=area_mapped > 0)
            live = box_only & ~gone
            self.visibility[live] *= np.minimum(ratio[live], 1.0)
        use_tight = self.shaped & np.isfinite(self.tight).all(axis=1)
        if self.policy.box != "tight":
            use_tight &= self.on_raster  # a folded box's corners mean nothing: its raster decides
        clipped[use_tight] = self.tight[use_tight]
        return clipped

    def _part_boxes(self) -> list:
        parts = self.inst.part_boxes
        index = [i for i, b in enumerate(parts) if b is not None and len(b)]
        out = list(parts)
        if not index:
            return out
        stacked = np.concatenate([np.asarray(parts[i], np.float64).reshape(-1, 4) for i in index])
        mapped = warp_boxes(stacked, self.warp)
        mapped[~np.isfinite(mapped).all(axis=1)] = 0.0  # unplaceable: collapse to a point
        clipped = clip_boxes(mapped, self.width, self.height)
        if self.folds is not None:
            clipped = self._boxes_on_folds(stacked, clipped)
        cursor = 0
        for i in index:
            count = len(parts[i])
            out[i] = clipped[cursor : cursor + count]
            cursor += count
        return out

    def _keypoints(self) -> np.ndarray | None:
        kps = self.inst.keypoints
        if kps is None:
            return None
        out = np.zeros_like(kps)
        labeled = kps[:, :, 2] > 0
        if labeled.any():
            mapped = map_points(kps[labeled][:, :2], self.warp)
            x, y = mapped[:, 0], mapped[:, 1]
            inside = (
                np.isfinite(mapped).all(axis=1) & (x >= 0) & (x <= self.width) & (y >= 0) & (y <= self.height)
            )
            rows, cols = np.nonzero(labeled)
            if self.folds is not None:
                mapped, inside = self._keypoints_on_folds(kps[labeled][:, :2], mapped, inside)
            out[rows[inside], cols[inside], :2] = mapped[inside]
            out[rows[inside], cols[inside], 2] = kps[rows[inside], cols[inside], 2]
        if self.warp.mirrors:
            _swap_left_right(out, self.inst.labels, self.sample.meta.get("flip_perm") or {})
        return out

    def _boxes_on_folds(self, boxes: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """``moved`` (the vector path's boxes) with boxes on a fold replaced by the box of
        their warped raster (``fold_raster.folded_box_bounds``)."""
        assert self.folds is not None
        folded = folded_box_bounds(boxes, self.folds, self.resampler, self.sample.height, self.sample.width)
        on_fold = np.isfinite(folded).all(axis=1)
        out = moved.copy()
        out[on_fold] = folded[on_fold]
        return out

    def _keypoints_on_folds(
        self, points: np.ndarray, mapped: np.ndarray, inside: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points a fold shows more than once land on the top-most upright copy (``folds.pick_copy``);
        so do points the vector path could not place on the canvas (its inverse may miss a copy)."""
        assert self.folds is not None and isinstance(self.warp, GridWarp)  # folds exist on grids only
        mapped, inside = mapped.copy(), inside.copy()
        for n in np.flatnonzero(self.folds.holds(points) | ~inside):
            roots, upright = point_copies(self.warp, self.folds, points[n])
            if len(roots) >= 2 or (len(roots) == 1 and not inside[n]):
                mapped[n], inside[n] = pick_copy(roots, upright), True
        return mapped, inside


def _clean_ring(ring: np.ndarray, simplify: bool) -> np.ndarray | None:
    """Drop unplaceable (NaN) vertices; simplify densified rings; None if < 3 vertices remain."""
    ring = ring[np.isfinite(ring).all(axis=1)]
    if simplify and len(ring) > 3:
        approx = cv2.approxPolyDP(ring.astype(np.float32).reshape(-1, 1, 2), GRID_SIMPLIFY_PX, True)
        if len(approx) >= 3:
            ring = approx.reshape(-1, 2).astype(np.float64)
    return ring if len(ring) >= 3 else None


def _swap_left_right(keypoints: np.ndarray, labels: np.ndarray, flip_perm: dict) -> None:
    """Permute keypoint columns in place per category (new[k] = old[perm[k]])."""
    for category in np.unique(labels):
        perm = flip_perm.get(int(category), flip_perm.get(str(int(category))))
        if perm is None:
            continue
        perm = np.asarray(perm, dtype=np.int64)
        if len(perm) > keypoints.shape[1]:
            continue
        rows = np.flatnonzero(labels == category)
        keypoints[rows[:, None], np.arange(len(perm))[None, :]] = keypoints[rows][:, perm]
