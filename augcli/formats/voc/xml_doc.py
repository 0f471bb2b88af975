"""One VOC annotation XML <-> a parsed document, and boxes across the boundary.

VOC boxes are 1-based, inclusive pixel indices: ``xmin = 1`` is the first
column and ``xmax = W`` the last. In augcli's continuous coordinates (pixel
``j`` covers ``[j, j + 1)``) that box spans ``[xmin - 1, xmax]``:

    x0 = xmin - 1,  y0 = ymin - 1,  x1 = xmax,  y1 = ymax

and back, ``xmin = x0 + 1``, ``xmax = x1``. Integer files are written back
as integers (rounded half up, at least one pixel wide); files whose box had
a decimal point keep floats (2 decimals), so an untouched box reads back
exactly as it was written.

Parsing never trusts the file: defusedxml refuses entity tricks, and every
element we do not model (``pose``, ``actions``, ``attributes``, unknown tags)
stays in the object's XML text, which the writer edits in place.
"""

from __future__ import annotations

import codecs
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from augcli.core.errors import DatasetError

BOX_TAGS = ("xmin", "ymin", "xmax", "ymax")
FLOAT_DECIMALS = 2


@dataclass
class VocObject:
    position: int  # index among the file's <object> elements (0-based)
    name: str
    box: np.ndarray  # continuous xyxy
    floats: bool  # the file wrote this box with decimals
    xml: str  # the <object> element as read
    parts: list[tuple[str, np.ndarray]] = field(default_factory=list)  # parseable part boxes
    difficult: bool = False


@dataclass
class VocDocument:
    xml: bytes  # the file as read
    filename: str | None
    size: tuple[int, int] | None  # (width, height) when <size> is usable
    objects: list[VocObject]
    bad_objects: list[tuple[int, str]]  # (position, why) of objects that cannot be used
    notes: list[str]  # harmless oddities worth telling the user
    segmented: bool


def parse_document(data: bytes, where: str) -> VocDocument:
    """Parse one annotation file; raises ``DatasetError`` only if it is not VOC XML at all."""
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as err:
        raise DatasetError(f"not a readable VOC XML file: {err}", file=where) from None
    if root.tag != "annotation":
        raise DatasetError(f"the root element is <{root.tag}>, not <annotation>", file=where)
    notes: list[str] = []
    size = _size(root, notes)
    objects, bad = [], []
    for position, element in enumerate(root.findall("object")):
        try:
            objects.append(_object(element, position))
        except ValueError as err:
            bad.append((position, str(err)))
    segmented = (root.findtext("segmented") or "").strip() == "1"
    return VocDocument(
        xml=data,
        filename=_text(root, "filename"),
        size=size,
        objects=objects,
        bad_objects=bad,
        notes=notes,
        segmented=segmented,
    )


def _text(element: ET.Element, tag: str) -> str | None:
    found = element.find(tag)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _size(root: ET.Element, notes: list[str]) -> tuple[int, int] | None:
    size = root.find("size")
    if size is None:
        notes.append("no <size>; taken from the image")
        return None
    try:
        width, height = (float(_text(size, tag) or "nan") for tag in ("width", "height"))
    except ValueError:
        notes.append("unreadable <size>; taken from the image")
        return None
    if not (width > 0 and height > 0 and width.is_integer() and height.is_integer()):
        notes.append("no usable <size>; taken from the image")
        return None
    if _text(size, "depth") is None:
        notes.append("empty <depth>")
    return int(width), int(height)


def _object(element: ET.Element, position: int) -> VocObject:
    name = _text(element, "name")
    if name is None:
        raise ValueError("object has no <name>")
    box, floats = parse_box(element.find("bndbox"))
    parts = []
    for part in element.findall("part"):
        try:
            parts.append((_text(part, "name") or "", parse_box(part.find("bndbox"))[0]))
        except ValueError:
            continue  # an unreadable part stays in the XML text untouched
    return VocObject(
        position=position,
        name=name,
        box=box,
        floats=floats,
        xml=ET.tostring(element, encoding="unicode"),
        parts=parts,
        difficult=(_text(element, "difficult") or "0") == "1",
    )


