"""One instance of a (transformed) sample -> a COCO annotation dict.

The dict starts from the annotation the instance was read from, so unknown
fields survive in their original order; the geometry fields are recomputed:
``bbox`` from the instance box, ``area`` from the polygon (shoelace, summed
over parts, as official COCO computes it) or the mask (pixel count) or the
box, ``segmentation`` in the encoding it was read in, ``keypoints`` with
visibility as read and ``num_keypoints`` recounted. A polygon that a dropout
hole turned into a mask is written as RLE: compressed (a counts string) for
an ordinary instance, uncompressed runs for a crowd region, as COCO does.
``id`` and ``image_id`` are left as None for the writer to assign.
COCO-WholeBody boxes and keypoint sets are written as moved; other fields
holding coordinates no warp moves are dropped unless ``keep_unknown``
(see ``formats.coco.wholebody``).
"""

from __future__ import annotations

import numpy as np

from augcli.core.errors import AnnotationError
from augcli.core.sample import Instances
from augcli.formats.coco import rle as rle_codec
from augcli.formats.coco import wholebody
from augcli.formats.coco.parse import ABSENT, ANNOTATION_FIELDS, POLYGON, RLE_UNCOMPRESSED
from augcli.geometry.polygons import polygon_area

DECIMALS = 2  # COCO's own precision for coordinates and areas

RAW_COLUMN = "coco_ann"  # extra column: the annotation dict as read
ID_COLUMN = "coco_ann_id"  # extra column: its id (None when it had none)
ENCODING_COLUMN = "coco_seg"  # extra column: segmentation encoding as read
UNMOVABLE_COLUMN = "coco_unmovable"  # extra column: coordinate fields no warp moves
_DEFAULT_ORDER = ANNOTATION_FIELDS


def number(value: float, decimals: int = DECIMALS) -> int | float:
    """Round for JSON; integral values are written as ints."""
    rounded = round(float(value), decimals)
    return int(rounded) if rounded.is_integer() else rounded


def annotation_dicts(instances: Instances, width: int, height: int, keep_unknown: bool = False) -> list[dict]:
    """``annotation_dict`` for every instance of a sample, its polygon vertices rounded in one pass."""
    rings = _rounded_rings(instances)
    return [
        annotation_dict(instances, i, width, height, keep_unknown, rings.get(i))
        for i in range(len(instances))
    ]


def _rounded_rings(instances: Instances) -> dict[int, list]:
    """Instance index -> its segmentation's rings as ``numbers`` writes them (one np.round
    over every vertex of the sample: the same values, elementwise)."""
    index = [i for i, polygon in enumerate(instances.polygons) if polygon]
    if not index:
        return {}
    rings = [np.asarray(ring, dtype=np.float64).reshape(-1) for i in index for ring in instances.polygons[i]]
    flat = numbers(np.concatenate(rings))
    out, start, cursor = {}, 0, 0
    for i in index:
        parts = []
        for _ in instances.polygons[i]:
            size = len(rings[cursor])
            parts.append(flat[start : start + size])
            start, cursor = start + size, cursor + 1
        out[i] = parts
    return out


def annotation_dict(
    instances: Instances,
    i: int,
    width: int,
    height: int,
    keep_unknown: bool = False,
    rounded_rings: list | None = None,
) -> dict:
    """Instance ``i`` as a COCO annotation; ``rounded_rings``: its polygon already rounded
    (``annotation_dicts`` rounds a whole sample at once)."""
    raw = _column(instances, RAW_COLUMN, i) or {}
    encoding = _column(instances, ENCODING_COLUMN, i) or ABSENT
    polygon, mask = instances.polygons[i], instances.masks[i]
    if mask is not None and [int(v) for v in mask["size"]] != [height, width]:
        raise AnnotationError(
            f"mask size {list(mask['size'])} does not match the {height}x{width} image",
            annotation=_column(instances, ID_COLUMN, i),
        )
    x1, y1, x2, y2 = (float(v) for v in instances.boxes[i])
    computed: dict = {
        "id": None,
        "image_id": None,
        "category_id": int(instances.labels[i]),
        "bbox": _xywh(x1, y1, x2, y2),
        "area": number(_area(polygon, mask, x2 - x1, y2 - y1)),
        "iscrowd": _crowd_value(raw.get("iscrowd"), bool(instances.crowd[i])),
    }
    if polygon is not None and rounded_rings is not None:
        segmentation: list | dict | None = rounded_rings
    else:
        segmentation = _segmentation(
            polygon, mask, encoding, raw.get("segmentation"), bool(instances.crowd[i])
        )
    if segmentation is not None:
        computed["segmentation"] = segmentation
    computed.update(_keypoint_fields(instances, i, raw))

    out = {key: computed.pop(key) if key in computed else value for key, value in raw.items()}
    for key in _DEFAULT_ORDER:
        if key in computed:
            out[key] = computed.pop(key)
    unmovable = _column(instances, UNMOVABLE_COLUMN, i) or []
    boxes = {name: column[i] for name, column in instances.box_sets.items()}
    points = {name: column[i] for name, column in instances.point_sets.items()}
    wholebody.write_sets(out, boxes, points, numbers, unmovable)
    if not keep_unknown:
        for name in unmovable:
            out.pop(name, None)
    return out


