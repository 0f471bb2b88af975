"""Another format's samples -> COCO instances files, one per split.

Layout: ``annotations/instances_<split>.json`` with images in
``images/<split>/`` (``annotations/instances.json`` and ``images/`` when the
source has no splits), the layout the COCO reader finds on its own.
Categories keep their ids and names (YOLO classes 0..n-1 stay 0..n-1; VOC
ids are the class indices); pose classes list their keypoint names. Image
and annotation ids count from 1 per file, in task order. Boxes, polygons,
masks (compressed RLE), keypoints and crowd flags are written by the COCO
emitter; semantic maps, VOC part boxes and VOC attributes cannot be held
and are announced as warnings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from augcli.core.errors import OutputError
from augcli.core.sample import Sample
from augcli.formats.atomic import atomic_open
from augcli.formats.base import ItemRecord, RawPayload, WriteOptions
from augcli.formats.coco.emit import annotation_dicts
from augcli.formats.coco.layout import safe_output_path
from augcli.formats.coco.stream import JsonSpool, item_template, stream_json
from augcli.formats.convert.losses import Losses, summarise, upfront_warnings
from augcli.formats.convert.names import OutputNames, split_of
from augcli.formats.convert.semantic import background_of, needs_instances, semantic_to_instances
from augcli.formats.files import write_converted_original, write_sample_image


class ConvertedCocoWriter:
    """Writes COCO files for a non-COCO reader; see ``DatasetWriter`` in ``formats.base``."""

    format_name = "coco"

    def __init__(self, reader: Any, out: Path, options: WriteOptions | None = None):
        self.reader = reader
        self.out = Path(out).expanduser().absolute()
        self.options = options or WriteOptions()
        self.warnings = upfront_warnings(reader, "coco")
        self._output = OutputNames(reader)

    def _folder(self, key: str) -> str:
        split = split_of(self.reader, key)
        return f"images/{split}" if split else "images"

    def file_name(self, key: str, copy: int) -> str:
        """The ``file_name`` written into the JSON (relative to the split's images folder)."""
        return self._output.name_in_split(key, copy, split_of(self.reader, key))

    def output_relpath(self, key: str, copy: int) -> Path:
        return Path(self._folder(key)) / Path(*PurePosixPath(self.file_name(key, copy)).parts)

    def annotation_relpath(self, split: str | None) -> Path:
        return Path("annotations") / (f"instances_{split}.json" if split else "instances.json")

    # -- workers ------------------------------------------------------------------------------

    def write_original(self, key: str) -> ItemRecord:
        sample = self.reader.load(key)
        write_converted_original(
            self.out,
            self.output_relpath(key, 0),
            self.reader.source_path(key),
            sample,
            self.options.jpeg_quality,
            root=self.reader.root,
        )
        return self._record(key, 0, sample)

    def write_item(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        if copy < 1:
            raise ValueError("copy 0 is the original: use write_original")
        write_sample_image(self.out, self.output_relpath(key, copy), sample, self.options.jpeg_quality)
        return self._record(key, copy, sample)

    def _record(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        losses = Losses()
        if needs_instances(self.reader, sample):
            sample = semantic_to_instances(sample, background_of(self.reader))
        inst = sample.instances
        losses["part_boxes_dropped"] += sum(len(b) for b in inst.part_boxes if b is not None)
        width, height = sample.width, sample.height
        image = {"id": None, "file_name": self.file_name(key, copy), "width": width, "height": height}
        annotations = annotation_dicts(inst, width, height)
        return ItemRecord(
            key=key,
            copy=copy,
            payload={  # serialised here, numbered by finalize (see formats.coco.stream)
                "split": split_of(self.reader, key),
                "image": RawPayload(item_template([image], "id")),
                "annotations": RawPayload(item_template(annotations, "id", "image_id")),
                "labels": sorted({ann["category_id"] for ann in annotations}),
                "losses": losses.as_dict(),
            },
        )

    # -- parent -------------------------------------------------------------------------------

    def finalize(self, records: Iterable[ItemRecord]) -> dict:
        """One pass over ``records``: each split's images and annotations are numbered and
        spooled as they come, then each split's file is written."""
        spools: dict[str | None, _SplitSpool] = {}
        losses: Counter = Counter()
        originals = augmented = 0
        try:
            for record in records:
                split = record.payload["split"]
                spool = spools.get(split)
                if spool is None:
                    spool = spools[split] = _SplitSpool(self.out / "annotations")
                spool.add(record)
                losses.update(record.payload["losses"] or {})
                originals += record.copy == 0
                augmented += record.copy > 0
            if not spools:
                split = split_of(self.reader, self.reader.keys()[0]) if self.reader.keys() else None
                spools[split] = _SplitSpool(self.out / "annotations")
            counts = {"images": 0, "annotations": 0}
            files = []
            for split in sorted(spools, key=lambda s: s or ""):
                path = safe_output_path(self.out, self.annotation_relpath(split))
                self._write_file(path, spools[split])
                counts["images"] += spools[split].images.count
                counts["annotations"] += spools[split].annotations.count
                files.append(str(path))
        finally:
            for spool in spools.values():
                spool.close()
        warnings = list(self.warnings) + summarise([dict(losses)], "coco")
        return {
            "images": counts["images"],
            "annotations": counts["annotations"],
            "images_original": originals,
            "images_augmented": augmented,
            "annotation_files": files,
            "warnings": warnings,
        }

    def _write_file(self, path: Path, spool: _SplitSpool) -> None:
        data: dict = {
            "info": {"description": f"converted by augcli from {self.reader.format_name}"},
            "licenses": [],
            "categories": [],  # listed from ``lists`` below
        }
        categories = self._categories(spool.labels)  # one per line, like the images
        lists: dict[str, list[Iterable | JsonSpool]] = {
            "categories": [categories],
            "images": [spool.images],
            "annotations": [spool.annotations],
        }
        try:
            with atomic_open(path, "wb", durable_dir=True) as handle:
                stream_json(handle, data, lists)
        except OSError as err:
            raise OutputError(f"cannot write {path}: {err}") from None

    def _categories(self, labels: set) -> list[dict]:
        """The reader's categories, plus any label the annotations use that it does not name."""
        out = []
        listed = {c.id for c in self.reader.categories.items}
        for label in sorted(labels - listed):
            out.append({"id": label, "name": str(label), "supercategory": ""})
        for category in self.reader.categories.items:
            entry: dict = {"id": category.id, "name": category.name, "supercategory": ""}
            if category.keypoints:
                entry["keypoints"] = list(category.keypoints)
                entry["skeleton"] = [list(pair) for pair in category.skeleton]
            out.append(entry)
        return out


class _SplitSpool:
    """One split's images and annotations, numbered from 1 in task order, and the labels used."""

    def __init__(self, folder: Path):
        self.images = JsonSpool(folder)
        self.annotations = JsonSpool(folder)
        self.labels: set = set()

    def add(self, record: ItemRecord) -> None:
        image_id = self.images.count + 1
        self.images.add_template(record.payload["image"], image_id)
        self.annotations.add_template(record.payload["annotations"], self.annotations.count + 1, image_id)
        self.labels.update(record.payload["labels"])

    def close(self) -> None:
        self.images.close()
        self.annotations.close()
