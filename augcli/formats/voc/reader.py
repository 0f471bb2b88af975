"""Pascal VOC files -> canonical ``Sample``s.

Indexing (the constructor) parses every annotation XML, finds every image
and segmentation PNG, and reports item problems (unreadable XML, missing
image, objects without a usable box) before any work starts. ``load``
decodes one image and builds:

- one instance per usable ``<object>``: its category, its box (converted
  from VOC's 1-based inclusive pixels, see ``xml_doc``), its part boxes in
  ``Instances.part_boxes`` (they move with every warp), and the object's XML
  in the ``voc_object`` extra column, so the writer keeps every tag;
- the instance's mask from ``SegmentationObject`` (pixel value = object
  position in the XML + 1) when the item has one;
- ``Sample.semantic`` from ``SegmentationClass`` (ignore index 255; its
  palette in ``meta['semantic_info']``).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from augcli.core.errors import AnnotationError, DatasetError, ImageReadError, ItemError
from augcli.core.sample import Instances, Sample
from augcli.formats import contained
from augcli.formats.base import ImageLabels
from augcli.formats.coco.layout import clean_file_name, image_problem
from augcli.formats.images import decode_image
from augcli.formats.labelmaps import read_label_map, voc_colormap
from augcli.formats.splits import split_of
from augcli.formats.voc import layout as voc_layout
from augcli.formats.voc.build import OBJECT_COLUMN
from augcli.formats.voc.categories import (
    CLASS_NAMES,
    LABELMAP_NAME,
    class_colours,
    read_class_names,
    read_labelmap,
    voc_categories,
)
from augcli.formats.voc.xml_doc import VocDocument, parse_document
from augcli.geometry import rle

IGNORE_INDEX = 255


@dataclass
class _Item:
    key: str
    image: str  # path below the images folder, posix
    xml: Path | None
    doc: VocDocument | None
    class_map: bool
    object_map: bool


class VocReader:
    """Reads a Pascal VOC dataset; see ``DatasetReader`` in ``formats.base``."""

    format_name = "voc"

    def __init__(self, source: Path, images: Path | None = None):
        self.layout = voc_layout.find_layout(Path(source), images)
        self.root = _dataset_root(self.layout)
        self.problems: list[ItemError] = []
        self._notes: Counter = Counter()
        labelmap_path = self.layout.voc_root / LABELMAP_NAME
        found = contained.dataset_file(contained.find_file, labelmap_path, self.root)
        self.labelmap = read_labelmap(labelmap_path, self.root) if found else None
        if self.labelmap is None and os.path.lexists(self.layout.voc_root / CLASS_NAMES):
            self.labelmap = read_class_names(self.layout.voc_root / CLASS_NAMES, self.root)
        self.sets = voc_layout.read_sets(self.layout, self.root)
        self.problems.extend(self.layout.problems)
        docs = self._parse_documents()
        segmentation = any(
            (self.layout.voc_root / d).is_dir() for d in ("SegmentationClass", "SegmentationObject")
        )
        names = [o.name for doc in docs.values() if doc for o in doc.objects]
        self.categories = voc_categories(names, self.labelmap, segmentation)
        self._label_of = {c.name: c.id for c in self.categories.items}
        self._class_colours = class_colours(self.categories, self.labelmap)
        self._items: dict[str, _Item] = {}
        self._index_items(docs)
        self._splits = voc_layout.split_names(self.sets, set(self._label_of))

    # -- the DatasetReader contract ----------------------------------------------------------

    def keys(self) -> list[str]:
        return list(self._items)

    def source_path(self, key: str) -> Path:
        return self.layout.image_dir / self.item(key).image

    def load(self, key: str) -> Sample:
        item = self.item(key)
        path = self.source_path(key)
        size = item.doc.size if item.doc else None
        pixels, info = decode_image(path, size)
        height, width = pixels.shape[:2]
        objects = item.doc.objects if item.doc else []
        semantic, object_map = None, None
        meta = dict(info)
        if item.class_map:
            semantic, meta["semantic_info"] = self._label_map(
                self.layout.class_map_path(key), width, height, self._class_colours
            )
        if item.object_map:
            object_map, meta["voc_object_map_info"] = self._label_map(
                self.layout.object_map_path(key), width, height, voc_colormap(256)
            )
        meta.update(
            {
                "key": key,
                "path": str(path),
                "width": width,
                "height": height,
                "source_format": "voc",
                "voc_id": key,
                "ignore_index": IGNORE_INDEX,
                "flip_perm": {},
            }
        )
        if item.doc is None and object_map is not None:
            instances = objects_from_maps(object_map, semantic)
        else:
            instances = self._instances(objects, object_map)
        return Sample(image=pixels, instances=instances, semantic=semantic, meta=meta)

    def labels(self, key: str) -> ImageLabels:
        doc = self.item(key).doc
        objects = doc.objects if doc else []
        size = doc.size if doc else None
        return ImageLabels.from_lists(
            [self._label_of[o.name] for o in objects],
            [o.box for o in objects],
            width=size[0] if size else None,
            height=size[1] if size else None,
        )

    # -- what the engine and the writers ask ---------------------------------------------------

    def item(self, key: str) -> _Item:
        try:
            return self._items[key]
        except KeyError:
            raise ImageReadError(
                f"no item with id {key!r} in this dataset", file=str(self.layout.annotation_dir)
            ) from None

    def targets(self) -> tuple[str, ...]:
        items = self._items.values()
        found = {"boxes"} if any(i.doc and i.doc.objects for i in items) else set()
        if any(i.object_map for i in items):
            found.update(("boxes", "masks"))
        if any(i.class_map for i in items):
            found.add("semantic")
        return tuple(
            t
            for t in ("image", "boxes", "polygons", "masks", "keypoints", "semantic")
            if t == "image" or t in found
        )

    def annotation_count(self) -> int:
        """Objects in the annotation files of readable items (what an identity run writes back)."""
        return sum(len(i.doc.objects) + len(i.doc.bad_objects) for i in self._items.values() if i.doc)

    def split_of(self, key: str) -> str | None:
        if not self.layout.devkit and "/" in key:
            return key.split("/", 1)[0]
        return self._splits.get(key)

    def split_names(self) -> list[str]:
        """Splits of the readable items, then split files under ``ImageSets/Main`` that list no id."""
        names = dict.fromkeys(split_of(self, key) for key in self._items)
        for set_file in self.sets:
            parts = set_file.relpath.split("/")
            name = parts[-1][: -len(".txt")]
            per_class = "_" in name and name.split("_", 1)[0] in self._label_of  # cat_train.txt
            if len(parts) == 3 and parts[1] == "Main" and not set_file.lines and not per_class:
                names.setdefault(name)
        return list(names)

    def item_name(self, key: str) -> str:
        """The image's path below the images folder (what converted outputs are named after)."""
        return self.item(key).image

    @property
    def notes(self) -> list[str]:
        return [
            f"{count} annotation file(s): {what}" if count > 1 else what
            for what, count in sorted(self._notes.items())
        ]

    # -- indexing ------------------------------------------------------------------------------

    def _parse_documents(self) -> dict[str, VocDocument | None]:
        docs: dict[str, VocDocument | None] = {}
        for item_id in self.layout.xml_ids:
            path = self.layout.xml_path(item_id)
            try:
                docs[item_id] = parse_document(contained.read_bytes(path, self.root), str(path))
            except (DatasetError, ItemError) as err:
                message = err.message
                self.problems.append(AnnotationError(message, file=str(path), image=item_id))
                docs[item_id] = None
        return docs

    def _index_items(self, docs: dict[str, VocDocument | None]) -> None:
        images = voc_layout.image_index(self.layout.image_dir, self.root, self.problems)
        listed = [i for s in self.sets for i, _ in s.lines]
        if not docs:  # segmentation only (labelme): the object maps name the items
            object_dir = self.layout.voc_root / "SegmentationObject"
            listed += sorted(p.stem for p in object_dir.glob("*.png")) if object_dir.is_dir() else []
        extra_ids = sorted(set(listed) - set(docs))
        real_image_dir = os.path.realpath(self.layout.image_dir)
        for item_id in list(docs) + extra_ids:
            has_xml = item_id in docs
            doc = docs.get(item_id)
            if has_xml and doc is None:
                continue  # unreadable XML: already reported
            image = self._find_image(item_id, doc, images, real_image_dir, report=has_xml)
            if image is None:
                if not has_xml:  # a split names it, and nothing of it exists
                    self.problems.append(
                        ImageReadError(
                            f"listed in {self._set_of(item_id)} but has no annotation XML and no "
                            f"image (looked for {item_id}.* in {self.layout.image_dir})",
                            file=str(self.layout.voc_root / self._set_of(item_id)),
                            image=item_id,
                        )
                    )
                continue
            try:
                class_map = contained.find_file(self.layout.class_map_path(item_id), self.root) is not None
                object_map = contained.find_file(self.layout.object_map_path(item_id), self.root) is not None
            except contained.ContainmentError as err:
                self.problems.append(ImageReadError(err.message, file=err.file, image=item_id))
                continue
            if doc is not None:
                self._check_objects(item_id, doc)
            self._items[item_id] = _Item(
                key=item_id,
                image=image,
                xml=self.layout.xml_path(item_id) if has_xml else None,
                doc=doc,
                class_map=class_map,
                object_map=object_map,
            )

    def _find_image(
        self, item_id: str, doc: VocDocument | None, images: dict, real_image_dir: str, report: bool
    ) -> str | None:
        where = str(self.layout.xml_path(item_id))
        filename = doc.filename if doc else None
        candidates = images.get(item_id, [])
        folder = item_id.rsplit("/", 1)[0] + "/" if "/" in item_id else ""
        by_filename = f"{folder}{filename}" if filename else None
        if by_filename in candidates:
            name = by_filename
        elif candidates:
            name = candidates[0]
            if filename:
                self._note(f"<filename> disagrees with the XML's name; used {name}")
        elif by_filename:
            try:
                name = clean_file_name(by_filename)
            except ImageReadError as err:
                self.problems.append(AnnotationError(err.message, file=where, image=item_id))
                return None
        else:
            name = None
        problem = "not found" if name is None else image_problem(real_image_dir, name, self.root)
        if problem is not None:
            if report:
                message = (
                    f"no image for this annotation (looked for {item_id}.* and "
                    f"{filename or 'no <filename>'} in {self.layout.image_dir})"
                    if problem == "not found"
                    else problem
                )
                self.problems.append(ImageReadError(message, file=where, image=item_id))
            return None
        for note in doc.notes if doc else []:
            self._note(note)
        return name

    def _set_of(self, item_id: str) -> str:
        return next(s.relpath for s in self.sets if any(i == item_id for i, _ in s.lines))

    def _check_objects(self, item_id: str, doc: VocDocument) -> None:
        where = str(self.layout.xml_path(item_id))
        for position, why in doc.bad_objects:
            self.problems.append(
                AnnotationError(why, file=where, image=item_id, annotation=f"object {position + 1}")
            )
        if any(o.floats for o in doc.objects):
            self._note("float box coordinates (kept as floats)")

    def _note(self, what: str) -> None:
        self._notes[what] += 1

    # -- building a sample ---------------------------------------------------------------------

    def _label_map(self, path: Path, width: int, height: int, colours: np.ndarray) -> tuple[np.ndarray, dict]:
        # colour-coded (RGB) maps, as Datumaro writes them, are read through the palette
        values, info = read_label_map(contained.contain(path, self.root), colours)
        if values.shape != (height, width):
            raise ImageReadError(
                f"label map is {values.shape[1]}x{values.shape[0]} but the image is {width}x{height}",
                file=str(path),
            )
        return values, info

    def _instances(self, objects: list, object_map: np.ndarray | None) -> Instances:
        count = len(objects)
        masks: list[dict | None] = [None] * count
        if object_map is not None and count:
            for row, obj in enumerate(objects):
                pixels = object_map == obj.position + 1
                if pixels.any():
                    masks[row] = rle.encode(pixels)
        return Instances(
            labels=np.array([self._label_of[o.name] for o in objects], dtype=np.int64),
            boxes=np.array([o.box for o in objects], dtype=np.float64).reshape(count, 4),
            masks=masks,
            part_boxes=[
                np.array([b for _, b in o.parts]).reshape(-1, 4) if o.parts else None for o in objects
            ],
            extra={OBJECT_COLUMN: [o.xml for o in objects]},
        )


def objects_from_maps(object_map: np.ndarray, class_map: np.ndarray | None) -> Instances:
    """Instances of an item without XML: one per object value (not 0, not void), in value
    order, its class the most common class-map value under it, its box its mask's bounds."""
    values = [int(v) for v in np.unique(object_map) if 0 < int(v) < IGNORE_INDEX]
    masks, labels = [], []
    for value in values:
        pixels = object_map == value
        masks.append(rle.encode(pixels))
        classes = class_map[pixels] if class_map is not None else np.zeros(1, np.int64)
        classes = classes[classes != IGNORE_INDEX]
        labels.append(int(np.bincount(classes).argmax()) if classes.size else 0)
    boxes = np.array([rle.bounds(m) for m in masks], dtype=np.float64).reshape(len(values), 4)
    return Instances(labels=np.array(labels, dtype=np.int64), boxes=boxes, masks=masks)


def _dataset_root(layout: voc_layout.VocLayout) -> Path:
    root = Path(os.path.commonpath([layout.voc_root.resolve(), layout.image_dir.resolve()]))
    if root.parent == root:
        raise DatasetError(
            f"the annotations and the images folder {layout.image_dir} share no "
            "folder below the filesystem root; keep them under one dataset folder"
        )
    return root