def parse_box(bndbox: ET.Element | None) -> tuple[np.ndarray, bool]:
    """A <bndbox> -> (continuous xyxy, written with decimals?); raises ValueError."""
    if bndbox is None:
        raise ValueError("object has no <bndbox>")
    found = [_text(bndbox, tag) for tag in BOX_TAGS]
    texts = [t for t in found if t is not None]
    if len(texts) < len(found):
        missing = [tag for tag, t in zip(BOX_TAGS, found) if t is None]
        raise ValueError(f"<bndbox> lacks {', '.join(missing)}")
    try:
        xmin, ymin, xmax, ymax = (float(t) for t in texts)
    except ValueError:
        raise ValueError(f"<bndbox> values {texts} are not numbers") from None
    box = np.array([xmin - 1.0, ymin - 1.0, xmax, ymax])
    if not np.isfinite(box).all() or box[2] <= box[0] or box[3] <= box[1]:
        raise ValueError(f"<bndbox> {texts} is empty or inverted (VOC boxes are 1-based, inclusive)")
    floats = any(("." in t) or ("e" in t.lower()) for t in texts)
    return box, floats


def box_texts(box: np.ndarray, floats: bool, width: int, height: int) -> list[str]:
    """Continuous xyxy -> the four VOC texts (xmin, ymin, xmax, ymax)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if floats:
        return [_float_text(v) for v in (x0 + 1.0, y0 + 1.0, x1, y1)]
    xmin, xmax = _pixel_span(x0, x1, width)
    ymin, ymax = _pixel_span(y0, y1, height)
    return [str(v) for v in (xmin, ymin, xmax, ymax)]


def _pixel_span(lo: float, hi: float, limit: int) -> tuple[int, int]:
    first, last = math.floor(lo + 0.5) + 1, math.floor(hi + 0.5)
    if last < first:  # thinner than a pixel: the pixel under its centre
        first = last = min(max(math.floor((lo + hi) / 2) + 1, 1), max(limit, 1))
    return first, last


def _float_text(value: float) -> str:
    return repr(round(value, FLOAT_DECIMALS) + 0.0)  # + 0.0 turns -0.0 into 0.0


def indent_of(data: bytes) -> str:
    """The indentation unit a file uses (tab, 2 spaces...), for re-serialising it."""
    text = _rough_text(data)
    start = text.find("<annotation")
    newline = text.find("\n", start)
    if newline < 0:
        return "\t"
    line = text[newline + 1 :].split("\n", 1)[0]
    unit = line[: len(line) - len(line.lstrip(" \t"))]
    return unit or "\t"


def declaration_of(data: bytes) -> str:
    """The file's XML declaration line (empty if it had none)."""
    head = _rough_text(data).lstrip("\ufeff \t\r\n")[:200]
    if head.startswith("<?xml"):
        # written back as UTF-8 (see ``serialise``), whatever the source declared
        return re.sub(r"""encoding=(["'])[^"']*\1""", 'encoding="utf-8"', head.split("?>", 1)[0]) + "?>\n"
    return ""


def _rough_text(data: bytes) -> str:
    """Enough of the file as text to see its layout (UTF-16 by its BOM, else UTF-8)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def serialise(root: ET.Element, indent: str = "\t", declaration: str = "") -> bytes:
    ET.indent(root, space=indent)
    text = ET.tostring(root, encoding="unicode", short_empty_elements=False)  # <folder></folder>
    if not _ESCAPED_BYTE.search(text):
        return (declaration + text + "\n").encode("utf-8")
    # A file name that is not UTF-8 (its bytes kept as surrogate escapes) cannot be written
    # in valid UTF-8 XML; ISO-8859-1 stores each such byte as itself, the name as on disk,
    # and every other character outside Latin-1 as a character reference.
    latin = _ESCAPED_BYTE.sub(lambda m: chr(ord(m.group()) - 0xDC00), text)
    head = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    return (head + latin + "\n").encode("latin-1", "xmlcharrefreplace")


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a byte >= 0x80


def parse_element(text: str | bytes) -> ET.Element:
    """Re-parse a document already checked when read: text, or the file's bytes in the
    encoding they declare (ISO-8859-1, UTF-16...)."""
    return SafeET.fromstring(text if isinstance(text, bytes) else text.encode("utf-8"))
