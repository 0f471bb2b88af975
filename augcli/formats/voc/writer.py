"""Canonical samples -> a Pascal VOC dataset under OUT.

From a VOC source the output mirrors the input below its dataset root:
originals keep their bytes (image, XML, segmentation PNGs); an augmented
copy of item ``<id>`` is item ``<id>__aug<k>`` with its image, XML and the
segmentation PNGs the source item had. ``finalize`` rewrites every
``ImageSets`` file so each copy is listed right after its source, in every
set the source is in (with the same flag column), and nowhere else; sets
nothing changed in are copied byte for byte, as is ``labelmap.txt``.

From another format the output is a devkit layout (``Annotations/``,
``JPEGImages/``, ``ImageSets/Main/<split>.txt``, ``labelmap.txt``, and
``SegmentationClass/`` + ``SegmentationObject/`` for items with shapes or a
semantic map). Keypoints are dropped and crowd regions become difficult
objects (both counted in the run's warnings).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from augcli.core.errors import OutputError
from augcli.core.sample import Sample
from augcli.formats.base import ItemRecord, WriteOptions
from augcli.formats.convert.classes import class_table, complete_names
from augcli.formats.convert.losses import Losses, summarise, upfront_warnings
from augcli.formats.convert.names import OutputNames, split_of
from augcli.formats.files import copy_into, write_converted_original, write_into, write_sample_image
from augcli.formats.labelmaps import encode_label_map, voc_palette_bytes
from augcli.formats.naming import CopyNames, copy_salt, split_name
from augcli.formats.splits import DEFAULT_SPLIT
from augcli.formats.voc import build
from augcli.formats.voc.categories import LABELMAP_NAME, labelmap_text


class VocWriter:
    """Writes a Pascal VOC dataset; see ``DatasetWriter`` in ``formats.base``."""

    format_name = "voc"

    def __init__(self, reader: Any, out: Path, options: WriteOptions | None = None):
        self.reader = reader
        self.out = Path(out).expanduser().absolute()
        self.options = options or WriteOptions()
        self.same = getattr(reader, "format_name", None) == "voc"
        self.names = reader.categories.names()
        self.warnings = upfront_warnings(reader, "voc")
        if self.same:
            root = reader.root
            self._ann_rel = reader.layout.annotation_dir.resolve().relative_to(root)
            self._img_rel = reader.layout.image_dir.resolve().relative_to(root)
            self._voc_rel = reader.layout.voc_root.resolve().relative_to(root)
            # an item's id names its XML and segmentation PNGs: ids are compared like file names
            self._id_names = CopyNames(f"{k}.xml" for k in reader.keys())
            self._image_names = CopyNames((reader.item(k).image for k in reader.keys()), by_stem=True)
        else:
            self._ann_rel, self._img_rel, self._voc_rel = (Path("Annotations"), Path("JPEGImages"), Path("."))
            self._output = OutputNames(reader)
            self.class_names, self.class_index = class_table(
                reader.categories, "semantic" in reader.targets()
            )

    # -- names --------------------------------------------------------------------------------

    def item_id(self, key: str, copy: int) -> str:
        if self.same:
            if copy == 0:
                return key
            return self._id_names.name(f"{key}.xml", copy, self._salt(key, copy))[: -len(".xml")]
        return self._output.stem(key, copy)

    def _salt(self, key: str, copy: int) -> str:
        return copy_salt(split_of(self.reader, key) or DEFAULT_SPLIT, key, copy)

    def output_relpath(self, key: str, copy: int) -> Path:
        if self.same:
            name = self.reader.item(key).image
            if copy:
                head, stem, ext = split_name(name)
                if stem == key.rsplit("/", 1)[-1]:  # <id>.<ext>: the copy's image follows its id
                    name = head + self.item_id(key, copy).rsplit("/", 1)[-1] + ext
                else:
                    name = self._image_names.name(name, copy, self._salt(key, copy))
        else:
            name = self._output.name(key, copy)
        return self._img_rel / Path(*PurePosixPath(name).parts)

    def xml_relpath(self, key: str, copy: int) -> Path:
        return self._ann_rel / f"{self.item_id(key, copy)}.xml"

    def _map_relpath(self, folder: str, item_id: str) -> Path:
        return self._voc_rel / folder / f"{item_id}.png"

    # -- workers ------------------------------------------------------------------------------

    def write_original(self, key: str) -> ItemRecord:
        if not self.same:
            sample = self.reader.load(key)
            write_converted_original(
                self.out,
                self.output_relpath(key, 0),
                self.reader.source_path(key),
                sample,
                self.options.jpeg_quality,
                root=self.reader.root,
            )
            return self._record(key, 0, *self._write_labels(key, 0, sample))
        item = self.reader.item(key)
        copy_into(self.out, self.output_relpath(key, 0), self.reader.source_path(key), root=self.reader.root)
        layout = self.reader.layout
        if item.xml is not None:
            copy_into(self.out, self.xml_relpath(key, 0), item.xml, root=self.reader.root)
        for folder, present, path in (
            ("SegmentationClass", item.class_map, layout.class_map_path(key)),
            ("SegmentationObject", item.object_map, layout.object_map_path(key)),
        ):
            if present:
                copy_into(self.out, self._map_relpath(folder, key), path, root=self.reader.root)
        objects = len(item.doc.objects) + len(item.doc.bad_objects) if item.doc else 0
        return self._record(key, 0, objects, Losses(), 0)

    def write_item(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        if copy < 1:
            raise ValueError("copy 0 is the original: use write_original")
        write_sample_image(self.out, self.output_relpath(key, copy), sample, self.options.jpeg_quality)
        return self._record(key, copy, *self._write_labels(key, copy, sample))

    def _write_labels(self, key: str, copy: int, sample: Sample) -> tuple[int, Losses, int]:
        """Objects written, what was lost, and the largest class value painted."""
        item_id = self.item_id(key, copy)
        image_name = self.output_relpath(key, copy).name
        losses = Losses()
        if self.same:
            item = self.reader.item(key)
            template = item.doc.xml if item.doc else None
            xml = build.annotation_xml(sample, image_name, self.names, template)
            class_map = sample.semantic if item.class_map else None
            write_objects = item.object_map
            palettes = (sample.meta.get("semantic_info"), sample.meta.get("voc_object_map_info"))
        else:
            sample = _adapt(sample, losses)
            shaped = build.has_shapes(sample.instances) or sample.semantic is not None
            xml = build.annotation_xml(sample, image_name, self.names, None, segmented=shaped)
            class_map = build.class_map(sample, self.class_index, losses) if shaped else None
            write_objects = shaped and build.has_shapes(sample.instances)
            palettes = ({"mode": "P", "palette": voc_palette_bytes()}, None)
            if class_map is not None:
                self._check_class_values(class_map)
        # every map is encoded before anything is written: a map that cannot be stored
        # fails the item without leaving an XML behind
        maps, top = [], 0
        if class_map is not None:
            top = int(np.max(np.where(class_map == 255, 0, class_map), initial=0))
            maps.append(("SegmentationClass", encode_label_map(class_map, _map_info(palettes[0]))))
        if write_objects:
            objects = build.object_map(sample, losses)
            maps.append(("SegmentationObject", encode_label_map(objects, _map_info(palettes[1]))))
        if not self.same or self.reader.layout.xml_ids:  # a segmentation-only source has no XML
            write_into(self.out, self.xml_relpath(key, copy), xml)
        for folder, data in maps:
            write_into(self.out, self._map_relpath(folder, item_id), data)
        return len(sample.instances), losses, top

    @staticmethod
    def _check_class_values(class_map: np.ndarray) -> None:
        top = int(class_map.max(initial=0))
        if top > 255:
            raise OutputError(
                f"class value {top} does not fit VOC's 8-bit SegmentationClass (values 0..254, 255 void)"
            )

    def _record(self, key: str, copy: int, objects: int, losses: Losses, top: int) -> ItemRecord:
        payload = {"id": self.item_id(key, copy), "objects": objects, "losses": losses.as_dict(), "top": top}
        return ItemRecord(key=key, copy=copy, payload=payload)

    # -- parent -------------------------------------------------------------------------------

    def finalize(self, records: Iterable[ItemRecord]) -> dict:
        written: dict[str, list[int]] = defaultdict(list)
        ids_by_split: dict[str, list[str]] = defaultdict(list)
        losses: Counter = Counter()
        images = originals = objects = top = 0
        for record in records:
            written[record.key].append(record.copy)
            if not self.same:
                ids_by_split[split_of(self.reader, record.key) or DEFAULT_SPLIT].append(record.payload["id"])
            losses.update(record.payload["losses"] or {})
            images += 1
            originals += record.copy == 0
            objects += record.payload["objects"]
            top = max(top, record.payload.get("top", 0))
        if self.same:
            self._write_sets(written)
            labelmap = self.reader.layout.voc_root / LABELMAP_NAME
            if labelmap.is_file():
                copy_into(
                    self.out, self._voc_rel / LABELMAP_NAME, labelmap, durable=True, root=self.reader.root
                )
        else:
            self._write_splits(ids_by_split)
            names, unnamed = complete_names(self.class_names, top)
            self.warnings += unnamed
            write_into(self.out, LABELMAP_NAME, labelmap_text(names).encode("utf-8"), durable=True)
        warnings = list(self.warnings) + summarise([dict(losses)], "voc")
        return {
            "images": images,
            "annotations": objects,
            "images_original": originals,
            "images_augmented": images - originals,
            "warnings": warnings,
        }

    def _write_sets(self, written: dict[str, list[int]]) -> None:
        keys = set(self.reader.keys())
        for set_file in self.reader.sets:
            lines, changed = [], False
            for item_id, rest in set_file.lines:
                if item_id not in keys:
                    lines.append(item_id + rest)  # not ours to judge: kept as listed
                    continue
                copies = sorted(written.get(item_id, []))
                if 0 in copies:
                    lines.append(item_id + rest)
                lines += [self.item_id(item_id, c) + rest for c in copies if c > 0]
                changed = changed or copies != [0]
            relpath = Path(set_file.relpath)
            if changed:
                write_into(
                    self.out,
                    relpath,
                    "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape"),
                    durable=True,
                )
            else:
                copy_into(
                    self.out,
                    relpath,
                    self.reader.layout.voc_root / relpath,
                    durable=True,
                    root=self.reader.root,
                )

    def _write_splits(self, splits: dict[str, list[str]]) -> None:
        for split, ids in sorted(splits.items()):
            write_into(
                self.out,
                Path("ImageSets") / "Main" / f"{split}.txt",
                "".join(i + "\n" for i in ids).encode("utf-8", "surrogateescape"),
                durable=True,
            )


def _adapt(sample: Sample, losses: Losses) -> Sample:
    """Another format's sample as VOC can hold it (keypoints go; crowd becomes difficult)."""
    inst = sample.instances
    if inst.kp_count is not None:
        losses["keypoints_dropped"] += int(np.count_nonzero(inst.kp_count))
    losses["crowd_as_difficult"] += int(np.count_nonzero(inst.crowd))
    return sample


def _map_info(info: dict | None) -> dict:
    """How to store a map: like the source's map, else as a VOC palette PNG."""
    if info and info.get("mode") and (info["mode"] != "P" or info.get("palette")):
        return info
    return {"mode": "P", "palette": voc_palette_bytes()}
