"""One COCO annotation dict -> validated geometry for one instance.

``validate_annotation`` runs once per annotation while the reader indexes the
dataset (cheap: no arrays), so every bad annotation is reported up front and
never reaches a transform. ``build_annotation`` turns an annotation that
passed into arrays.

Segmentation encodings (remembered so the writer answers in kind):
``polygon`` (list of rings), ``rle`` (compressed counts string),
``rle_uncompressed`` (list of run lengths), ``empty`` (``[]``: box only) and
``absent`` (no segmentation key).

What makes an annotation unusable (it is skipped and reported, never
guessed at): a missing or unknown category, NaN/Infinity or coordinates
beyond ``MAX_COORDINATE`` anywhere in its geometry, a bbox with a negative
size, a box-only annotation whose box is empty or lies wholly outside the
image, polygon rings of odd length or without one ring of 3+ points, RLE
whose size differs from the image or whose runs do not cover exactly
height x width pixels (checked before pycocotools sees it), and keypoints
that are not triples.

Keypoints as real files have them are valid: more or fewer triples than the
category names (133-point whole-body files name 17), and fractional,
confidence-style visibilities (``v > 0`` is labelled, ``v`` is written back
as read). ``keypoint_oddities`` says which of these an annotation shows, so
the reader can warn once per dataset.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from augcli.core.errors import AnnotationError
from augcli.core.limits import MAX_KEYPOINTS
from augcli.formats.coco import rle as rle_codec

POLYGON, RLE, RLE_UNCOMPRESSED, EMPTY, ABSENT = "polygon", "rle", "rle_uncompressed", "empty", "absent"
MIN_RING_VALUES = 6  # a ring needs three points to enclose anything
MAX_COORDINATE = 1e7  # pixels; far beyond any image, small enough for every float32 and int32 path


# The fields of a plain COCO annotation, in the order the COCO tools write them.
ANNOTATION_FIELDS = (
    "id",
    "image_id",
    "category_id",
    "segmentation",
    "area",
    "bbox",
    "iscrowd",
    "keypoints",
    "num_keypoints",
)


@dataclass
class ParsedAnnotation:
    label: int
    box: np.ndarray  # (4,) xyxy
    polygon: list[np.ndarray] | None  # rings (K, 2)
    mask: dict | None  # compressed RLE, counts as bytes
    keypoints: np.ndarray | None  # (k, 3)
    crowd: bool
    encoding: str


_NUMBER_TYPES = frozenset((int, float))  # what JSON numbers parse to (bool excluded on purpose)


def _is_number(value: Any) -> bool:
    return type(value) in _NUMBER_TYPES and math.isfinite(value)


def _all_numbers(values: list) -> bool:
    """True if every value is a JSON number within +-MAX_COORDINATE (fast: runs in C)."""
    if not _NUMBER_TYPES.issuperset(map(type, values)):
        return False
    if not values:
        return True
    try:
        # NaN makes max/min False below; infinities and huge ints fail the range
        return -MAX_COORDINATE <= min(values) and max(values) <= MAX_COORDINATE and math.isfinite(sum(values))
    except OverflowError:
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_annotation(
    ann: Any,
    image_size: tuple[int, int] | None,
    category_ids: Collection[int],
) -> str:
    """Raise ``AnnotationError`` if ``ann`` cannot be used; return its segmentation encoding.

    ``image_size`` is (width, height) from the image entry, or None when the
    entry has none; ``category_ids`` empty means "accept any category".
    """
    if not isinstance(ann, dict):
        raise AnnotationError(f"annotation is a {type(ann).__name__}, not an object")
    label = ann.get("category_id")
    if not _is_int(label):
        raise AnnotationError(f"category_id {label!r} is not an integer")
    if category_ids and label not in category_ids:
        raise AnnotationError(f"category_id {label} is not in the categories list")
    crowd = ann.get("iscrowd", 0)
    if crowd not in (0, 1) or (not _is_int(crowd) and not isinstance(crowd, bool)):
        raise AnnotationError(f"iscrowd must be 0 or 1, not {crowd!r}")
    encoding = _validate_segmentation(ann, image_size)
    has_keypoints = _validate_keypoints(ann.get("keypoints"))
    bbox = ann.get("bbox")
    if bbox is None:
        if encoding in (EMPTY, ABSENT) and not has_keypoints:
            raise AnnotationError("annotation has no bbox, segmentation or keypoints")
        return encoding
    if not (isinstance(bbox, list) and len(bbox) == 4 and _all_numbers(bbox)):
        raise AnnotationError(f"bbox must be 4 finite numbers [x, y, w, h], not {bbox!r}")
    if bbox[2] < 0 or bbox[3] < 0:
        raise AnnotationError(f"bbox has a negative width or height: {bbox}")
    if encoding in (EMPTY, ABSENT) and not has_keypoints:
        _check_box_only(bbox, image_size)
    return encoding


def _check_box_only(bbox: list, image_size: tuple[int, int] | None) -> None:
    """A box is all a box-only annotation has: it must enclose something on the image."""
    x, y, w, h = bbox
    if w == 0 or h == 0:
        raise AnnotationError(f"bbox has zero width or height: {bbox}")
    if image_size is not None:
        width, height = image_size
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise AnnotationError(f"bbox {bbox} lies entirely outside the {width}x{height} image")


def _validate_segmentation(ann: dict, image_size: tuple[int, int] | None) -> str:
    if "segmentation" not in ann or ann["segmentation"] is None:
        return ABSENT
    seg = ann["segmentation"]
    if isinstance(seg, list):
        if not seg:
            return EMPTY
        if any(_is_number(v) for v in seg):
            raise AnnotationError("segmentation is a flat list of numbers; COCO polygons are lists of rings")
        usable = 0
        for ring in seg:
            if not isinstance(ring, list) or not _all_numbers(ring):
                raise AnnotationError("polygon ring is not a list of finite numbers")
            if len(ring) % 2:
                raise AnnotationError(f"polygon ring has an odd number of coordinates ({len(ring)})")
            usable += len(ring) >= MIN_RING_VALUES
        if not usable:
            raise AnnotationError("polygon has no ring with 3 or more points")
        return POLYGON
    if isinstance(seg, dict):
        return _validate_rle(seg, image_size)
    raise AnnotationError(f"segmentation is a {type(seg).__name__}; expected polygons or RLE")


def _validate_rle(seg: dict, image_size: tuple[int, int] | None) -> str:
    size, counts = seg.get("size"), seg.get("counts")
    if not (isinstance(size, list) and len(size) == 2 and all(_is_int(v) and v >= 0 for v in size)):
        raise AnnotationError(f"RLE size must be [height, width], not {size!r}")
    height, width = size
    if image_size is not None and (width, height) != tuple(image_size):
        raise AnnotationError(
            f"RLE size {height}x{width} (h x w) differs from the image's {image_size[1]}x{image_size[0]}"
        )
    try:
        if isinstance(counts, str):
            rle_codec.check_runs(rle_codec.decode_counts_string(counts), height, width)
            return RLE
        if isinstance(counts, list):
            rle_codec.check_runs(counts, height, width)
            return RLE_UNCOMPRESSED
    except rle_codec.RleError as err:
        raise AnnotationError(f"invalid RLE: {err}") from None
    raise AnnotationError(f"RLE counts must be a string or a list, not {type(counts).__name__}")


def _validate_keypoints(keypoints: Any) -> bool:
    if keypoints is None:
        return False
    if not isinstance(keypoints, list) or not _all_numbers(keypoints):
        raise AnnotationError("keypoints must be a flat list of finite numbers")
    if len(keypoints) % 3:
        raise AnnotationError(f"keypoints length {len(keypoints)} is not a multiple of 3")
    if len(keypoints) > 3 * MAX_KEYPOINTS:  # every instance row is as wide as the widest one
        raise AnnotationError(f"{len(keypoints) // 3} keypoints is more than augcli holds ({MAX_KEYPOINTS})")
    return bool(keypoints)


COUNT_DIFFERS, FRACTIONAL_V = "count", "fractional"


def keypoint_oddities(ann: dict, declared: int | None) -> set[str]:
    """What a valid annotation's keypoints do that plain COCO does not (see the module doc)."""
    keypoints = ann.get("keypoints")
    if not isinstance(keypoints, list) or not keypoints:
        return set()
    out = set()
    if declared and len(keypoints) != 3 * declared:
        out.add(COUNT_DIFFERS)
    if any(v not in (0, 1, 2) for v in keypoints[2::3]):
        out.add(FRACTIONAL_V)
    return out


