"""VOC class lists: the 20 standard classes, and Datumaro's ``labelmap.txt``.

Category ids are the class indices a SegmentationClass PNG stores:

- with ``labelmap.txt`` (``name:r,g,b:parts:actions`` per line), the line
  order: the first class is 0;
- otherwise, when every object name is a standard VOC class or the dataset
  has segmentation PNGs, the VOC order (background 0, aeroplane 1 ...
  tvmonitor 20), other names appended from 21 in order of appearance;
- otherwise (a custom LabelImg set) the names found, sorted, from 1
  (0 stays the background a class map would use).

``background`` is a category only when an object carries that name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augcli.core.errors import DatasetError
from augcli.core.sample import Categories, Category
from augcli.formats import contained
from augcli.formats.labelmaps import voc_colormap

VOC_CLASSES = (
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)
LABELMAP_NAME = "labelmap.txt"
CLASS_NAMES = "class_names.txt"  # labelme's export: one name per line, the line number is the value
BACKGROUND = "background"
_HEADER = "# label:color_rgb:parts:actions\n"


@dataclass
class LabelMapEntry:
    name: str
    colour: tuple[int, ...] | None  # (r, g, b)
    parts: str = ""
    actions: str = ""


def read_labelmap(path: Path, root: Path) -> list[LabelMapEntry]:
    entries = []
    lines = contained.dataset_file(contained.read_text, path, root).splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(":")
        name = fields[0].strip()
        colour = None
        if len(fields) > 1 and fields[1].strip():
            try:
                colour = tuple(int(v) for v in fields[1].split(","))
            except ValueError:
                colour = ()
            if len(colour) != 3 or not all(0 <= v <= 255 for v in colour):
                raise DatasetError(f"line {number}: colour {fields[1]!r} is not r,g,b", file=str(path))
        entries.append(LabelMapEntry(name, colour, *(f.strip() for f in fields[2:4])))
    return entries


def read_class_names(path: Path, root: Path) -> list[LabelMapEntry]:
    """labelme's ``class_names.txt`` as label-map entries (VOC colours by position);
    like every dataset file it must stay inside ``root``."""
    from augcli.formats import contained

    try:
        lines = contained.dataset_file(contained.read_text, path, root).splitlines()
    except OSError as err:
        raise DatasetError(f"cannot read the class names: {err.strerror or err}", file=str(path)) from None
    return [LabelMapEntry(line.strip(), None) for line in lines if line.strip()]


def labelmap_text(names: Iterable[str]) -> str:
    """A Datumaro-style ``labelmap.txt`` giving each name its VOC colour by position."""
    names = list(names)
    colours = voc_colormap(max(len(names), 1))
    lines = [f"{name}:{','.join(str(int(v)) for v in colours[i])}::" for i, name in enumerate(names)]
    return _HEADER + "".join(line + "\n" for line in lines)


def voc_categories(
    found_names: list[str], labelmap: list[LabelMapEntry] | None, segmentation: bool
) -> Categories:
    """The dataset's categories by the rules in the module docstring.

    ``background`` (a class-map value, not an object class) is listed only
    when an object is named so; its value stays 0 either way.
    """
    found = list(dict.fromkeys(found_names))
    if labelmap:
        names = [e.name for e in labelmap]
        names += [n for n in found if n not in names]
    elif segmentation or all(n in VOC_CLASSES for n in found):
        names = list(VOC_CLASSES) + [n for n in found if n not in VOC_CLASSES]
    else:
        names = [BACKGROUND] + sorted(found)
    return Categories([Category(id=i, name=n) for i, n in enumerate(names) if n != BACKGROUND or n in found])


def class_colours(categories: Categories, labelmap: list[LabelMapEntry] | None) -> np.ndarray:
    """(256, 3) palette for class maps: labelmap colours where given, VOC colours elsewhere."""
    palette = voc_colormap(256)
    for position, entry in enumerate(labelmap or []):
        if entry.colour and position < 256:
            palette[position] = entry.colour
    return palette