def _xywh(x1: float, y1: float, x2: float, y2: float) -> list:
    # round the corners, then measure: rounding is monotonic, so the written box
    # still contains the written polygon points and keypoints
    left, top, right, bottom = (round(v, DECIMALS) for v in (x1, y1, x2, y2))
    return [number(left), number(top), number(right - left), number(bottom - top)]


def _column(instances: Instances, name: str, i: int):
    column = instances.extra.get(name)
    return None if column is None else column[i]


def _crowd_value(raw_value, crowd: bool):
    return crowd if isinstance(raw_value, bool) else int(crowd)


def numbers(values: np.ndarray, decimals: int = DECIMALS) -> list:
    """``number`` for a whole array at once (coordinates are the bulk of a COCO file)."""
    rounded = np.round(np.asarray(values, dtype=np.float64).reshape(-1), decimals).tolist()
    return [int(v) if v.is_integer() else v for v in rounded]


def _area(polygon, mask, box_w: float, box_h: float) -> float:
    if polygon is not None:
        return polygon_area([np.asarray(ring, dtype=np.float64) for ring in polygon])
    if mask is not None:
        return float(rle_codec.rle_area(mask))
    return max(box_w, 0.0) * max(box_h, 0.0)


def _segmentation(polygon, mask, encoding: str, raw_seg, crowd: bool = False):
    if polygon is not None:
        return [numbers(ring) for ring in polygon]
    if mask is not None:
        size = [int(v) for v in mask["size"]]
        # read as RLE: keep its encoding; read as a polygon (cut by a hole): COCO's choice by crowd flag
        uncompressed = encoding == RLE_UNCOMPRESSED or (encoding == POLYGON and crowd)
        counts: list[int] | str
        if uncompressed:
            counts = rle_codec.counts_as_runs(mask)
        else:
            counts = rle_codec.counts_as_string(mask)
        order = list(raw_seg) if isinstance(raw_seg, dict) else ["size", "counts"]
        values = {"size": size, "counts": counts}
        seg = {key: values.pop(key) if key in values else raw_seg[key] for key in order}
        seg.update(values)
        return seg
    return None if encoding == ABSENT else []


def _keypoint_fields(instances: Instances, i: int, raw: dict) -> dict:
    count = 0 if instances.kp_count is None else int(instances.kp_count[i])
    if instances.keypoints is None or count == 0:
        return {}
    points = instances.keypoints[i, :count]
    flat = numbers(points[:, :2])
    # v as read (0/1/2, or a confidence such as 0.5): integral values as ints
    visibility = [int(v) if v.is_integer() else v for v in points[:, 2].tolist()]
    flat = [value for j, v in enumerate(visibility) for value in (flat[2 * j], flat[2 * j + 1], v)]
    return {"keypoints": flat, "num_keypoints": int(np.count_nonzero(points[:, 2] > 0))}


def image_dict(raw: dict, file_name: str, width: int, height: int) -> dict:
    """The input image entry with a new name and size; every other field kept, id left None."""
    out = dict(raw)
    out["id"] = None
    out["file_name"] = file_name
    out["width"] = int(width)
    out["height"] = int(height)
    return out
