"""COCO-WholeBody's extra geometry, and annotation fields augcli cannot move.

COCO-WholeBody (Jin et al., ECCV 2020) adds to each person annotation three
boxes (``face_box``, ``lefthand_box``, ``righthand_box``, COCO xywh) and
four keypoint sets (``foot_kpts`` 6, ``face_kpts`` 68, ``lefthand_kpts`` and
``righthand_kpts`` 21 each, x y v triples), with ``*_valid`` flags. They are
read into ``Instances.box_sets`` / ``point_sets`` so every warp moves them;
a mirroring warp swaps the hand fields and reorders the foot and face points
(``MIRROR``). A box that left the image is written ``[0, 0, 0, 0]`` with its
``*_valid`` flag false. An all-zero box or set is "not annotated": it is not
moved and is written back as read.

Merged 133-point files (body 17 + foot 6 + face 68 + left hand 21 + right
hand 21 in ``keypoints``, with the 17 COCO body names) get the same left/right
reordering through ``merged_flip_tail``.

Any other field whose value is a list of numbers (or of lists of numbers)
holds coordinates augcli does not know how to move: ``unmovable_fields``
names them, and augmented copies drop them unless the recipe says
``labels: {unknown_fields: keep}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augcli.core.sample import Categories, flip_permutation
from augcli.formats.coco.parse import ANNOTATION_FIELDS

BOX_FIELDS = ("face_box", "lefthand_box", "righthand_box")
POINT_FIELDS = {"foot_kpts": 6, "face_kpts": 68, "lefthand_kpts": 21, "righthand_kpts": 21}
VALID_FLAGS = {
    "face_box": "face_valid",
    "lefthand_box": "lefthand_valid",
    "righthand_box": "righthand_valid",
    "foot_kpts": "foot_valid",
}
_FOOT_PERM = [3, 4, 5, 0, 1, 2]  # left big toe, small toe, heel <-> right
_FACE_PAIRS = (
    [(i, 16 - i) for i in range(8)]  # jaw line
    + [(17 + i, 26 - i) for i in range(5)]  # eyebrows
    + [(31, 35), (32, 34)]  # nose
    + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]  # mouth
)


def _face_perm() -> list[int]:
    perm = list(range(68))
    for a, b in _FACE_PAIRS:
        perm[a], perm[b] = b, a
    return perm


MIRROR = {
    "swap": [("lefthand_box", "righthand_box"), ("lefthand_kpts", "righthand_kpts")],
    "perm": {"foot_kpts": _FOOT_PERM, "face_kpts": _face_perm()},
}
MERGED_POINTS = 17 + 6 + 68 + 21 + 21

_KNOWN = frozenset(
    (
        *ANNOTATION_FIELDS,
        *BOX_FIELDS,
        *POINT_FIELDS,
        *VALID_FLAGS.values(),
    )
)


def flip_permutations(categories: Categories, num_keypoints: int, labels: set[int]) -> dict[int, np.ndarray]:
    """Per category: the keypoint order a mirroring warp gives (by the keypoint names; a merged
    133-point file's tail by ``merged_flip_tail``); labels without a category keep their order."""
    if not num_keypoints:
        return {}
    perms = {}
    for category in categories.items:
        perm = np.arange(num_keypoints)
        names = category.keypoints[:num_keypoints]
        perm[: len(names)] = flip_permutation(names)
        if len(names) == 17 and num_keypoints == MERGED_POINTS:
            perm[17:] = merged_flip_tail()  # a merged whole-body file
        perms[category.id] = perm
    for label in labels - set(perms):  # only when categories are not listed
        perms[label] = np.arange(num_keypoints)
    return perms


def merged_flip_tail() -> np.ndarray:
    """Mirror permutation of points 17..132 of a merged 133-point annotation (absolute indices)."""
    foot = [17 + p for p in _FOOT_PERM]
    face = [23 + p for p in _face_perm()]
    left, right = list(range(91, 112)), list(range(112, 133))
    return np.array(foot + face + right + left, dtype=np.int64)


def _numbers(value, length: int | None = None) -> bool:
    return (
        isinstance(value, list)
        and (length is None or len(value) == length)
        and all(type(v) in (int, float) and np.isfinite(v) for v in value)
    )


def read_sets(ann: dict) -> tuple[dict, dict]:
    """``(boxes, points)``: name -> (4,) xyxy / (K, 3) array, or None (absent or not annotated)."""
    boxes: dict[str, np.ndarray | None] = {}
    points: dict[str, np.ndarray | None] = {}
    value: Any
    for name in BOX_FIELDS:
        value = ann.get(name)
        usable = _numbers(value, 4) and any(value) and ann.get(VALID_FLAGS[name], True) is not False
        if usable:
            x, y, w, h = (float(v) for v in value)
            boxes[name] = np.array([x, y, x + w, y + h])
        else:
            boxes[name] = None
    for name, count in POINT_FIELDS.items():
        value = ann.get(name)
        usable = _numbers(value, 3 * count) and any(value[2::3])
        points[name] = np.asarray(value, dtype=np.float64).reshape(count, 3) if usable else None
    return boxes, points


_SET_FIELDS = frozenset((*BOX_FIELDS, *POINT_FIELDS))
_PLAIN = _KNOWN - _SET_FIELDS  # fields never coordinate-shaped beyond what the reader moves


def has_sets(ann: dict) -> bool:
    return not _SET_FIELDS.isdisjoint(ann)


def unmovable_fields(ann: dict, sets: bool) -> list[str]:
    """Fields of ``ann`` holding coordinate-shaped numbers that no warp moves.

    With ``sets`` (the dataset is read as COCO-WholeBody) the WholeBody fields
    are moved unless malformed; without it they count as unknown."""
    if _PLAIN.issuperset(ann):  # the common case, checked in C: one test per annotation
        return []
    out = []
    for name, value in ann.items():
        if name in _KNOWN and (name not in BOX_FIELDS and name not in POINT_FIELDS):
            continue
        if name in BOX_FIELDS and sets and (_numbers(value, 4) or value is None):
            continue
        if name in POINT_FIELDS and sets and (_numbers(value, 3 * POINT_FIELDS[name]) or value is None):
            continue
        if _coordinate_shaped(value):
            out.append(name)
    return out


def _coordinate_shaped(value) -> bool:
    if not isinstance(value, list) or not value:
        return False
    if all(isinstance(v, list) for v in value):
        return all(_numbers(v) and len(v) >= 2 for v in value)
    return len(value) >= 2 and _numbers(value)


def write_sets(out: dict, boxes: dict, points: dict, number_list, skip: list[str]) -> None:
    """Put moved sets into the annotation dict ``out``; valid flags follow what is left.

    A set that is None (not annotated, or a hand swapped with a missing one)
    is written as zeros with its flag false; ``skip`` names fields left alone."""
    for name, box in boxes.items():
        if name in skip or (box is None and name not in out):
            continue
        x0, y0, x1, y1 = (0.0, 0.0, 0.0, 0.0) if box is None else (float(v) for v in box)
        alive = x1 > x0 and y1 > y0
        out[name] = number_list([x0, y0, x1 - x0, y1 - y0]) if alive else [0, 0, 0, 0]
        if VALID_FLAGS[name] in out:
            out[VALID_FLAGS[name]] = alive
    for name, array in points.items():
        if name in skip or (array is None and name not in out):
            continue
        if array is None:
            array = np.zeros((POINT_FIELDS[name], 3))
        flat = []
        for x, y, v in np.asarray(array, dtype=np.float64).tolist():
            flat += [*number_list([x, y]), int(v) if float(v).is_integer() else v]
        out[name] = flat
        flag = VALID_FLAGS.get(name)
        if flag in out:
            out[flag] = bool(np.any(np.asarray(array)[:, 2] > 0))
