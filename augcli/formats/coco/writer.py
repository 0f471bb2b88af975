"""Canonical samples -> a COCO dataset under OUT that mirrors the input's layout.

Workers call ``write_original`` / ``write_item``: each writes one image file
atomically and returns a small ``ItemRecord``. The parent calls ``finalize``
once with every record; it streams the annotation JSON to a temporary file
and renames it into place:

- an annotation file whose every image was written unchanged (a split
  that is not augmented) is copied byte for byte; otherwise:
- top-level fields (``info``, ``licenses``, ``categories``, anything unknown)
  exactly as read, in their original order;
- the originals' images and their valid annotations, in input order, as read
  (ids too); what the reader could not use (a missing image, invalid
  annotations, annotations of unknown images) is left out and reported with
  its raw JSON, unless ``keep_invalid`` (``--keep-invalid``) writes it back
  as read, so that an identity run is lossless;
- then augmented images and annotations ordered by (input order, copy), with
  fresh ids counting up from the input's largest ids.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from augcli.core.errors import ImageReadError, OutputError
from augcli.core.policy import UNKNOWN_FIELDS_META
from augcli.core.sample import Sample
from augcli.formats.atomic import atomic_open, atomic_write_bytes
from augcli.formats.base import ItemRecord, RawPayload, WriteOptions, derived_labels
from augcli.formats.coco import layout
from augcli.formats.coco.emit import annotation_dicts, image_dict
from augcli.formats.coco.reader import CocoReader
from augcli.formats.coco.stream import JsonSpool, dumps_json, item_template, json_default, stream_json
from augcli.formats.images import check_output_size, encode_image
from augcli.formats.naming import CopyNames, copy_salt

_COPY_CHUNK = 1 << 20

__all__ = ["CocoWriter", "dumps_json"]


class CocoWriter:
    """Writes one COCO annotation file and its images; see ``DatasetWriter``."""

    format_name = "coco"
    polygon_holes = "rle"  # a polygon cut by a dropout hole may be written as an RLE mask

    def __init__(self, reader: CocoReader, out: Path, options: WriteOptions | None = None):
        self.reader = reader
        self.out = Path(out).expanduser().absolute()
        self.options = options or WriteOptions()
        self.annotation_path = self.out / reader.annotation_relpath
        self.copy_names = CopyNames(self.input_names())

    # -- names ----------------------------------------------------------------------------------

    def input_names(self) -> list[str]:
        """The input's image names, relative to ``image_folder``."""
        names = (self.reader.clean_name(i) for i in range(len(self.reader.images_raw)))
        return [n for n in names if n is not None]

    @property
    def image_folder(self) -> Path:
        """The folder of the images below OUT (``file_name`` is relative to it)."""
        return self.out / self.reader.image_dir_relpath

    def output_file_name(self, key: str, copy: int) -> str:
        """The ``file_name`` written into the JSON (relative to the mirrored images folder)."""
        index = self.reader.image_index(key)
        name = self.reader.images_raw[index]["file_name"]
        if copy == 0:
            return name
        salt = copy_salt(self.reader.split, key, copy)
        return self.copy_names.name(name, copy, salt, self.reader.duplicate_number(index))

    def output_relpath(self, key: str, copy: int) -> Path:
        return self._relpath_of(self.output_file_name(key, copy))

    def _relpath_of(self, file_name: str) -> Path:
        name = layout.clean_file_name(file_name)
        return self._image_dir_relpath / Path(*name.split("/"))

    @functools.cached_property
    def _image_dir_relpath(self) -> Path:
        return self.reader.image_dir_relpath  # resolved once, not for every output (issue #15)

    # -- workers --------------------------------------------------------------------------------

    def write_original(self, key: str) -> ItemRecord:
        """Copy the input image's bytes unchanged; its labels are copied in ``finalize``."""
        index = self.reader.image_index(key)
        source = self.reader.source_path(key)
        target = layout.safe_output_path(self.out, self.output_relpath(key, 0))
        try:
            with open(source, "rb") as src, atomic_open(target, "wb", durable=False) as dst:
                shutil.copyfileobj(src, dst, _COPY_CHUNK)
        except FileNotFoundError as err:
            raise ImageReadError(
                f"image disappeared while copying: {err}",
                file=str(source),
                image=self.reader.images_raw[index]["id"],
            ) from None
        except OSError as err:
            raise OutputError(f"cannot write {target}: {err}", file=str(source)) from None
        payload: dict = {"image_index": index}
        augmented = self.options.augmented_splits
        if not self.options.keep_invalid and (augmented is None or self.reader.split in augmented):
            # serialised here, in the workers, for finalize to copy (a split without copies is
            # copied whole instead)
            payload["annotations"] = self._original_json(index)
        return ItemRecord(key=key, copy=0, payload=payload)

    def _original_json(self, index: int) -> RawPayload:
        """The valid annotations of image ``index`` as ``finalize`` writes them back (as read)."""
        raw = self.reader.annotations_raw
        return RawPayload(item_template([raw[a] for a in self.reader.valid_annotation_indices(index)], None))

    def write_item(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        """Encode one augmented sample; the record carries its image entry and annotations
        already serialised, with holes for ``id`` / ``image_id`` (``stream.item_template``)
        that ``finalize`` fills."""
        if copy < 1:
            raise ValueError("copy 0 is the original: use write_original")
        index = self.reader.image_index(key)
        height, width = sample.image.shape[:2]
        file_name = self.output_file_name(key, copy)
        relpath = self._relpath_of(file_name)  # output_relpath, its name not derived twice
        entry = image_dict(self.reader.images_raw[index], file_name, width, height)
        keep = sample.meta.get(UNKNOWN_FIELDS_META) == "keep"
        annotations = derived_labels(  # shared by copies that kept the source's labels
            sample,
            ("coco", width, height, keep),
            lambda: RawPayload(
                item_template(annotation_dicts(sample.instances, width, height, keep), "id", "image_id")
            ),
        )
        info = dict(sample.meta)
        info["ext"] = relpath.suffix
        check_output_size(sample.image)
        data = encode_image(sample.image, info, jpeg_quality=self.options.jpeg_quality)
        target = layout.safe_output_path(self.out, relpath)
        try:
            atomic_write_bytes(target, data, durable=False)
        except OSError as err:
            raise OutputError(f"cannot write {target}: {err}") from None
        payload = {
            "image_index": index,
            "image": RawPayload(item_template([entry], "id")),
            "annotations": annotations,
        }
        return ItemRecord(key=key, copy=copy, payload=payload)

    # -- parent ---------------------------------------------------------------------------------

    def _original_entries(self, written: set[int]) -> list[int]:
        """Image entries written back as read: those whose original was written and, with
        ``keep_original`` and ``keep_invalid``, those the reader could not index (a missing image, an invalid
        size: reported, kept as in the input; refused names are not). An item that failed
        in a worker goes with its files."""
        if not (self.options.keep_original and self.options.keep_invalid):
            return sorted(written)
        readable = {self.reader.image_index(key) for key in self.reader.keys()}
        return [
            i
            for i in range(len(self.reader.images_raw))
            if i in written or (i not in readable and self._carried(self.reader.images_raw[i]))
        ]

    def _every_annotation_valid(self) -> bool:
        valid = sum(len(self.reader.valid_annotation_indices(i)) for i in range(len(self.reader.images_raw)))
        return valid == len(self.reader.annotations_raw)

    def _carried(self, entry) -> bool:
        """An entry the reader could not use is written back unless its name is refused
        (absolute, ``..``, escaping the dataset, unusable) or it holds what JSON cannot."""
        try:
            name = layout.clean_file_name(entry.get("file_name") if isinstance(entry, dict) else None)
        except ImageReadError:
            return False
        problem = layout.image_problem(os.path.realpath(self.reader.image_dir), name, self.reader.root)
        if problem not in (None, "not found", "not a regular file"):
            return False  # escapes the dataset, or no path the system can use
        return self._writable(entry)

    def _original_annotations(self, entries: list[int]) -> list[int]:
        """The valid annotations of those entries; with ``keep_invalid`` all of them and,
        with ``keep_original`` too, those naming no image of the file, in input order."""
        if not self.options.keep_invalid:  # invalid annotations are in report.jsonl, not here
            return [a for i in entries for a in self.reader.valid_annotation_indices(i)]
        kept = {a for i in entries for a in self.reader.annotation_indices(i)}
        if self.options.keep_original:
            attached = {
                a for i in range(len(self.reader.images_raw)) for a in self.reader.annotation_indices(i)
            }
            kept |= set(range(len(self.reader.annotations_raw))) - attached
        raw, cut = self.reader.annotations_raw, self.reader.cut_annotations
        return sorted(a for a in kept if a not in cut and self._writable(raw[a]))

    def _writable(self, value) -> bool:
        """False for what JSON cannot hold (NaN, Infinity): such entries are not written back."""
        if not self.reader.may_hold_non_finite:
            return True
        try:
            json.dumps(value, allow_nan=False, default=json_default)
        except ValueError:
            return False
        return True

    def finalize(self, records: Iterable[ItemRecord]) -> dict:
        """One pass over ``records`` (task order: input order, then copy): augmented entries are
        numbered and spooled as they come, then written after the originals'."""
        folder = self.annotation_path.parent
        originals: set[int] = set()
        # Without keep_invalid the originals' annotations are those of the original images in
        # input order: spooled as they come (serialised by write_original) while they do.
        spooling = not self.options.keep_invalid
        with (
            JsonSpool(folder) as old_annotations,
            JsonSpool(folder) as new_images,
            JsonSpool(folder) as new_annotations,
        ):
            image_id, ann_id = self.reader.max_image_id, self.reader.max_annotation_id
            last, last_original = (-1, 0), -1
            for record in records:
                index = record.payload["image_index"]
                if record.copy == 0:
                    spooling = spooling and index > last_original
                    last_original = index
                    originals.add(index)
                    if spooling:
                        encoded = record.payload.get("annotations")
                        old_annotations.add_items(self._original_json(index) if encoded is None else encoded)
                    continue
                if (index, record.copy) <= last:
                    raise ValueError("finalize needs the records in task order (input order, then copy)")
                last = (index, record.copy)
                image_id += 1
                new_images.add_template(record.payload["image"], image_id)
                ann_id += new_annotations.add_template(record.payload["annotations"], ann_id + 1, image_id)
            entries = self._original_entries(originals)
            kept = self._original_annotations(entries)
            spooling = spooling and old_annotations.count == len(kept)
            unchanged = (
                not new_images.count
                and len(originals) == len(self.reader.images_raw)
                and (self.options.keep_invalid or self._every_annotation_valid())
            )
            try:
                if unchanged:  # every image written as it was: the file as it was, byte for byte
                    with (
                        open(self.reader.annotation_file, "rb") as source,
                        atomic_open(self.annotation_path, "wb", durable_dir=True) as handle,
                    ):
                        shutil.copyfileobj(source, handle, _COPY_CHUNK)
                else:
                    images_raw, annotations_raw = self.reader.images_raw, self.reader.annotations_raw
                    lists: dict[str, list] = {
                        "images": [(images_raw[i] for i in entries), new_images],
                        "annotations": [
                            old_annotations if spooling else (annotations_raw[a] for a in kept),
                            new_annotations,
                        ],
                    }
                    with atomic_open(self.annotation_path, "wb", durable_dir=True) as handle:
                        stream_json(handle, self.reader.data, lists)
            except OSError as err:
                raise OutputError(f"cannot write {self.annotation_path}: {err}") from None
            augmented = new_images.count
            if unchanged:
                images, annotations = len(originals), len(self.reader.annotations_raw)
            else:
                images, annotations = len(entries) + augmented, len(kept) + new_annotations.count
        return {
            "images": images,
            "annotations": annotations,
            "images_original": len(originals),
            "images_augmented": augmented,
            "annotation_file": str(self.annotation_path),
        }
