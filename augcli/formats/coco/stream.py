"""COCO JSON written as a stream: one list item per line, never the whole document in memory.

``stream_json`` writes a document whose big lists come from iterators and
``JsonSpool``s: a spool holds items already serialised, in an anonymous
temporary file next to the output, so a writer can collect the augmented
images and annotations in one pass over the records and copy them into
place after the originals. The bytes are the same as serialising the whole
document with ``dumps_json`` item by item.

Workers serialise the items of their outputs already (``item_template``):
the JSON of each item with holes where the ids go, which the parent fills
(``JsonSpool.add_template``) without parsing or serialising anything. The
holes are control characters, which JSON text never holds raw.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SEPARATOR = b",\n"
_COPY_CHUNK = 1 << 20
_COUNTED, _SHARED, _ITEM = "\x00", "\x01", "\x02"  # holes: an id per item, one id for all; an item starts
_COUNTED_JSON, _SHARED_JSON, _ITEM_JSON = '"\\u0000"', '"\\u0001"', '"\\u0002"'  # as dumps_json writes them


def dumps_json(value) -> str:
    """Compact UTF-8 JSON of label values (numpy scalars/arrays and RLE bytes included).

    Lone surrogates (a ``\\udcff`` escape in the input, an undecodable file name) cannot be
    UTF-8: they are written as the same JSON escapes, so the file reads back as it was."""
    text = _ENCODER.encode(value)
    if text.isascii():  # the common case: no surrogate to look for
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        return value.decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


# json.dumps(value, ensure_ascii=False, default=json_default), without building an encoder per call
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=json_default)


def item_template(items: list[dict], counted: str | None, shared: str | None = None) -> bytes:
    """``items`` serialised as ``JsonSpool.add`` would write ``dict(item, counted=n, shared=m)``
    (the keys keep their places; missing ones go last), with holes for ``n`` and ``m``;
    with ``counted`` None, the items as they are, without holes (``JsonSpool.add_items``)."""
    holes = {} if counted is None else {counted: _COUNTED}
    if shared is not None:
        holes[shared] = _SHARED
    sequence: list = []
    for item in items:  # one encoder call for them all: an item marker, then the item
        sequence += (_ITEM, {**item, **holes})
    text = dumps_json(sequence)[1:-1]  # '"\u0002", {...}, "\u0002", {...}'
    count = len(items)
    if (
        text.count(_ITEM_JSON) != count
        or text.count(_COUNTED_JSON) != (0 if counted is None else count)
        or (shared is not None and text.count(_SHARED_JSON) != count)
    ):  # a value of an item reads like a hole: serialise field by field instead
        text = "".join([_ITEM + _fields_with_holes({**item, **holes}, holes) for item in items])
    else:
        text = text.replace(_ITEM_JSON + ", ", _ITEM).replace(", " + _ITEM, _ITEM)
        text = text.replace(_COUNTED_JSON, _COUNTED)
        text = text if shared is None else text.replace(_SHARED_JSON, _SHARED)
    return text.encode("utf-8")


def _fields_with_holes(item: dict, holes: dict[str, str]) -> str:
    fields = (
        f"{dumps_json(key)}: {holes[key] if key in holes else dumps_json(value)}"
        for key, value in item.items()
    )
    return "{" + ", ".join(fields) + "}"


_COUNTED_BYTE, _SHARED_BYTE, _ITEM_BYTE = (hole.encode() for hole in (_COUNTED, _SHARED, _ITEM))


def fill_template(template: bytes, first: int, shared: int | None = None) -> tuple[bytes, int]:
    """The items of an ``item_template`` with ids ``first``, ``first + 1``... and ``shared`` in
    their holes, each after a ``,\\n`` (as ``JsonSpool.add`` writes them); and how many."""
    if shared is not None:
        template = template.replace(_SHARED_BYTE, b"%d" % shared)
    pieces = template.replace(_ITEM_BYTE, _SEPARATOR).split(_COUNTED_BYTE)
    count = len(pieces) - 1
    filled = [b""] * (2 * count + 1)
    filled[::2] = pieces
    filled[1::2] = map(b"%d".__mod__, range(first, first + count))
    return b"".join(filled), count


class JsonSpool:
    """List items serialised now, copied into a document later (see the module docstring)."""

    def __init__(self, folder: Path):
        Path(folder).mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=folder)  # unnamed: a kill leaves nothing
        self.count = 0

    def add(self, value: Any) -> None:
        self._file.write(_SEPARATOR + dumps_json(value).encode("utf-8"))
        self.count += 1

    def add_template(self, template: bytes, first: int, shared: int | None = None) -> int:
        """Add the items of an ``item_template`` (see ``fill_template``); returns how many."""
        data, count = fill_template(template, first, shared)
        self._file.write(data)
        self.count += count
        return count

    def add_items(self, template: bytes) -> int:
        """Add the items of an ``item_template`` made without holes; returns how many."""
        count = template.count(_ITEM_BYTE)
        self._file.write(template.replace(_ITEM_BYTE, _SEPARATOR))
        self.count += count
        return count

    def copy_to(self, handle: IO[bytes], first: bool) -> None:
        """Append the items to ``handle``; ``first``: no item of the list precedes them."""
        self._file.flush()
        self._file.seek(len(_SEPARATOR) if first else 0)
        shutil.copyfileobj(self._file, handle, _COPY_CHUNK)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> JsonSpool:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def stream_json(handle: IO[bytes], data: dict, lists: dict[str, list[Iterable | JsonSpool]]) -> None:
    """Write ``data`` with some top-level lists replaced by the items of ``lists[key]``'s sources
    (iterables and spools, in order), one item per line."""
    keys = list(data)
    keys += [k for k in lists if k not in data]
    handle.write(b"{")
    for position, key in enumerate(keys):
        handle.write(b"," if position else b"")
        handle.write(f"\n{dumps_json(key)}: ".encode())
        if key not in lists:
            handle.write(dumps_json(data[key]).encode("utf-8"))
            continue
        wrote = False
        for source in lists[key]:
            if isinstance(source, JsonSpool):
                if source.count:
                    handle.write(b"" if wrote else b"[\n")
                    source.copy_to(handle, first=not wrote)
                    wrote = True
                continue
            for item in source:
                handle.write(_SEPARATOR if wrote else b"[\n")
                handle.write(dumps_json(item).encode("utf-8"))
                wrote = True
        if wrote:
            handle.write(b"\n]")
        else:  # nothing to list: keep an input null as null
            handle.write(b"null" if key in data and data[key] is None else b"[]")
    handle.write(b"\n}\n")