def keypoint_notes(oddities: set[str]) -> list[str]:
    notes = []
    if COUNT_DIFFERS in oddities:
        notes.append(
            "some annotations have more or fewer keypoints than their category names; "
            "every point is kept (unnamed ones are not swapped by mirroring warps)"
        )
    if FRACTIONAL_V in oddities:
        notes.append(
            "some keypoint visibilities are not 0, 1 or 2 (confidence-style); "
            "v > 0 counts as labelled and v is written back as read"
        )
    return notes


def keypoint_count(ann: dict) -> int:
    keypoints = ann.get("keypoints")
    return len(keypoints) // 3 if isinstance(keypoints, list) else 0


def build_annotation(ann: dict, encoding: str) -> ParsedAnnotation:
    """Arrays for an annotation that passed ``validate_annotation``."""
    seg: Any = ann.get("segmentation")  # its shape was checked by validate_annotation
    polygon = mask = None
    if encoding == POLYGON:
        polygon = [
            np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in seg if len(ring) >= MIN_RING_VALUES
        ]
    elif encoding == RLE:
        mask = rle_codec.compressed_from_string(seg["counts"], *seg["size"])
    elif encoding == RLE_UNCOMPRESSED:
        mask = rle_codec.compressed_from_runs(seg["counts"], *seg["size"])
    keypoints = None
    if ann.get("keypoints"):
        keypoints = np.asarray(ann["keypoints"], dtype=np.float64).reshape(-1, 3)
    return ParsedAnnotation(
        label=int(ann["category_id"]),
        box=_box(ann.get("bbox"), polygon, mask, keypoints),
        polygon=polygon,
        mask=mask,
        keypoints=keypoints,
        crowd=bool(ann.get("iscrowd", 0)),
        encoding=encoding,
    )


def _box(bbox, polygon, mask, keypoints) -> np.ndarray:
    """xyxy from the bbox field, else tight around the geometry that exists."""
    if bbox is not None:
        x, y, w, h = (float(v) for v in bbox)
        return np.array([x, y, x + w, y + h])
    if polygon is not None:
        points = np.concatenate(polygon)
    elif mask is not None:
        x, y, w, h = rle_codec.rle_bbox(mask)
        return np.array([x, y, x + w, y + h])
    else:
        points = keypoints[keypoints[:, 2] > 0, :2]
        if not len(points):
            return np.zeros(4)
    return np.concatenate([points.min(axis=0), points.max(axis=0)])
