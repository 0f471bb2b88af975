"""COCO run-length encodings: validate them cheaply, convert between encodings.

COCO stores a mask column-major as alternating runs of 0s and 1s, starting
with a (possibly empty) run of 0s. "Uncompressed" RLE keeps the runs as a
list of ints; "compressed" RLE packs them into a string (each run delta-coded
against the run two before it, written 5 bits per character, offset by 48,
0x20 = another character follows, 0x10 = sign of the last chunk). In memory
augcli always holds the compressed form with ``counts`` as bytes, the way
pycocotools returns it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pycocotools import mask as mask_utils


class RleError(ValueError):
    """The RLE is malformed; the message says how."""


def decode_counts_string(counts: str) -> list[int]:
    """The run lengths packed in a compressed COCO ``counts`` string."""
    runs: list[int] = []
    pos, length = 0, len(counts)
    while pos < length:
        value, shift, more = 0, 0, True
        while more:
            if pos >= length:
                raise RleError("counts string ends in the middle of a number")
            chunk = ord(counts[pos]) - 48
            if not 0 <= chunk < 64:
                raise RleError(f"invalid character {counts[pos]!r} in counts string")
            value |= (chunk & 0x1F) << shift
            more = bool(chunk & 0x20)
            pos += 1
            shift += 5
            if not more and chunk & 0x10:
                value |= -1 << shift  # sign-extend a negative delta
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def check_runs(runs: Sequence[int], height: int, width: int) -> None:
    """Raise ``RleError`` unless ``runs`` are non-negative ints covering h*w pixels."""
    if not {int}.issuperset(map(type, runs)):  # bool and float are not run lengths
        bad = next(r for r in runs if type(r) is not int)
        raise RleError(f"run length {bad!r} is not an integer")
    if runs and min(runs) < 0:
        raise RleError(f"negative run length {min(runs)}")
    total = sum(runs)
    if total != height * width:
        raise RleError(f"runs cover {total} pixels but the mask has {height}x{width} = {height * width}")


def compressed_from_runs(runs: Sequence[int], height: int, width: int) -> dict:
    """Uncompressed runs -> in-memory compressed RLE (``counts`` as bytes)."""
    rle = mask_utils.frPyObjects({"counts": list(runs), "size": [height, width]}, height, width)
    return {"size": [int(height), int(width)], "counts": rle["counts"]}


def compressed_from_string(counts: str, height: int, width: int) -> dict:
    return {"size": [int(height), int(width)], "counts": counts.encode("ascii")}


def counts_as_string(rle: dict) -> str:
    counts = rle["counts"]
    return counts.decode("ascii") if isinstance(counts, bytes) else str(counts)


def counts_as_runs(rle: dict) -> list[int]:
    """In-memory RLE -> the list of runs COCO writes for uncompressed masks."""
    return decode_counts_string(counts_as_string(rle))


def rle_area(rle: dict) -> int:
    return int(mask_utils.area({"size": list(rle["size"]), "counts": rle["counts"]}))


def rle_bbox(rle: dict) -> list[float]:
    """Tight xywh box of the mask's foreground (zeros for an empty mask)."""
    box = mask_utils.toBbox({"size": list(rle["size"]), "counts": rle["counts"]})
    return [float(v) for v in box]
