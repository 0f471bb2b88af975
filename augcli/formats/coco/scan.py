"""A COCO annotation file read as a stream: one top-level value, one annotation at a time.

``DocumentScan.walk`` decodes the file in bounded windows (``WINDOW`` bytes, more
only while one value is bigger) and parses each top-level value with the same C
scanner ``json.loads`` uses, so values come out exactly as ``json.loads`` gives
them; the ``annotations`` list is handed over element by element with each
element's byte span in the file (offset, length: byte offsets, not character
offsets, so non-ASCII text is counted right). Nothing but the current window and
the values a caller keeps stays in memory. ``batches`` parses many elements at
once with orjson where it reads them as json does (``parse_elements``).

Anything the walk does not handle raises ``Fallback`` and the reader parses the
file whole instead (``coco.document``), which gives every error message its
usual wording: JSON that does not parse, a document that is not an object, a
key used twice at the top level, another encoding than UTF-8 (a UTF-8 BOM is
skipped, as ``json.loads`` does).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import orjson

from augcli.formats.coco.polygon_text import cut_polygons

WINDOW = 1 << 20  # bytes decoded at a time (doubled while one value does not fit)
BATCH = 1 << 16  # bytes of the annotation list parsed at once by ``batches``
_ALONE = 16  # elements read one at a time after a batch that did not parse (doubled each time)
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SCAN_STRING: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
# (json.loads' own C scanners: the same values as reading the file whole)
_WHITESPACE = re.compile(r"[ \t\n\r]*")  # what JSON allows between tokens
_COMMA = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_BOM = b"\xef\xbb\xbf"
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"0" * 9)
_LONG_DIGITS = b"0" * 19  # the shortest digit run that may not fit 64 bits (orjson: a float)

Element = tuple[Any, int, int]  # (parsed value, byte offset in the file, byte length)


class Fallback(Exception):
    """The streaming walk cannot read this file: read it whole (see the module docstring)."""


def file_stamp(stat: os.stat_result) -> tuple[int, int]:
    """What says a file is unchanged since it was read: (size, modification time in ns)."""
    return stat.st_size, stat.st_mtime_ns


class _Window:
    """Decoded text of the file from byte ``base`` on; ``byte(i)`` is the file offset of ``text[i]``."""

    def __init__(self, fd: int, size: int, offset: int):
        self._fd, self._size, self._chunk = fd, size, WINDOW
        self._load(offset)

    def _load(self, offset: int) -> None:
        raw = os.pread(self._fd, self._chunk, offset)
        self.eof = offset + len(raw) >= self._size
        if not self.eof:
            raw = raw[: _whole_characters(raw)]
        self.text = raw.decode("utf-8")  # UnicodeDecodeError: the caller reads the file whole
        self._ascii = self.text.isascii()
        self._char, self._byte = 0, offset

    def byte(self, i: int) -> int:
        """File offset of ``text[i]``; calls go forward (a cursor counts UTF-8 bytes once)."""
        if self._ascii:
            return self._byte + i
        self._byte += len(self.text[self._char : i].encode("utf-8"))
        self._char = i
        return self._byte

    def refill(self, i: int) -> int:
        """Decode again from ``text[i]`` on (a value crosses the end); returns the new index of it."""
        if i == 0:  # one value is bigger than the window
            self._chunk *= 2
        self._load(self.byte(i))
        return 0

    def char(self, i: int) -> str:
        return self.text[i] if i < len(self.text) else ""


def _whole_characters(raw: bytes) -> int:
    """Length of ``raw`` without a UTF-8 sequence cut at its end."""
    end = len(raw)
    lead = end - 1
    while lead >= 0 and end - lead < 4 and raw[lead] & 0xC0 == 0x80:
        lead -= 1
    if lead < 0:
        return end
    first = raw[lead]
    need = 1 if first < 0xC0 else 2 if first < 0xE0 else 3 if first < 0xF0 else 4
    return lead if lead + need > end else end


class Batch(NamedTuple):
    """Elements of the annotation list: their values, byte offsets and lengths in the file.
    With ``source`` (the file's bytes from byte ``at`` on), the values hold their plain polygons
    cut out (segmentation 0, ``coco.polygon_text``) and ``whole(i)`` parses element i as read."""

    values: list
    offsets: np.ndarray
    lengths: np.ndarray
    source: bytes | None = None
    at: int = 0

    def whole(self, i: int) -> Any:
        if self.source is None:
            return self.values[i]
        start = int(self.offsets[i]) - self.at
        return parse_span(self.source[start : start + int(self.lengths[i])].decode("ascii"))

    def part(self, start: int, stop: int | None = None) -> Batch:
        return self._replace(
            values=self.values[start:stop], offsets=self.offsets[start:stop], lengths=self.lengths[start:stop]
        )


def _batch(raw: bytes, offset: int, cut: bool = False) -> Batch | None:
    """The elements in ``raw`` (bytes of the list from byte ``offset`` on) up to its last ``}``,
    parsed at once, with their spans; None unless they are all objects, in ASCII, holding no
    object and no brace in a string: then the i-th ``{`` starts the i-th element and the
    i-th ``}`` ends it (a brace more anywhere would make the counts differ). ``cut``: their
    plain polygons cut out first when all are (``Batch``)."""
    end = raw.rfind(b"}") + 1
    head = raw[:end]
    opens = head.count(b"{")
    if opens < 2 or opens != head.count(b"}") or not head.isascii():
        return None
    reduced = cut_polygons(head) if cut else None
    values = parse_elements(head if reduced is None else reduced)
    if values is None or len(values) != opens or set(map(type, values)) != {dict}:
        return None
    codes = np.frombuffer(head, dtype=np.uint8)
    starts = np.flatnonzero(codes == 0x7B)
    lengths = np.flatnonzero(codes == 0x7D) + 1 - starts
    return Batch(values, starts + offset, lengths, None if reduced is None else head, offset)


def parse_elements(body: bytes) -> list | None:
    """The values of ``body`` (ASCII elements of a list, without its brackets) exactly as
    ``json.loads`` gives them, or None when they do not parse. orjson reads them ~2.5x faster,
    but it turns an integer beyond 64 bits into a float, so text with 19 digits in a row goes
    to json's scanner, as does all that orjson refuses and json reads (NaN, Infinity, 1e400,
    a lone surrogate escape)."""
    if _LONG_DIGITS not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(b"[" + body + b"]")
        except orjson.JSONDecodeError:
            pass
    text = "[" + body.decode("ascii") + "]"
    try:
        values, stop = _SCAN(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return None
    return values if stop == len(text) else None


def _columns(spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    array = np.array(spans, dtype=np.int64).reshape(-1, 2)
    return array[:, 0], array[:, 1]


def _key(text: str, pos: int) -> tuple[str, int]:
    return _SCAN_STRING(text, pos + 1)


def parse_span(text: str) -> Any:
    """The one JSON value ``text`` holds (an element's span, as ``walk`` found it)."""
    value, end = _SCAN(text, 0)
    if end != len(text):
        raise ValueError("the span holds more than one value")
    return value


class DocumentScan:
    """One streaming read of ``path`` (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        stat = os.fstat(self.fd)
        self.stamp = file_stamp(stat)
        self._size = stat.st_size
        self.pos = 0
        head = os.pread(self.fd, 4, 0)
        if head and json.detect_encoding(head) not in ("utf-8", "utf-8-sig"):
            self.close()
            raise Fallback
        self._start = len(_BOM) if head.startswith(_BOM) else 0
        self._window = _Window(self.fd, stat.st_size, self._start)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> DocumentScan:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def walk(
        self,
        on_value: Callable[[str, Any], None],
        on_annotations: Callable[[Iterator[Element], int], int | None],
    ) -> dict[str, Any]:
        """The top-level object with ``annotations`` (when a list) as ``...``; ``on_value(key, value)``
        is called as each other value is read, ``on_annotations(elements, offset)`` with the
        list's elements (a caller need not read them: ``elements_at(offset)`` reads them again);
        it may return the byte offset just after the list, which the walk goes on from."""
        window = self._window
        pos = self._skip(0)
        if window.char(pos) != "{":
            raise Fallback
        top: dict[str, Any] = {}
        pos = self._skip(pos + 1)
        closed = window.char(pos) == "}"
        while not closed:
            if window.char(pos) != '"':
                raise Fallback
            key, end, pos = self._parse(_key, pos)
            if key in top:  # json.loads keeps the last: reading it whole is simpler than agreeing
                raise Fallback
            pos = self._skip(end)
            if window.char(pos) != ":":
                raise Fallback
            pos = self._skip(pos + 1)
            if key == "annotations" and window.char(pos) == "[":
                top[key] = ...
                elements = self._elements(pos + 1)
                after = on_annotations(elements, window.byte(pos + 1))
                if after is None:
                    for _ in elements:  # what the caller did not read
                        pass
                    pos = self.pos
                else:  # the caller read the list to its end (in other processes too)
                    elements.close()
                    self._window = window = _Window(self.fd, self._size, after)
                    pos = 0
            else:
                top[key], pos, _ = self._parse(_SCAN, pos)
                on_value(key, top[key])
            pos = self._skip(pos)
            separator = window.char(pos)
            if separator not in (",", "}"):
                raise Fallback
            closed = separator == "}"
            pos = self._skip(pos + 1) if not closed else pos + 1
        if self._skip(pos) != len(window.text) or not window.eof:
            raise Fallback  # something after the document
        return top

    def elements_at(self, offset: int) -> Generator[Element, None, None]:
        """The elements of the list whose first element (or whitespace) starts at byte ``offset``."""
        self._window = _Window(self.fd, self._size, offset)
        return self._elements(0)

    def batches(self, offset: int, cut: bool = False) -> Iterator[Batch]:
        """The elements of the list from byte ``offset`` on (an element's start, or whitespace
        before it), many at a time where ``_batch`` can parse them (``cut``: their plain
        polygons cut out where it can), one at a time where not (a while, then a batch is
        tried again)."""
        alone = _ALONE
        while True:
            batch = _batch(os.pread(self.fd, BATCH, offset), offset, cut)
            if batch is not None:
                alone = _ALONE
                yield batch.part(0, -1)
                offset = int(batch.offsets[-1])  # the last may be cut short of what follows: again
                continue
            values: list = []
            spans: list[tuple[int, int]] = []
            for value, at, length in self.elements_at(offset):
                if len(values) == alone:
                    offset = at
                    break
                values.append(value)
                spans.append((at, length))
            else:  # the end of the list
                yield Batch(values, *_columns(spans))
                return
            yield Batch(values, *_columns(spans))
            alone *= 2

    def offset(self) -> int:
        """Byte offset in the file just after the list ``elements_at``'s elements were read from."""
        return self._window.byte(self.pos)

    def _elements(self, pos: int) -> Generator[Element, None, None]:
        window = self._window
        pos = self._skip(pos)
        if window.char(pos) == "]":
            self.pos = pos + 1
            return
        while True:
            try:  # the usual case first: the element ends inside the window
                value, end = _SCAN(window.text, pos)
            except (StopIteration, json.JSONDecodeError):
                end = len(window.text)
            if end >= len(window.text):
                value, end, pos = self._parse(_SCAN, pos)
            offset = window.byte(pos)
            yield value, offset, window.byte(end) - offset
            comma = _COMMA.match(window.text, end)  # the usual case, in one step
            if comma and comma.end() < len(window.text):
                pos = comma.end()
                continue
            pos = self._skip(end)
            separator = window.char(pos)
            if separator == "]":
                self.pos = pos + 1
                return
            if separator != ",":
                raise Fallback
            pos = self._skip(pos + 1)

    def _skip(self, pos: int) -> int:
        """Index of the next character that is not whitespace (``len(text)`` at the end of the file)."""
        window = self._window
        while True:
            pos = _WHITESPACE.match(window.text, pos).end()  # type: ignore[union-attr]  # * matches empty
            if pos < len(window.text) or window.eof:
                return pos
            pos = window.refill(pos)

    def _parse(self, scan: Callable[[str, int], tuple[Any, int]], pos: int) -> tuple[Any, int, int]:
        """(value, index after it, index of its start) of the value at ``pos``, decoding more
        of the file while the value runs past the window."""
        window = self._window
        while True:
            try:
                value, end = scan(window.text, pos)
            except (StopIteration, json.JSONDecodeError):
                if window.eof:
                    raise Fallback from None
            else:
                if end < len(window.text) or window.eof:
                    return value, end, pos
            pos = window.refill(pos)
