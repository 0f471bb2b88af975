"""COCO run-length encoding: thin wrappers over ``pycocotools.mask``.

Three spellings of one RLE travel through augcli:

- compressed (canonical in memory): ``{"size": [h, w], "counts": b"..."}``
- compressed string (COCO JSON): the same with ``counts`` as ``str``
- uncompressed (COCO ``iscrowd`` files): ``counts`` a list of run lengths,
  starting with a run of zeros, in column-major (Fortran) pixel order.

pycocotools decodes malformed counts into garbage instead of failing, so
every RLE read from disk goes through ``validate_rle`` first; it checks the
counts without decoding any pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from augcli.core.errors import AnnotationError

Rle = dict

_CHAR_OFFSET = 48  # counts characters are stored as value + 48
_MAX_GROUP_CHARS = 12  # 12 * 5 bits is far beyond any real image size


def encode(mask: np.ndarray) -> Rle:
    """Boolean (H, W) mask -> compressed RLE with ``bytes`` counts."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"encode expects an (H, W) mask, got shape {mask.shape}")
    return coco_mask.encode(np.asfortranarray(mask, dtype=np.uint8))


def encode_many(masks: np.ndarray) -> list[Rle]:
    """(H, W, N) stack of masks -> N compressed RLEs in one pycocotools call."""
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f"encode_many expects (H, W, N), got shape {masks.shape}")
    if masks.shape[2] == 0:
        return []
    if masks.dtype == bool:
        masks = masks.view(np.uint8)  # no copy; keeps a Fortran layout Fortran
    return coco_mask.encode(np.asfortranarray(masks, dtype=np.uint8))


def decode(rle: Rle) -> np.ndarray:
    """Compressed (bytes or str counts) RLE -> boolean (H, W) mask."""
    return coco_mask.decode(as_compressed(rle)).astype(bool)


def decode_many(rles: Sequence[Rle], height: int, width: int) -> np.ndarray:
    """N RLEs -> boolean (H, W, N) stack, Fortran-ordered as pycocotools decodes it."""
    if not rles:
        return np.zeros((height, width, 0), dtype=bool, order="F")
    return coco_mask.decode([as_compressed(r) for r in rles]).view(bool)  # values are 0/1


def area(rle: Rle) -> int:
    """Number of foreground pixels, without decoding."""
    return int(coco_mask.area(as_compressed(rle)))


def bounds(rle: Rle) -> np.ndarray:
    """Tight xyxy box of the foreground pixels (continuous coordinates), without decoding.

    An empty mask gives ``[0, 0, 0, 0]``.
    """
    x, y, w, h = coco_mask.toBbox(as_compressed(rle))
    return np.array([x, y, x + w, y + h], dtype=np.float64)


def is_compressed(rle: Rle) -> bool:
    return not isinstance(rle.get("counts"), (list, tuple, np.ndarray))


def as_compressed(rle: Rle) -> Rle:
    """Any spelling -> compressed RLE with ``bytes`` counts (input untouched)."""
    counts = rle["counts"]
    h, w = (int(v) for v in rle["size"])
    if isinstance(counts, bytes):
        return rle
    if isinstance(counts, str):
        return {"size": [h, w], "counts": counts.encode("ascii")}
    # Uncompressed: pycocotools reads the run lengths itself.
    return coco_mask.frPyObjects({"size": [h, w], "counts": [int(c) for c in counts]}, h, w)


def to_string(rle: Rle) -> Rle:
    """Compressed RLE with ``str`` counts, ready for JSON."""
    comp = as_compressed(rle)
    return {"size": list(comp["size"]), "counts": comp["counts"].decode("ascii")}


def to_uncompressed(rle: Rle) -> Rle:
    """RLE with a plain list of run lengths, as COCO ``iscrowd`` annotations store it."""
    if not is_compressed(rle):
        return {"size": [int(v) for v in rle["size"]], "counts": [int(c) for c in rle["counts"]]}
    comp = as_compressed(rle)
    h, w = comp["size"]
    counts = compressed_counts(comp["counts"])
    return {"size": [int(h), int(w)], "counts": [int(c) for c in counts]}


