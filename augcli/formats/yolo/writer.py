"""Canonical samples -> an Ultralytics YOLO dataset under OUT.

From a YOLO source the output mirrors the input below its root: originals
keep their bytes (image and label file), augmented copies are
``<stem>__aug<k><ext>`` with their label file beside the original's, and
``finalize`` writes the YAML back with the same keys and values except
``path`` (dropped when the data root is the YAML's folder, the folder
Ultralytics falls back to; else relative to the YAML), and rewrites
``.txt`` split lists so each copy follows its source.

From another format: ``images/<split>/``, ``labels/<split>/`` and a
``data.yaml`` (``train``/``val``/``test`` from the source's splits, names
by class index in category order, ``kpt_shape`` and ``flip_idx`` for pose).
The task comes from ``yolo.task`` (``--yolo-task``; auto: pose only when
every category has keypoints, else segment with polygons or masks, else
detect); what it drops is counted per item. Crowd regions are dropped; masks are traced
into polygons (``convert.trace``).
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import yaml

from augcli.core.errors import AnnotationError, UsageError
from augcli.core.sample import Sample
from augcli.formats.base import ItemRecord, WriteOptions
from augcli.formats.convert.classes import complete_names
from augcli.formats.convert.losses import Losses, summarise, upfront_warnings
from augcli.formats.convert.names import OutputNames, split_of
from augcli.formats.convert.semantic import background_of, needs_instances, semantic_to_instances
from augcli.formats.convert.trace import mask_to_rings
from augcli.formats.files import copy_into, write_converted_original, write_into, write_sample_image
from augcli.formats.naming import CopyNames, copy_salt
from augcli.formats.splits import DEFAULT_SPLIT, split_names_of
from augcli.formats.yolo import labels as yolo_labels
from augcli.formats.yolo.layout import label_relpath
from augcli.formats.yolo.reader import KIND_COLUMN
from augcli.formats.yolo.task import choose_task, task_warnings


class YoloWriter:
    """Writes an Ultralytics YOLO dataset; see ``DatasetWriter`` in ``formats.base``."""

    format_name = "yolo"

    def __init__(self, reader: Any, out: Path, options: WriteOptions | None = None):
        self.reader = reader
        self.out = Path(out).expanduser().absolute()
        self.options = options or WriteOptions()
        self.same = getattr(reader, "format_name", None) == "yolo"
        self.task, why = choose_task(reader, self.options.yolo_task)
        self.warnings = upfront_warnings(reader, "yolo", self.task) + task_warnings(reader, self.task, why)
        if self.same:
            self._data_rel = reader.data_root.resolve().relative_to(reader.root)
            joints = reader.kpt_shape[0] if reader.kpt_shape else 0
            self.relabel = self.task != reader.task  # originals get new label files too
            self.class_of: dict[int, int] | None = {c.id: c.id for c in reader.categories.items}
            self._copy_names = CopyNames(reader.keys(), by_stem=True)
        else:
            self._data_rel = Path(".")
            self._output = OutputNames(reader)
            joints = reader.categories.max_keypoints() or getattr(reader, "num_keypoints", 0)
            # a source without class names: YOLO class = the source's label id, named class_<id>
            self.class_of = {c.id: i for i, c in enumerate(reader.categories.items)} or None
        if self.task == "pose" and not joints:
            raise UsageError("--yolo-task pose needs keypoints, and this dataset has none")
        if self.same and self.task == "pose":
            self.kpt_shape = reader.kpt_shape
        else:
            self.kpt_shape = (int(joints), 3) if self.task == "pose" else None

    # -- names --------------------------------------------------------------------------------

    def image_relpath(self, key: str, copy: int) -> str:
        """Relative to the data root, posix."""
        if self.same:
            if copy == 0:
                return key
            return self._copy_names.name(key, copy, copy_salt(self.reader.split_of(key), key, copy))
        split = split_of(self.reader, key) or DEFAULT_SPLIT
        return f"images/{split}/{self._output.name_in_split(key, copy, split)}"

    def output_relpath(self, key: str, copy: int) -> Path:
        return self._data_rel / Path(*PurePosixPath(self.image_relpath(key, copy)).parts)

    def label_path(self, key: str, copy: int) -> Path:
        return self._data_rel / Path(*PurePosixPath(label_relpath(self.image_relpath(key, copy))).parts)

    # -- workers ------------------------------------------------------------------------------

    def write_original(self, key: str) -> ItemRecord:
        if self.same and self.relabel:  # the image as it was, its labels for the new task
            copy_into(
                self.out, self.output_relpath(key, 0), self.reader.source_path(key), root=self.reader.root
            )
            return self._write_labels(key, 0, self.reader.load(key))
        if self.same:
            copy_into(
                self.out, self.output_relpath(key, 0), self.reader.source_path(key), root=self.reader.root
            )
            item = self.reader.item(key)
            if item.label is not None:
                copy_into(
                    self.out,
                    self.label_path(key, 0),
                    self.reader.data_root / item.label,
                    root=self.reader.root,
                )
            return ItemRecord(key=key, copy=0, payload={"lines": len(item.lines), "losses": {}})
        sample = self.reader.load(key)
        write_converted_original(
            self.out,
            self.output_relpath(key, 0),
            self.reader.source_path(key),
            sample,
            self.options.jpeg_quality,
            root=self.reader.root,
        )
        return self._write_labels(key, 0, sample)

    def write_item(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        if copy < 1:
            raise ValueError("copy 0 is the original: use write_original")
        write_sample_image(self.out, self.output_relpath(key, copy), sample, self.options.jpeg_quality)
        return self._write_labels(key, copy, sample)

    def _write_labels(self, key: str, copy: int, sample: Sample) -> ItemRecord:
        losses = Losses()
        if not self.same and needs_instances(self.reader, sample):
            sample = semantic_to_instances(sample, background_of(self.reader))
        lines = self.label_lines(sample, losses)
        text = "".join(line + "\n" for line in lines)
        write_into(self.out, self.label_path(key, copy), text.encode("utf-8", "surrogateescape"))
        top = max((int(line.split(" ", 1)[0]) for line in lines), default=-1)
        return ItemRecord(
            key=key, copy=copy, payload={"lines": len(lines), "losses": losses.as_dict(), "top": top}
        )

    def label_lines(self, sample: Sample, losses: Losses) -> list[str]:
        inst, width, height = sample.instances, sample.width, sample.height
        kinds = inst.extra.get(KIND_COLUMN) if self.same and not self.relabel else None
        lines = []
        for row in range(len(inst)):
            if inst.crowd[row]:
                losses["crowd_dropped"] += 1
                continue
            self._count_task_losses(inst, row, losses)
            label = (
                int(inst.labels[row]) if self.class_of is None else self.class_of.get(int(inst.labels[row]))
            )
            if label is None or label < 0:
                raise AnnotationError(
                    f"category {int(inst.labels[row])} has no YOLO class (the source names no such category)",
                    where=f"instance {row}",
                )
            box = inst.boxes[row]
            if self.task == "pose":
                lines.append(
                    yolo_labels.pose_line(
                        label, box, self._keypoints(inst, row, losses), self.kpt_shape[1], width, height
                    )
                )
            elif self.task == "segment" and not (kinds and kinds[row] == yolo_labels.KIND_BOX):
                ring = self._ring(inst, row, losses)
                lines.append(yolo_labels.segment_line(label, ring, width, height))
            else:
                lines.append(yolo_labels.box_line(label, box, width, height))
        return lines

    def _count_task_losses(self, inst, row: int, losses: Losses) -> None:
        has_shape = bool(inst.polygons[row]) or inst.masks[row] is not None
        if has_shape and self.task != "segment":
            losses["shape_dropped"] += 1
        has_points = inst.keypoints is not None and bool(np.any(inst.keypoints[row, :, 2] > 0))
        if has_points and self.task != "pose":
            losses["keypoints_dropped"] += 1
        if self.task == "pose" and not has_points:
            losses["keypoints_missing"] += 1

    def _keypoints(self, inst, row: int, losses: Losses) -> np.ndarray:
        joints = self.kpt_shape[0]
        out = np.zeros((joints, 3))
        if inst.keypoints is not None:
            count = min(int(inst.kp_count[row]), joints)
            out[:count] = inst.keypoints[row, :count]
            if 0 < count < joints:
                losses["keypoints_padded"] += 1
        return out

    def _ring(self, inst, row: int, losses: Losses) -> np.ndarray:
        rings = inst.polygons[row]
        if not rings and inst.masks[row] is not None:
            rings = mask_to_rings(inst.masks[row])
            losses["mask_to_polygon"] += 1
        if not rings:
            losses["box_as_polygon"] += 1
            return yolo_labels.box_ring(inst.boxes[row])
        if len(rings) > 1:
            losses["parts_joined"] += 1
        return yolo_labels.join_parts(rings)

    # -- parent -------------------------------------------------------------------------------

    def finalize(self, records: Iterable[ItemRecord]) -> dict:
        seen = _Seen()
        for record in records:
            seen.add(record)
        if self.same:
            split_notes = self._write_same_yaml(seen.copies)
        else:
            split_notes = self._write_new_yaml(seen)
        warnings = list(self.warnings) + split_notes
        warnings += summarise([dict(seen.losses)], "yolo")
        return {
            "images": seen.images,
            "annotations": seen.lines,
            "images_original": seen.originals,
            "images_augmented": seen.images - seen.originals,
            "warnings": warnings,
        }

    def _write_same_yaml(self, copies: dict[str, list[int]]) -> list[str]:
        layout = self.reader.layout
        for entries in layout.splits.values():
            for entry in entries:
                if entry.lower().endswith(".txt") and (layout.data_root / entry).is_file():
                    self._write_list(entry, copies)
        if layout.yaml_path is None:
            return []
        data = dict(layout.data)
        if self.task != "pose":
            data.pop("kpt_shape", None)
            data.pop("flip_idx", None)
        yaml_dir = layout.yaml_path.parent.resolve()
        data.pop("path", None)
        if yaml_dir != layout.data_root.resolve():
            data = {"path": Path(_relative(layout.data_root.resolve(), yaml_dir)).as_posix(), **data}
        relpath = yaml_dir.relative_to(self.reader.root) / layout.yaml_path.name
        write_into(self.out, relpath, _dump(data), durable=True)
        if layout.splits.get("val") and layout.splits.get("val") == layout.splits.get("train"):
            return ["data.yaml's val is its train (as in the input): validation images are training images"]
        return []

    def _write_list(self, entry: str, copies: dict[str, list[int]]) -> None:
        keys = set(self.reader.keys())
        listed = self.reader.list_files.get(entry, [])
        if listed and all(key in keys and copies.get(key) == [0] for key in listed):
            # a split written unchanged keeps its list file byte for byte
            copy_into(
                self.out,
                self._data_rel / entry,
                self.reader.data_root / entry,
                durable=True,
                root=self.reader.root,
            )
            return
        lines = []
        for key in self.reader.list_files.get(entry, []):
            if key not in keys:
                continue
            lines += [f"./{self.image_relpath(key, c)}" for c in sorted(copies.get(key, []))]
        write_into(
            self.out,
            self._data_rel / entry,
            "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape"),  # names as on disk
            durable=True,
        )

    def _write_new_yaml(self, seen: _Seen) -> list[str]:
        """``train``/``val``/``test`` name the folders of the splits of that kind; returns warnings."""
        written = {split_of(self.reader, key) or DEFAULT_SPLIT for key in seen.copies}
        splits = [s for s in split_names_of(self.reader) if s in written] or [DEFAULT_SPLIT]
        data, warnings = yaml_split_entries(splits)
        names = [c.name for c in self.reader.categories.items]
        if self.class_of is None:
            names, unnamed = complete_names([], seen.top)
            self.warnings += unnamed
        data["names"] = dict(enumerate(names))
        if self.kpt_shape is not None:
            data["kpt_shape"] = list(self.kpt_shape)
            flip = _flip_idx(self.reader, self.kpt_shape[0])
            if flip is not None:
                data["flip_idx"] = flip
        write_into(self.out, "data.yaml", _dump(data), durable=True)
        return warnings


class _Seen:
    """What ``finalize`` needs from the records, gathered in one pass."""

    def __init__(self) -> None:
        self.copies: dict[str, list[int]] = defaultdict(list)
        self.losses: Counter = Counter()
        self.images = self.originals = self.lines = 0
        self.top = -1

    def add(self, record: ItemRecord) -> None:
        self.copies[record.key].append(record.copy)
        self.losses.update(record.payload["losses"] or {})
        self.images += 1
        self.originals += record.copy == 0
        self.lines += record.payload["lines"]
        self.top = max(self.top, record.payload.get("top", -1))


def yaml_split_entries(splits: list[str]) -> tuple[dict, list[str]]:
    """data.yaml's split entries for split folders ``images/<split>``, and what to warn about.

    A split is ``train``, ``val`` or ``test`` by its name without a year
    (``val2017`` is val); several of a kind are listed together. Without a
    training split the splits of no kind (``default``) are the training data.
    Without a validation split there is no ``val``: pointing it at the training
    images would make validation scores meaningless.
    """
    kinds: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    other: list[str] = []
    for split in splits:
        kind = re.sub(r"[-_]?\d+$", "", split.lower())
        (kinds[kind] if kind in kinds else other).append(split)
    if not kinds["train"]:
        kinds["train"], other = other, []
    data: dict = {}
    for kind, names in kinds.items():
        if names:
            folders = [f"images/{name}" for name in names]
            data[kind] = folders[0] if len(folders) == 1 else folders
    warnings = []
    if "val" not in data:
        warnings.append(
            "the dataset has no validation split, so data.yaml has no val entry "
            "(Ultralytics needs one: add a validation set of your own)"
        )
    if "train" not in data:
        warnings.append("the dataset has no training split, so data.yaml has no train entry")
    for name in other:
        warnings.append(f"split {name} is written to images/{name}; data.yaml does not name it")
    return data, warnings


def _flip_idx(reader: Any, joints: int) -> list[int] | None:
    """One keypoint permutation for every class (YOLO has one), if the source has one."""
    perms = [list(map(int, p)) for p in (getattr(reader, "flip_perm", None) or {}).values()]
    perms = [p[:joints] for p in perms if len(p) >= joints and sorted(p[:joints]) == list(range(joints))]
    if not perms:
        return None
    return next((p for p in perms if p != list(range(joints))), perms[0])


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target, start)


def _dump(data: dict) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
