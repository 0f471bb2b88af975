"""The common COCO annotation checked a batch at a time, with the verdict of one at a time.

``plain_rows`` looks at a batch of parsed annotations at once (C-level maps
and numpy instead of a Python call per value) and picks the rows that are
plainly valid: a dict of only ``id``, ``image_id``, ``category_id``,
``segmentation``, ``bbox``, ``area`` and ``iscrowd``, with an integer id, the
id of a readable image, an integer category within 64 bits, ``iscrowd`` 0 or
1 (an int or a bool), a list of polygon rings that are lists of numbers (int
or float, not bool) within +-``MAX_COORDINATE``, each of even length and one
of 3+ points, and a bbox of 4 such numbers with no negative size. For those
``validate_annotation`` passes with ``polygon`` and ``IndexBuilder.add`` keeps
exactly the columns returned here; every other row (and every row of a file
that may hold NaN or Infinity) goes through ``IndexBuilder.add`` as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np

from augcli.formats.coco.parse import MAX_COORDINATE, MIN_RING_VALUES

PLAIN_KEYS = frozenset(("id", "image_id", "category_id", "segmentation", "bbox", "area", "iscrowd"))
_NEEDED = frozenset(("id", "image_id", "category_id", "segmentation", "bbox"))
_INT64 = (-(1 << 63), (1 << 63) - 1)
_NUMBERS = frozenset((int, float))
_PLACEHOLDER: dict[str, Any] = {
    "id": 0,
    "image_id": None,
    "category_id": 0,
    "segmentation": [[0, 0, 0, 0, 0, 0]],
    "bbox": [0, 0, 0, 0],
}


@dataclass
class PlainRows:
    plain: np.ndarray  # (n,) bool: the row is plainly valid (the columns below hold for it)
    ids: list  # the rows' ids (ints where plain)
    image: np.ndarray  # (n,) int: image index
    category: np.ndarray  # (n,) int64
    crowd: np.ndarray  # (n,) bool
    box: np.ndarray  # (n, 4) xyxy


def plain_rows(
    anns: Sequence, id_to_index: dict[int, int], readable: np.ndarray, polygons_cut: bool = False
) -> PlainRows:
    """The plainly valid rows of ``anns`` and their columns (see the module docstring). Each
    check first asks whether the whole batch passes it, in C (``set(map(type, ...))``), and
    only looks at row after row when not. ``polygons_cut``: every segmentation of ``anns`` was
    a plain polygon, checked and cut out of the bytes (``coco.polygon_text``)."""
    n = len(anns)
    uniform = (
        _all_are(anns, dict) and all(map(PLAIN_KEYS.issuperset, anns)) and all(map(_NEEDED.issubset, anns))
    )
    shaped = _mask(
        n, uniform, (type(a) is dict and PLAIN_KEYS.issuperset(a) and _NEEDED.issubset(a) for a in anns)
    )
    rows = list(anns) if uniform else [a if ok else _PLACEHOLDER for a, ok in zip(anns, shaped.tolist())]
    ids = list(map(dict.get, rows, repeat("id")))
    image_ids = list(map(dict.get, rows, repeat("image_id")))
    categories = list(map(dict.get, rows, repeat("category_id")))
    crowds = list(map(dict.get, rows, repeat("iscrowd"), repeat(0)))
    plain = shaped & _mask(n, _all_are(ids, int), (type(v) is int for v in ids))
    lookup: Any = id_to_index.get  # image ids are ints here (checked first)
    found = list(map(lookup, image_ids)) if _all_are(image_ids, int) else [None]
    if None in found:
        index = np.fromiter(
            (id_to_index.get(v, -1) if type(v) is int else -1 for v in image_ids), np.int64, n
        )
    else:
        index = np.array(found, dtype=np.int64)
    plain &= index >= 0
    plain[plain] &= readable[index[plain]]
    plain &= _crowds(crowds, n)
    category, fits = _categories(categories, n)
    plain &= fits
    if not polygons_cut:  # else a row holding a segmentation holds a plain polygon
        plain &= _polygons_valid(list(map(dict.get, rows, repeat("segmentation"))), n)
    box, box_ok = _boxes(list(map(dict.get, rows, repeat("bbox"))), n)
    plain &= box_ok
    crowd = np.array(crowds if _all_are(crowds, int) else [c is True or c == 1 for c in crowds], dtype=bool)
    return PlainRows(plain, ids, np.where(plain, index, 0), category, crowd, box)


def _all_are(values: list | Sequence, kind: type) -> bool:
    return set(map(type, values)) == {kind}


def _mask(n: int, uniform: bool, each) -> np.ndarray:
    return np.ones(n, dtype=bool) if uniform else np.fromiter(each, bool, n)


def _crowds(crowds: list, n: int) -> np.ndarray:
    """Per row: iscrowd is 0 or 1, an int or a bool (``validate_annotation``'s test)."""
    if _all_are(crowds, int) and set(crowds) <= {0, 1}:
        return np.ones(n, dtype=bool)
    return np.fromiter((type(c) in (int, bool) and c in (0, 1) for c in crowds), bool, n)


def _categories(categories: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the category id and whether it is an int within 64 bits."""
    if _all_are(categories, int):
        try:
            return np.array(categories, dtype=np.int64), np.ones(n, dtype=bool)
        except OverflowError:
            pass
    fits = np.fromiter(
        (_INT64[0] <= c <= _INT64[1] if type(c) is int else False for c in categories), bool, n
    )
    category = np.zeros(n, dtype=np.int64)
    category[fits] = np.array([c for c, ok in zip(categories, fits.tolist()) if ok], dtype=np.int64)
    return category, fits


def _in_range(values: list) -> np.ndarray | None:
    """Per value: a number (int or float, not bool) within +-MAX_COORDINATE (NaN is not); None
    when a value is of another type or an int too big for a float (the batch is judged row by
    row then, by ``IndexBuilder.add``)."""
    array = _floats(values)
    return None if array is None else np.abs(array) <= MAX_COORDINATE


def _floats(values: list) -> np.ndarray | None:
    """``values`` as float64 when all are numbers (int or float, not bool) a float holds."""
    if not _NUMBERS.issuperset(map(type, values)):
        return None
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        return None


def _polygons_valid(segmentations: list, n: int) -> np.ndarray:
    """Per row: a non-empty list of rings, each a list of in-range numbers of even length, one
    with 3+ points (``parse._validate_segmentation``'s ``polygon`` verdict)."""
    uniform = _all_are(segmentations, list) and all(segmentations)  # lists, none empty
    listed = _mask(n, uniform, (type(s) is list and len(s) > 0 for s in segmentations))
    if not uniform:
        segmentations = [s if ok else [] for s, ok in zip(segmentations, listed.tolist())]
    ring_counts = np.fromiter(map(len, segmentations), np.int64, n)
    rings = list(chain.from_iterable(segmentations))
    if set(map(type, rings)) - {list}:
        return np.zeros(n, dtype=bool)
    lengths = np.fromiter(map(len, rings), np.int64, len(rings))
    in_range = _in_range(list(chain.from_iterable(rings)))
    if in_range is None:
        return np.zeros(n, dtype=bool)
    out_of_range = np.concatenate([[0], np.cumsum(~in_range)])
    ends = np.cumsum(lengths)
    ring_ok = (lengths % 2 == 0) & (out_of_range[ends] == out_of_range[ends - lengths])
    owner = np.repeat(np.arange(n), ring_counts)
    bad_rings = np.bincount(owner[~ring_ok], minlength=n)
    usable = np.bincount(owner[ring_ok & (lengths >= MIN_RING_VALUES)], minlength=n)
    return listed & (bad_rings == 0) & (usable > 0)


def _boxes(boxes: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: xyxy and whether the bbox is a list of 4 in-range numbers with no negative size."""
    uniform = _all_are(boxes, list) and set(map(len, boxes)) == {4}
    four = _mask(n, uniform, (type(b) is list and len(b) == 4 for b in boxes))
    if uniform:
        flat = list(chain.from_iterable(boxes))
    else:
        flat = list(chain.from_iterable(b if ok else (0, 0, 0, 0) for b, ok in zip(boxes, four.tolist())))
    values = _floats(flat)
    if values is None:
        return np.zeros((n, 4)), np.zeros(n, dtype=bool)
    xywh = values.reshape(n, 4)
    in_range = (np.abs(xywh) <= MAX_COORDINATE).all(axis=1)
    ok = four & in_range & (xywh[:, 2] >= 0) & (xywh[:, 3] >= 0)
    return np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1), ok