def compressed_counts(counts: bytes | str) -> np.ndarray:
    """Parse a compressed counts string into run lengths (int64), without decoding pixels.

    Format (COCO ``rleToString``): each run length is written as 5-bit groups,
    least significant first, one character per group (value + 48); bit 0x20
    means "another group follows" and bit 0x10 of the last group is the sign.
    From the fourth run on, the value stored is the difference to the run two
    places earlier. Raises ValueError when the string is malformed.
    """
    raw = counts.encode("ascii") if isinstance(counts, str) else bytes(counts)
    if not raw:
        return np.zeros(0, dtype=np.int64)
    chars = np.frombuffer(raw, dtype=np.uint8).astype(np.int64) - _CHAR_OFFSET
    if chars.min() < 0 or chars.max() > 63:
        raise ValueError("RLE counts contain characters outside the COCO alphabet")
    more = (chars & 0x20) != 0
    if more[-1]:
        raise ValueError("RLE counts end in the middle of a number")
    ends = np.flatnonzero(~more)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > _MAX_GROUP_CHARS:
        raise ValueError("RLE counts hold a number too large for any image")
    group = np.repeat(np.arange(len(ends)), lengths)
    position = np.arange(len(chars)) - starts[group]
    values = np.zeros(len(ends), dtype=np.int64)
    np.add.at(values, group, (chars & 0x1F) << (5 * position))
    negative = (chars[ends] & 0x10) != 0
    values[negative] -= np.left_shift(1, 5 * lengths[negative])
    # Undo the delta coding: runs >= 3 add the run two places before, so each
    # parity class past the first element is a running sum.
    out = values.copy()
    out[1::2] = np.cumsum(values[1::2])
    out[2::2] = np.cumsum(values[2::2])
    return out


def validate_rle(rle: Any, height: int, width: int) -> None:
    """Raise AnnotationError unless ``rle`` is a well-formed RLE of an (height, width) image.

    Checks the size, that every run length is a non-negative integer and that
    the runs sum to ``height * width``, all before pycocotools sees the data.
    """
    if not isinstance(rle, dict) or "counts" not in rle or "size" not in rle:
        raise AnnotationError("RLE must be an object with 'size' and 'counts'")
    size = rle["size"]
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(_is_int(v) for v in size):
        raise AnnotationError(f"RLE size must be [height, width], got {size!r}")
    if [int(size[0]), int(size[1])] != [int(height), int(width)]:
        raise AnnotationError(f"RLE size {list(size)} does not match the image size [{height}, {width}]")
    counts = rle["counts"]
    if isinstance(counts, (str, bytes)):
        try:
            runs = compressed_counts(counts)
        except (ValueError, UnicodeEncodeError) as err:
            raise AnnotationError(f"RLE counts are not a valid compressed string: {err}") from None
    elif isinstance(counts, (list, tuple)):
        if not all(_is_int(c) for c in counts):
            raise AnnotationError("uncompressed RLE counts must be integers")
        runs = np.asarray([int(c) for c in counts], dtype=np.int64)
    else:
        raise AnnotationError(f"RLE counts must be a string or a list, got {type(counts).__name__}")
    if runs.size and runs.min() < 0:
        raise AnnotationError("RLE counts contain a negative run length")
    total = int(runs.sum())
    if total != int(height) * int(width):
        raise AnnotationError(f"RLE counts cover {total} pixels, the image has {int(height) * int(width)}")


def normalize_rle(rle: Any, height: int, width: int) -> Rle:
    """Validate an RLE read from disk and return it compressed with ``bytes`` counts."""
    validate_rle(rle, height, width)
    return as_compressed(rle)


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, float) and value.is_integer()
