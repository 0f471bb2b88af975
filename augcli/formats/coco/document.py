"""The COCO document's dataset-level checks, and the file parsed whole.

``load_json`` is the reader's path for files the streaming walk (``coco.scan``)
does not handle; it owns every dataset-level error message (invalid JSON with
its line and column, not a COCO dataset, NaN/Infinity outside the image and
annotation lists, panoptic and captions files) and the cut of annotations
nested too deep (``coco.depth``). The checks on the small top-level values are
shared by both paths.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from augcli.core.errors import DatasetError
from augcli.core.sample import Categories, Category
from augcli.formats.coco.depth import cut_deep_annotations

_SCAN_CHUNK = 1 << 24
_OVERLAP = 16  # longer than any pattern below (and the digit before it)


# JSON that Python reads but that is not JSON: NaN, Infinity, and numbers too big for a
# float (a digit, e or E, an optional +, three digits). Each exponent pattern starts with a
# literal byte so re scans for it at memchr speed (one [0-9][eE] pattern took ~0.7x json.load).
_BIG_EXPONENTS = (re.compile(rb"e\+?[0-9]{3}"), re.compile(rb"E\+?[0-9]{3}"))


def may_hold_non_finite(raw: bytes) -> bool:
    # each search first asks for its first byte alone (memchr: ~10x faster where it is absent)
    if (b"N" in raw and b"NaN" in raw) or (b"I" in raw and b"Infinity" in raw):
        return True
    return any(
        raw[match.start() - 1 : match.start()].isdigit()
        for pattern, first in zip(_BIG_EXPONENTS, (b"e", b"E"))
        if first in raw
        for match in pattern.finditer(raw)
    )


def file_may_hold_non_finite(fd: int) -> bool:
    """``may_hold_non_finite`` of the whole file, read in chunks (overlapping: a pattern cut
    by a chunk's end is seen whole in the next)."""
    offset, tail = 0, b""
    while chunk := os.pread(fd, _SCAN_CHUNK, offset):
        if may_hold_non_finite(tail + chunk):
            return True
        offset += len(chunk)
        tail = chunk[-_OVERLAP:]
    return False


def load_json(path: Path) -> tuple[dict, bool, dict[int, int]]:
    """The parsed document, whether it may hold NaN or Infinity somewhere, and the
    annotations cut for nesting too deep (index: depth; see ``coco.depth``)."""
    cut: dict[int, int] = {}
    try:
        raw = path.read_bytes()
        try:
            data = json.loads(raw)
        except RecursionError:  # maybe one annotation's custom field: that annotation goes
            raw, cut = cut_deep_annotations(raw)
            if not cut:
                raise
            data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise DatasetError(
            f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}", file=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"cannot read annotation file: {err}", file=str(path)) from None
    except (ValueError, RecursionError) as err:  # 5000-digit integers, nesting too deep for Python
        raise DatasetError(f"not usable JSON: {err}", file=str(path)) from None
    non_finite = may_hold_non_finite(raw)
    check_document(data, data.get("annotations") if isinstance(data, dict) else None, non_finite, path)
    return data, non_finite, cut


def check_document(data: object, annotations: object, non_finite: bool, path: Path) -> None:
    """The dataset-level checks of a parsed document (``annotations``: its list, or only its
    first element when the list was not read whole)."""
    if isinstance(data, list):
        raise DatasetError(
            "this JSON is a list (it looks like detection results), not a COCO "
            "dataset with images and annotations",
            file=str(path),
        )
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise DatasetError("not a COCO dataset: no 'images' list", file=str(path))
    if annotations is not None and not isinstance(annotations, list):
        raise DatasetError("'annotations' is not a list", file=str(path))
    refuse_other_tasks(annotations or [], path)
    if non_finite:
        for key, value in data.items():
            if key not in ("images", "annotations") and has_non_finite(value):
                raise DatasetError(
                    f"'{key}' holds NaN or Infinity, which JSON does not allow", file=str(path)
                )


def has_non_finite(value: object) -> bool:
    """True if a NaN or an infinity hides anywhere in ``value`` (a parsed JSON value)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def refuse_other_tasks(annotations: list, path: Path) -> None:
    first = annotations[0] if annotations else None
    if not isinstance(first, dict):
        return
    if "segments_info" in first:
        raise DatasetError(
            "this is a COCO panoptic file; augcli reads instance/keypoint files", file=str(path)
        )
    if "caption" in first and not any(k in first for k in ("bbox", "segmentation", "keypoints")):
        raise DatasetError("this is a COCO captions file; it has no instances to augment", file=str(path))


def parse_categories(raw: object, path: Path) -> tuple[Categories, list[int]]:
    if raw is None:
        return Categories([]), []
    if not isinstance(raw, list):
        raise DatasetError("'categories' is not a list", file=str(path))
    items = []
    seen: set[int] = set()
    for position, cat in enumerate(raw):
        cat_id = cat.get("id") if isinstance(cat, dict) else None
        if not isinstance(cat_id, int) or isinstance(cat_id, bool):
            raise DatasetError(f"categories[{position}] has no integer id", file=str(path))
        if cat_id in seen:
            raise DatasetError(f"category id {cat_id} is used twice (categories[{position}])", file=str(path))
        seen.add(cat_id)
        names = cat.get("keypoints") or []
        skeleton = cat.get("skeleton") or []
        items.append(
            Category(
                id=cat_id,
                name=str(cat.get("name", cat_id)),
                keypoints=tuple(str(n) for n in names) if isinstance(names, list) else (),
                skeleton=tuple(
                    (int(p[0]), int(p[1]))
                    for p in skeleton
                    if isinstance(p, list) and len(p) == 2 and all(isinstance(v, int) for v in p)
                )
                if isinstance(skeleton, list)
                else (),
            )
        )
    return Categories(items), [c.id for c in items]
