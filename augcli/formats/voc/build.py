"""A (transformed) sample -> VOC annotation XML and segmentation PNG contents.

The XML starts from the item's own file when there is one: every tag we do
not model stays where it was; ``<filename>``, ``<path>``, ``<size>`` and the
objects are rewritten. Each object keeps its own XML (pose, difficult,
occluded, actions, attributes, unknown tags); only its name, box, truncated
flag and part boxes change:

- ``truncated`` becomes 1 when a transform clipped the object: its
  visibility fell below 1 and its box now touches the image border (a
  dropout hole lowers visibility too, but that is occlusion, not truncation);
- a part box that left the image is removed with its ``<part>``.

Instance ``i`` is written as ``<object>`` ``i`` and painted with value
``i + 1`` in SegmentationObject, so ids and objects stay in step however
many instances a transform dropped.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET

import numpy as np

from augcli.core.sample import Instances, Sample
from augcli.formats.convert.losses import Losses
from augcli.formats.convert.paint import owner_map, paint
from augcli.formats.voc.xml_doc import (
    BOX_TAGS,
    box_texts,
    declaration_of,
    indent_of,
    parse_box,
    parse_element,
    serialise,
)

OBJECT_COLUMN = "voc_object"
VOID = 255
_CLIP_VISIBILITY = 1.0 - 1e-6
_BORDER_PX = 0.5


def annotation_xml(
    sample: Sample,
    image_name: str,
    names: dict[int, str],
    template: bytes | None,
    segmented: bool | None = None,
) -> bytes:
    """The annotation file for ``sample`` whose image is called ``image_name``."""
    if template is not None:
        root = parse_element(template)
        indent, declaration = indent_of(template), declaration_of(template)
    else:
        root, indent, declaration = ET.Element("annotation"), "\t", ""
        ET.SubElement(root, "folder").text = ""
    _set_file_name(root, image_name)
    _set_size(root, sample)
    if segmented is not None:
        _child(root, "segmented").text = "1" if segmented else "0"
    old = root.findall("object")
    at = list(root).index(old[0]) if old else len(root)
    for element in old:
        root.remove(element)
    for row in range(len(sample.instances)):
        root.insert(at + row, object_element(sample, row, names))
    return serialise(root, indent, declaration)


def _child(parent: ET.Element, tag: str, after: str | None = None) -> ET.Element:
    found = parent.find(tag)
    if found is None:
        found = ET.Element(tag)
        anchor = parent.find(after) if after else None
        parent.insert(list(parent).index(anchor) + 1 if anchor is not None else len(parent), found)
    return found


def _set_file_name(root: ET.Element, image_name: str) -> None:
    base = posixpath.basename(image_name)
    filename = root.find("filename")
    if filename is None:
        filename = ET.Element("filename")
        root.insert(1 if root.find("folder") is not None else 0, filename)
    old = (filename.text or "").strip()
    filename.text = base
    path = root.find("path")
    if path is not None and path.text and old:
        text = path.text.strip()
        if text.replace("\\", "/").endswith("/" + old) or text == old:
            path.text = text[: len(text) - len(old)] + base


def _set_size(root: ET.Element, sample: Sample) -> None:
    fresh = root.find("size") is None
    size = _child(root, "size", after="filename")
    _child(size, "width").text = str(sample.width)
    _child(size, "height").text = str(sample.height)
    if fresh:  # an existing <depth>, even an empty one, is left as the file had it
        _child(size, "depth").text = str(1 if sample.image.ndim == 2 else sample.image.shape[2])


def object_element(sample: Sample, row: int, names: dict[int, str]) -> ET.Element:
    inst = sample.instances
    raw = inst.extra.get(OBJECT_COLUMN, [None] * len(inst))[row]
    label = int(inst.labels[row])
    name = names.get(label, str(label))
    if raw is None:
        element = ET.Element("object")
        for tag, text in (
            ("name", name),
            ("pose", "Unspecified"),
            ("truncated", "0"),
            ("difficult", "1" if inst.crowd[row] else "0"),
        ):
            ET.SubElement(element, tag).text = text
        bndbox = ET.SubElement(element, "bndbox")
        for tag in BOX_TAGS:
            ET.SubElement(bndbox, tag)
        floats = False
    else:
        element = parse_element(raw)
        _child(element, "name").text = name
        found = element.find("bndbox")
        floats = parse_box(found)[1]  # raises without one
        assert found is not None
        bndbox = found
    _write_box(bndbox, inst.boxes[row], floats, sample)
    if _clipped(inst, row, sample.width, sample.height):
        _child(element, "truncated", after="pose").text = "1"
    _update_parts(element, inst.part_boxes[row], sample)
    return element


def _write_box(bndbox: ET.Element, box: np.ndarray, floats: bool, sample: Sample) -> None:
    for tag, text in zip(BOX_TAGS, box_texts(box, floats, sample.width, sample.height)):
        _child(bndbox, tag).text = text


def _clipped(inst: Instances, row: int, width: int, height: int) -> bool:
    if inst.visibility[row] >= _CLIP_VISIBILITY:
        return False
    x0, y0, x1, y1 = inst.boxes[row]
    return bool(x0 <= _BORDER_PX or y0 <= _BORDER_PX or x1 >= width - _BORDER_PX or y1 >= height - _BORDER_PX)


def _update_parts(element: ET.Element, boxes: np.ndarray | None, sample: Sample) -> None:
    rows = iter(np.zeros((0, 4)) if boxes is None else np.asarray(boxes).reshape(-1, 4))
    for part in element.findall("part"):
        bndbox = part.find("bndbox")
        if bndbox is None:
            continue  # never read as a box: left as it was
        try:
            floats = parse_box(bndbox)[1]
        except ValueError:
            continue  # never read as a box: left as it was
        box = next(rows, None)
        if box is None or box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            element.remove(part)  # the part left the image
            continue
        _write_box(bndbox, box, floats, sample)


def object_map(sample: Sample, losses: Losses | None = None) -> np.ndarray:
    """SegmentationObject values: instance i -> i + 1, void where the class map is void;
    overlaps painted largest first (``convert.paint``)."""
    out = np.zeros((sample.height, sample.width), dtype=np.uint8)
    if sample.semantic is not None:
        out[np.asarray(sample.semantic) == sample.ignore_index] = VOID
    count = len(sample.instances)
    if losses is not None and count > VOID - 1:
        losses["objects_beyond_254"] += count - (VOID - 1)
    values = np.minimum(np.arange(1, count + 1), VOID - 1)
    return paint(owner_map(sample.instances, sample.height, sample.width), values, out)


def class_map(sample: Sample, class_index: dict[int, int], losses: Losses | None = None) -> np.ndarray:
    """SegmentationClass values: the sample's semantic map, else painted from its shapes
    (crowd regions as void; overlaps largest first, what they cost counted in ``losses``)."""
    if sample.semantic is not None:
        return np.asarray(sample.semantic)
    inst = sample.instances
    values = np.array(
        [VOID if inst.crowd[r] else class_index.get(int(inst.labels[r]), VOID) for r in range(len(inst))],
        dtype=np.int64,
    )
    out = np.zeros(
        (sample.height, sample.width), dtype=np.uint8 if values.max(initial=0) <= VOID else np.uint16
    )
    return paint(owner_map(inst, sample.height, sample.width, losses), values, out)


def has_shapes(inst: Instances) -> bool:
    return any(m is not None for m in inst.masks) or any(bool(p) for p in inst.polygons)
