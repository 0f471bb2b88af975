"""Canonical samples -> an images + masks folder pair under OUT.

From a mask-folder source the output mirrors the input below its root:
originals keep their bytes (image and mask), augmented copies are
``<stem>__aug<k><ext>`` beside them, masks are stored as their source was
(palette kept, same bit depth, colour-coded masks through the same colours)
and the class-list files are copied.

From another format: ``images/[<split>/]<name>`` and
``masks/[<split>/]<stem>.png``; the semantic map is the source's own (VOC
SegmentationClass) or is painted from the instances' polygons and masks
(value = the category's position after ``background`` = 0, crowd regions =
the ignore index, painted largest first so small objects stay on top); a ``dataset_meta.json``
names the values.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from augcli.core.sample import Sample
from augcli.formats.base import ItemRecord, WriteOptions
from augcli.formats.coco.layout import is_inside
from augcli.formats.convert.classes import class_table, complete_names
from augcli.formats.convert.losses import Losses, summarise, upfront_warnings
from augcli.formats.convert.names import OutputNames, split_of
from augcli.formats.convert.paint import owner_map, paint
from augcli.formats.files import copy_into, write_converted_original, write_into, write_sample_image
from augcli.formats.labelmaps import ADE20K, encode_label_map, voc_palette_bytes
from augcli.formats.naming import CopyNames, copy_salt, same_marker
from augcli.formats.splits import DEFAULT_SPLIT

IGNORE = 255


class MaskFolderWriter:
    """Writes images + masks folders; see ``DatasetWriter`` in ``formats.base``."""

    format_name = "masks"

    def __init__(self, reader: Any, out: Path, options: WriteOptions | None = None):
        self.reader = reader
        self.out = Path(out).expanduser().absolute()
        self.options = options or WriteOptions()
        self.same = getattr(reader, "format_name", None) == "masks"
        self.warnings = upfront_warnings(reader, "masks")
        if self.same:
            self._image_rel = reader.image_dir.resolve().relative_to(reader.root)
            self._mask_rel = reader.mask_dir.resolve().relative_to(reader.root)
            self._copy_names = CopyNames(reader.keys(), by_stem=True)
            self._mask_names = CopyNames((reader.mask_relpath(k) for k in reader.keys()), by_stem=True)
        else:
            self._image_rel, self._mask_rel = Path("images"), Path("masks")
            self._output = OutputNames(reader)
            self.class_names, self.class_index = class_table(
                reader.categories, "semantic" in reader.targets()
            )

    # -- names --------------------------------------------------------------------------------

    def _relative_name(self, key: str, copy: int) -> str:
        if self.same:
            if copy == 0:
                return key
            suffix = self.reader.layout.image_suffix
            return self._copy_names.name(key, copy, self._salt(key, copy), suffix=suffix)
        split = split_of(self.reader, key)
        name = self._output.name_in_split(key, copy, split)
        return f"{split}/{name}" if split else name

    def _salt(self, key: str, copy: int) -> str:
        return copy_salt(split_of(self.reader, key) or DEFAULT_SPLIT, key, copy)

    def output_relpath(self, key: str, copy: int) -> Path:
        return self._image_rel / Path(*PurePosixPath(self._relative_name(key, copy)).parts)

    def mask_relpath(self, key: str, copy: int) -> Path:
        if self.same:
            name = self.reader.mask_relpath(key)
            if copy:
                layout = self.reader.layout
                image = self._relative_name(key, copy)
                paired = same_marker(key, image, name, layout.image_suffix, layout.mask_suffix)
                name = paired or self._mask_names.name(name, copy, self._salt(key, copy))
        else:
            name = str(PurePosixPath(self._relative_name(key, copy)).with_suffix(".png"))
        return self._mask_rel / Path(*PurePosixPath(name).parts)

    # -- workers ------------------------------------------------------------------------------

    def write_original(self, key: str) -> ItemRecord:
        if self.same:
            copy_into(
                self.out, self.output_relpath(key, 0), self.reader.source_path(key), root=self.reader.root
            )
            copy_into(self.out, self.mask_relpath(key, 0), self.reader.mask_path(key), root=self.reader.root)
            return ItemRecord(key=key, copy=0, payload={"losses": {}})
        sample = self.reader.load(key)
        write_converted_original(
            self.out,
            self.output_relpath(key, 0),
            self.reader.source_path(key),
            sample,
            self.options.jpeg_quality,
            root=self.reader.root,
        )
        return self._write_mask(key, 0, sample)

    def write_item(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        if copy < 1:
            raise ValueError("copy 0 is the original: use write_original")
        write_sample_image(self.out, self.output_relpath(key, copy), sample, self.options.jpeg_quality)
        return self._write_mask(key, copy, sample)

    def _write_mask(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        losses = Losses()
        if self.same:
            semantic, info = sample.semantic, sample.meta.get("semantic_info") or {}
            assert semantic is not None  # a mask source's samples all have one
        else:
            semantic = paint_semantic(sample, self.class_index, losses)
            info = _storage(sample.meta.get("semantic_info"), semantic)
        write_into(self.out, self.mask_relpath(key, copy), encode_label_map(semantic, info))
        ignore = sample.ignore_index if self.same else IGNORE
        top = int(np.max(np.where(semantic == ignore, 0, semantic), initial=0))
        return ItemRecord(key=key, copy=copy, payload={"losses": losses.as_dict(), "top": top})

    # -- parent -------------------------------------------------------------------------------

    def _copy_the_rest(self) -> None:
        """Lossless identity: every other file below the dataset root (lists, configs, instance
        maps, polygons, images without masks...) is copied as it is."""
        written = {p.resolve() for p in self.reader.indexed_files()}
        root = self.reader.root
        for current, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                path = Path(current) / name
                if path.resolve() in written or not is_inside(path.resolve(), root) or not path.is_file():
                    continue  # FIFOs and devices are no dataset files
                relpath = path.relative_to(root)
                if not (self.out / relpath).exists():
                    copy_into(self.out, relpath, path, durable=True, root=root)

    def finalize(self, records: Iterable[ItemRecord]) -> dict:
        losses: Counter = Counter()
        images = originals = top = 0
        for record in records:
            losses.update(record.payload["losses"] or {})
            images += 1
            originals += record.copy == 0
            top = max(top, record.payload.get("top", 0))
        if self.same:
            for name in self.reader.classes.files:
                relpath = self.reader.source.resolve().relative_to(self.reader.root) / name
                copy_into(self.out, relpath, self.reader.source / name, durable=True, root=self.reader.root)
            if originals:
                self._copy_the_rest()
            if self.reader.layout.encoding == ADE20K.lower() and images > originals:
                self.warnings.append(
                    "ADE20K: augmented copies carry the class (R, G) of *_seg.png but not its instance "
                    "channel (B), part masks or attribute files (originals keep them all)"
                )
        else:
            names, unnamed = complete_names(self.class_names, top)
            self.warnings += unnamed
            meta = {
                "label_map": {str(v): name for v, name in enumerate(names)},
                "background_label": "0",
            }
            write_into(
                self.out,
                "dataset_meta.json",
                (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                durable=True,
            )
        warnings = list(self.warnings) + summarise([dict(losses)], "masks")
        return {
            "images": images,
            "annotations": images,
            "images_original": originals,
            "images_augmented": images - originals,
            "warnings": warnings,
        }


def paint_semantic(sample: Sample, class_index: dict[int, int], losses: Losses) -> np.ndarray:
    """The sample's semantic map, or one painted from its instance shapes (largest first)."""
    if sample.semantic is not None:
        return np.asarray(sample.semantic)
    inst = sample.instances
    top = max(class_index.values(), default=0)
    out = np.zeros((sample.height, sample.width), dtype=np.uint8 if top < IGNORE else np.uint16)
    values = [
        IGNORE if inst.crowd[r] else class_index.get(int(inst.labels[r]), IGNORE) for r in range(len(inst))
    ]
    paint(owner_map(inst, sample.height, sample.width, losses), np.array(values, dtype=np.int64), out)
    losses["box_only_dropped"] += sum(
        1 for r in range(len(inst)) if inst.masks[r] is None and not inst.polygons[r]
    )
    if inst.kp_count is not None:
        losses["keypoints_dropped"] += int(np.count_nonzero(inst.kp_count))
    return out


def _storage(info: dict | None, semantic: np.ndarray) -> dict:
    """How a converted mask is stored: as its source map was, except colour-coded RGB and
    ADE20K maps, which become palette PNGs (same colours, values readable without a palette)."""
    if info and info.get("mode") in ("RGB", "RGBA") and info.get("colours") and semantic.dtype == np.uint8:
        colours = np.asarray(info["colours"], dtype=np.uint8).reshape(-1, 3)[:256]
        return {"mode": "P", "palette": colours.tobytes()}
    if info and info.get("mode") and info["mode"] not in ("RGB", "RGBA", ADE20K):
        return info
    if semantic.dtype == np.uint16:
        return {"mode": "I;16"}
    return {"mode": "P", "palette": voc_palette_bytes()}
