"""What a conversion cannot keep, said once up front and counted per item.

``upfront_warnings`` reads the source's targets before any work starts
(keypoints into VOC, semantic maps into COCO...); writers count what they
actually dropped or approximated per item (``Losses``, carried in each
record's payload) and ``summarise`` turns the totals into warning lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

# (target kept by the source, destination format) -> what happens to it
_TARGET_LOSSES = {
    ("keypoints", "voc"): "keypoints are dropped: VOC has no keypoints",
    ("keypoints", "masks"): "keypoints are dropped: mask folders hold semantic maps only",
    ("semantic", "coco"): "semantic maps are dropped: COCO instances files have none",
    ("semantic", "yolo"): "semantic maps are dropped: YOLO labels have none",
    ("masks", "yolo"): "RLE masks become polygons (outer contours traced on the pixel grid; holes are lost)",
    ("boxes", "masks"): "instances are painted into a semantic map by category (instance identity "
    "and box-only instances are lost)",
}
_SOURCE_LOSSES: dict[tuple[str | None, str], str] = {
    ("voc", "coco"): "VOC difficult/truncated/occluded/pose/actions and part boxes are dropped",
    ("voc", "yolo"): "VOC difficult/truncated/occluded/pose/actions and part boxes are dropped",
}

# what a writer counts per item -> how the warning reads
MESSAGES = {
    "crowd_dropped": "crowd regions dropped (YOLO has no crowd regions)",
    "crowd_as_difficult": "crowd regions written as difficult objects (VOC has no crowd regions)",
    "keypoints_dropped": "instances lost their keypoints",
    "mask_to_polygon": "masks traced into polygons",
    "parts_joined": "multi-part polygons joined into one ring by zero-width bridges",
    "box_only_dropped": "box-only instances dropped (a semantic map needs shapes)",
    "unlabelled_semantic": "semantic maps dropped",
    "part_boxes_dropped": "VOC part boxes dropped",
    "keypoints_padded": "instances with fewer keypoints than kpt_shape were padded with unlabelled points",
    "overlap_pixels_lost": "pixels of instances painted over by smaller overlapping instances "
    "(painted largest first)",
    "overlap_mostly_hidden": "instances lost more than half of their pixels to overlapping instances",
    "objects_beyond_254": "objects beyond the 254th of an image share SegmentationObject value 254",
    "shape_dropped": "instances lost their polygon or mask (the YOLO task holds none)",
    "box_as_polygon": "box-only instances written as their box's four corners (segment labels are polygons)",
    "keypoints_missing": "instances without keypoints written with unlabelled keypoints (pose labels)",
}


def upfront_warnings(reader: Any, to: str, yolo_task: str | None = None) -> list[str]:
    source = getattr(reader, "format_name", None)
    if to == source:
        return []
    targets = set(reader.targets())
    if to == "yolo" and yolo_task not in (None, "segment"):
        targets.discard("masks")  # not traced: dropped, which the task's own warning says
    if "semantic" in targets and "boxes" not in targets and to in ("coco", "yolo"):
        targets.discard("semantic")  # a semantic-only source: regions become instances
        targets.add("masks")
        out = [
            f"converting {source} to {to}: each class region of a semantic map becomes one "
            "instance (touching objects of one class stay one region)"
        ]
    else:
        out = []
    out += [
        f"converting {source} to {to}: {text}"
        for (target, dest), text in _TARGET_LOSSES.items()
        if dest == to and target in targets
    ]
    loss = _SOURCE_LOSSES.get((source, to))
    if loss:
        out.append(f"converting {source} to {to}: {loss}")
    return out


class Losses(Counter):
    """Counts of MESSAGES keys for one item (picklable, summable)."""

    def as_dict(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.items() if v}


def summarise(counts: Iterable[dict[str, int]], to: str) -> list[str]:
    total: Counter = Counter()
    for item in counts:
        total.update(item or {})
    return [
        f"{count} {MESSAGES.get(key, key)} (writing {to})" for key, count in sorted(total.items()) if count
    ]
