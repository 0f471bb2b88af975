"""Annotations nested too deep for Python's JSON parser cost themselves, not the file.

``json.loads`` gives up (``RecursionError``) on a document nested about a
thousand levels deep anywhere, so one annotation with a pathological custom
field used to make the whole file unreadable. When that happens the reader
asks ``cut_deep_annotations`` for the file's bytes with what nests deeper
than ``MAX_ANNOTATION_DEPTH`` inside an annotation replaced by ``null``,
parses those, and reports each annotation so cut as invalid (its id and
image still known). A scan of the bytes is slow (Python), so only such files pay it.
"""

from __future__ import annotations

import re

MAX_ANNOTATION_DEPTH = 100  # levels of lists and objects in one annotation (COCO's own fields need 3)
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.S)
_OPEN = frozenset(b"[{")


def cut_deep_annotations(raw: bytes) -> tuple[bytes, dict[int, int]]:
    """``raw`` with every list or object nested deeper than ``MAX_ANNOTATION_DEPTH`` inside an
    element of the top-level ``annotations`` list replaced by ``null``; and {annotation index:
    its depth} of the annotations cut (their ids and other fields stay readable)."""
    depth = 0
    key: bytes | None = None  # the last string at the top level: a key when a value follows
    inside = False  # in the top-level "annotations" list
    index = 0
    cut_from = cut_depth = -1  # the subtree being cut (-1: none)
    cuts: list[tuple[int, int]] = []
    found: dict[int, int] = {}
    for token in _TOKEN.finditer(raw):
        first = raw[token.start()]
        if first == 0x22:  # a string
            if depth == 1:
                key = token.group()
            continue
        if first == 0x2C:  # a comma
            if inside and depth == 2:
                index += 1
            elif depth == 1:
                key = None
            continue
        if first in _OPEN:
            depth += 1
            if depth == 2 and first == 0x5B and key == b'"annotations"':
                inside = True
            elif inside and depth - 2 > MAX_ANNOTATION_DEPTH:
                if cut_from < 0:
                    cut_from, cut_depth = token.start(), depth
                found[index] = max(found.get(index, 0), depth - 2)
            continue
        if inside and depth == cut_depth:
            cuts.append((cut_from, token.end()))
            cut_from = cut_depth = -1
        elif inside and depth == 2:
            inside = False
        depth -= 1
    if not cuts:
        return raw, found
    pieces, last = [], 0
    for begin, end in cuts:
        pieces += [raw[last:begin], b"null"]
        last = end
    pieces.append(raw[last:])
    return b"".join(pieces), found
