"""Dropping instances, with the reason counted in ``meta['dropped']``."""

from __future__ import annotations

import numpy as np

from augcli.core.policy import LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.boxes import box_areas, clip_boxes
from augcli.geometry.polygons import polygon_area, polygon_bounds, polygon_to_mask_in_box
from augcli.geometry.shared_labels import once

_TOLERANCE = 1e-9  # area ratios of untouched shapes may come out as 0.9999999999


def drop_instances(sample: Sample, keep: np.ndarray, reason: str) -> Sample:
    """Keep ``instances[keep]``; count the others under ``reason`` in a copied ``meta['dropped']``,
    and per category id in ``meta['dropped_by_class'][reason]``."""
    keep = np.asarray(keep, dtype=bool)
    dropped = int(len(keep) - np.count_nonzero(keep))
    if dropped == 0:
        return sample
    meta = _count_labels(sample.meta, reason, sample.instances.labels[~keep].tolist())
    return sample.replace(instances=sample.instances[keep], meta=meta)


def _count_labels(meta: dict, reason: str, labels: list) -> dict:
    """``count_dropped`` for these dropped instances' labels, tallied by category id too."""
    meta = count_dropped(meta, reason, len(labels))
    by_class = {k: dict(v) for k, v in (meta.get("dropped_by_class") or {}).items()}
    tally = by_class.setdefault(reason, {})
    for label in labels:
        tally[label] = tally.get(label, 0) + 1
    meta["dropped_by_class"] = by_class  # reason -> category id -> instances
    return meta


def count_dropped(meta: dict, reason: str, count: int) -> dict:
    """A copy of ``meta`` whose ``dropped`` dict (also copied) counts ``count`` more for ``reason``."""
    out = dict(meta)
    tally = dict(out.get("dropped") or {})
    tally[reason] = int(tally.get(reason, 0)) + int(count)
    out["dropped"] = tally
    return out


def instance_areas(instances: Instances, height: int, width: int) -> np.ndarray:
    """Visible area (px^2) per instance: its polygon's, else its mask's, else its box's inside the canvas."""
    areas = box_areas(clip_boxes(instances.boxes, width, height))
    for i, (poly, mask) in enumerate(zip(instances.polygons, instances.masks)):
        if poly:
            areas[i] = polygon_area(poly)
        elif mask is not None:
            areas[i] = rle.area(mask)
    return areas


def filter_instances(sample: Sample, policy: LabelPolicy) -> Sample:
    """Drop instances below ``policy.min_visibility`` (reason 'min_visibility'), then
    those whose visible area is below ``policy.min_area`` (reason 'min_area'), and,
    whatever ``min_area`` says, polygons and masks that cover no pixel any more
    (reason 'empty': a sliver left along a crop's edge has no mask to write).

    The copies of a task that kept the source's instances filter them once
    (``shared_labels``); each still counts its drops in its own ``meta``."""
    inst = sample.instances
    if len(inst) == 0:
        return sample
    height, width = sample.height, sample.width
    settings = ("filter", height, width, policy.min_visibility, policy.min_area)
    kept, drops = once(inst, settings, lambda: _filtered(inst, height, width, policy), shares=lambda v: v[0])
    if not drops:
        return sample
    meta = sample.meta
    for reason, labels in drops:
        meta = _count_labels(meta, reason, labels)
    return sample.replace(instances=kept, meta=meta)


def _filtered(inst: Instances, height: int, width: int, policy: LabelPolicy) -> tuple[Instances, list]:
    """The instances ``filter_instances`` keeps, and per reason (in order) the dropped labels."""
    drops: list[tuple[str, list]] = []

    def drop(inst: Instances, keep: np.ndarray, reason: str) -> Instances:
        if keep.all():
            return inst
        drops.append((reason, inst.labels[~keep].tolist()))
        return inst[keep]

    if policy.min_visibility > 0:
        inst = drop(inst, inst.visibility >= policy.min_visibility - _TOLERANCE, "min_visibility")
    if not len(inst):
        return inst, drops
    areas = instance_areas(inst, height, width)
    if policy.min_area > 0:
        keep = areas >= policy.min_area - _TOLERANCE
        inst, areas = drop(inst, keep, "min_area"), areas[keep]
    empty = np.asarray([_covers_no_pixel(inst, i, area) for i, area in enumerate(areas)], dtype=bool)
    return drop(inst, ~empty, "empty"), drops


_SLIVER_PX = 1.0  # a shape thinner than a pixel (or smaller than one) may cover no pixel centre


def _covers_no_pixel(instances: Instances, i: int, area: float) -> bool:
    polygon, mask = instances.polygons[i], instances.masks[i]
    if mask is not None and not polygon:
        return area <= 0
    if not polygon:
        return False
    bounds = polygon_bounds(polygon)
    if bounds is None:  # rings without vertices
        return True
    x0, y0, x1, y1 = bounds
    if area >= _SLIVER_PX and min(x1 - x0, y1 - y0) >= _SLIVER_PX:
        return False
    left, top = int(np.floor(x0)), int(np.floor(y0))
    window = polygon_to_mask_in_box(polygon, left, top, int(np.ceil(x1)) - left, int(np.ceil(y1)) - top)
    return not window.any()
