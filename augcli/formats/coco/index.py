"""The COCO reader's per-annotation index: numpy columns instead of parsed annotations.

``IndexBuilder.add`` takes the annotations one at a time (as the streaming walk
or the parsed document gives them), checks each one as the reader always has
(unknown image, nesting cut, id used twice, NaN/Infinity, ``validate_annotation``)
and keeps only what the reader answers from: the image it belongs to, its
encoding (or why it is not used), category, xyxy box, crowd flag, keypoint
count and visibilities, and the unmovable fields it holds. The category check
runs after the last annotation (``finish``): official COCO files list the
categories after the annotations. ``AnnotationIndex`` groups the rows by image
(a stable argsort: input order within an image).

``AnnotationSpans`` is the annotation list itself for files read as a stream:
``spans[i]`` parses annotation ``i`` from its bytes in the file, read through a
descriptor each process opens for itself on first use, after checking that the
file is the one that was indexed.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from augcli.core.errors import AnnotationError, DatasetError, ItemError
from augcli.core.sample import Categories
from augcli.formats.coco import wholebody
from augcli.formats.coco.depth import MAX_ANNOTATION_DEPTH
from augcli.formats.coco.document import has_non_finite
from augcli.formats.coco.parse import (
    ABSENT,
    COUNT_DIFFERS,
    EMPTY,
    FRACTIONAL_V,
    POLYGON,
    RLE,
    RLE_UNCOMPRESSED,
    build_annotation,
    keypoint_oddities,
    validate_annotation,
)
from augcli.formats.coco.scan import file_stamp, parse_span

ENCODINGS = (POLYGON, RLE, RLE_UNCOMPRESSED, EMPTY, ABSENT)  # code i names ENCODINGS[i]
_CODES = {name: code for code, name in enumerate(ENCODINGS)}
INVALID, UNREADABLE_IMAGE, UNKNOWN_IMAGE = -1, -2, -3  # codes of annotations that are not used
_ROW = ("image", "code", "crowd", "keypoints", "fractional", "unmovable", "length")  # int32 columns
_WIDE = ("category", "offset")  # int64 columns
_INT64 = (-(1 << 63), (1 << 63) - 1)
_READ_AHEAD = 1 << 20  # bytes read at once when annotations are asked for in file order


def _hashable(value: object) -> bool:
    return isinstance(value, (int, str, float)) or value is None


class IndexBuilder:
    """Rows of ``AnnotationIndex``, one ``add`` per annotation (see the module docstring)."""

    def __init__(
        self,
        where: str,
        id_to_index: dict[int, int],
        readable: Sequence[bool],
        sizes: list[tuple[int, int] | None],
        non_finite: bool,
        too_deep: dict[int, int],
    ):
        self._where, self._id_to_index, self._readable, self._sizes = where, id_to_index, readable, sizes
        self._non_finite, self._too_deep = non_finite, too_deep
        self._rows = array("i")  # _ROW values per annotation, one extend each (appends cost per call)
        self._wide = array("q")  # _WIDE values per annotation
        self._box, self._visibility = array("d"), array("d")
        self.problems: dict[int, ItemError] = {}
        self._validated: set[int] = set()  # invalid annotations validate_annotation refused
        self._ids_seen: set = set()
        self._unmovable_kinds: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {((), ()): 0}
        self.max_id: int | None = None
        self.wholebody = False

    def add(self, ann_index: int, ann: Any, offset: int = 0, length: int = 0) -> None:
        """Index annotation ``ann_index`` (``offset``, ``length``: its bytes in the file)."""
        ann_id = image_id = None
        if isinstance(ann, dict):
            ann_id, image_id = ann.get("id"), ann.get("image_id")
            if isinstance(ann_id, int) and not isinstance(ann_id, bool):
                if self.max_id is None or ann_id > self.max_id:
                    self.max_id = ann_id
            self.wholebody = self.wholebody or wholebody.has_sets(ann)
        index = self._id_to_index.get(image_id) if _hashable(image_id) else None  # type: ignore[arg-type]
        if index is None:
            self._unused(-1, UNKNOWN_IMAGE, offset, length)
            error = AnnotationError(f"refers to image id {image_id!r}, which is not in images")
            self._problem(ann_index, error, ann, image_id if _hashable(image_id) else None, ann_id)
            return
        if not self._readable[index]:
            self._unused(index, UNREADABLE_IMAGE, offset, length)
            return
        try:
            self._check(ann_index, ann, ann_id)
        except AnnotationError as err:
            self._unused(index, INVALID, offset, length)
            self._problem(ann_index, err, ann, image_id, ann_id)
            return
        try:
            encoding = validate_annotation(ann, self._sizes[index], ())  # categories: see finish
            if not _INT64[0] <= ann["category_id"] <= _INT64[1]:
                raise AnnotationError(f"category_id {ann['category_id']} does not fit in 64 bits")
        except AnnotationError as err:
            self._unused(index, INVALID, offset, length)
            self._problem(ann_index, err, ann, image_id, ann_id)
            self._validated.add(ann_index)
            return
        self._used(index, ann, encoding, offset, length)

    def _check(self, ann_index: int, ann: dict, ann_id: object) -> None:
        if ann_index in self._too_deep:
            raise AnnotationError(
                f"nested {self._too_deep[ann_index]} levels deep, more than the "
                f"{MAX_ANNOTATION_DEPTH} augcli reads (the report's raw entry has null there)"
            )
        if _hashable(ann_id) and ann_id is not None:
            if ann_id in self._ids_seen:
                raise AnnotationError(
                    f"annotation id {ann_id!r} is used twice; only its first use is augmented"
                )
            self._ids_seen.add(ann_id)
        if self._non_finite and has_non_finite(ann):
            raise AnnotationError("the annotation holds NaN or Infinity")

    def _unused(self, index: int, code: int, offset: int, length: int) -> None:
        self._rows.extend((index, code, 0, 0, 0, 0, length))
        self._wide.extend((0, offset))
        self._box.extend((0.0, 0.0, 0.0, 0.0))

    def _used(self, index: int, ann: dict, encoding: str, offset: int, length: int) -> None:
        bbox = ann.get("bbox")
        if bbox is None:  # rare: the box comes from the geometry, as load() makes it
            self._box.extend(build_annotation(ann, encoding).box.tolist())
        else:
            x, y, w, h = map(float, bbox)
            self._box.extend((x, y, x + w, y + h))
        points = ann.get("keypoints")
        count = len(points) // 3 if isinstance(points, list) else 0
        fractional = False
        if count:
            self._visibility.extend(map(float, points[2::3]))  # type: ignore[index]  # a list
            fractional = FRACTIONAL_V in keypoint_oddities(ann, None)
        unmovable = 0  # the usual case: nothing unmovable, read as COCO-WholeBody or not
        as_sets = wholebody.unmovable_fields(ann, True)
        as_plain = wholebody.unmovable_fields(ann, False) if wholebody.has_sets(ann) else as_sets
        if as_sets or as_plain:
            kind = (tuple(as_plain), tuple(as_sets))
            unmovable = self._unmovable_kinds.setdefault(kind, len(self._unmovable_kinds))
        crowd = bool(ann.get("iscrowd", 0))
        self._rows.extend((index, _CODES[encoding], crowd, count, fractional, unmovable, length))
        self._wide.extend((ann["category_id"], offset))

    def _problem(self, ann_index: int, err: ItemError, ann: Any, image: object, ann_id: object) -> None:
        err.raw = ann  # reported with the annotation as read when it is left out of the output
        for name, value in (
            ("file", self._where),
            ("image", image),
            ("annotation", ann_id if ann_id is not None else f"#{ann_index}"),
        ):
            if getattr(err, name, None) is None:
                setattr(err, name, value)
        self.problems[ann_index] = err

    def finish(self, category_ids: frozenset[int], annotations: Sequence) -> AnnotationIndex:
        """The index, once ``annotations`` (the list as read) were all added."""
        column = self._columns()
        code, category = column["code"].astype(np.int8), column["category"].copy()
        if category_ids:  # what validate_annotation says of an annotation with an unknown category
            missing = [c for c in np.unique(category[code >= 0]).tolist() if c not in category_ids]
            unknown = np.flatnonzero((code >= 0) & np.isin(category, missing)).tolist()
            for ann_index in unknown:
                self._check_category(ann_index, annotations[ann_index], category_ids, code)
            for ann_index in self._validated:
                self._check_category(ann_index, self.problems[ann_index].raw, category_ids, code)
        unmovable = sorted(self._unmovable_kinds, key=self._unmovable_kinds.__getitem__)
        index = AnnotationIndex(
            image=column["image"].astype(np.int32),
            code=code,
            category=category,
            box=np.frombuffer(self._box, dtype=np.float64).reshape(-1, 4).copy(),
            crowd=column["crowd"].astype(bool),
            keypoints=column["keypoints"].astype(np.int32),
            visibility=np.frombuffer(self._visibility, dtype=np.float64).copy(),
            fractional=column["fractional"].astype(bool),
            unmovable=column["unmovable"].astype(np.int32),
            unmovable_kinds=[kind[1] if self.wholebody else kind[0] for kind in unmovable],
            images=len(self._sizes),
        )
        del column
        self._rows, self._wide, self._box, self._visibility = array("i"), array("q"), array("d"), array("d")
        return index

    def _columns(self) -> dict[str, np.ndarray]:
        rows = np.frombuffer(self._rows, dtype=np.int32).reshape(-1, len(_ROW))
        wide = np.frombuffer(self._wide, dtype=np.int64).reshape(-1, len(_WIDE))
        return {name: rows[:, i] for i, name in enumerate(_ROW)} | {
            n: wide[:, i] for i, n in enumerate(_WIDE)
        }

    def _check_category(
        self, ann_index: int, ann: Any, category_ids: frozenset[int], code: np.ndarray
    ) -> None:
        index = int(self._rows[ann_index * len(_ROW)])
        try:
            validate_annotation(ann, self._sizes[index], category_ids)
        except AnnotationError as err:
            code[ann_index] = INVALID
            self._problem(ann_index, err, ann, ann.get("image_id"), ann.get("id"))

    def spans(self, path: Path, stamp: tuple[int, int]) -> AnnotationSpans:
        """The annotation list read from the file (before ``finish``: it may read some back)."""
        column = self._columns()
        return AnnotationSpans(path, stamp, column["offset"].copy(), column["length"].copy())


class AnnotationIndex:
    """Per-annotation columns (row i: annotation i) and their grouping by image."""

    def __init__(self, *, images: int, unmovable_kinds: list[tuple[str, ...]], **columns: np.ndarray):
        self.image, self.code, self.category = columns["image"], columns["code"], columns["category"]
        self.box, self.crowd, self.keypoints = columns["box"], columns["crowd"], columns["keypoints"]
        self.visibility, self.fractional = columns["visibility"], columns["fractional"]
        self.unmovable, self.unmovable_kinds = columns["unmovable"], unmovable_kinds
        self.order = np.argsort(self.image, kind="stable")[np.count_nonzero(self.image < 0) :]
        counts = np.bincount(self.image[self.image >= 0], minlength=images)
        self.starts = np.concatenate([[0], np.cumsum(counts)])
        self.visibility_starts = np.concatenate([[0], np.cumsum(self.keypoints, dtype=np.int64)])
        self.valid = self.code >= 0

    def attached(self, index: int) -> np.ndarray:
        """Rows of the annotations of image ``index`` (valid or not), in input order."""
        return self.order[self.starts[index] : self.starts[index + 1]]

    def used(self, index: int) -> np.ndarray:
        rows = self.attached(index)
        return rows[self.valid[rows]]

    def encoding(self, row: int) -> str:
        return ENCODINGS[self.code[row]]

    def visibilities(self, rows: np.ndarray) -> np.ndarray:
        starts = self.visibility_starts[rows]
        pieces = [self.visibility[s : s + n] for s, n in zip(starts.tolist(), self.keypoints[rows].tolist())]
        return np.concatenate(pieces) if pieces else np.zeros(0)

    def readable_count(self) -> int:
        return int(np.count_nonzero(self.code >= INVALID))

    def summary(self, categories: Categories) -> IndexSummary:
        """What the annotations that passed hold, as the reader reports it."""
        used = self.valid
        codes = set(np.unique(self.code[used]).tolist())
        with_points = used & (self.keypoints > 0)
        targets = {"boxes"} if codes else set()
        targets |= {"polygons"} if _CODES[POLYGON] in codes else set()
        targets |= {"masks"} if codes & {_CODES[RLE], _CODES[RLE_UNCOMPRESSED]} else set()
        targets |= {"keypoints"} if with_points.any() else set()
        declared = {c.id: len(c.keypoints) for c in categories.items if c.keypoints}
        pairs = np.unique(np.stack([self.category[with_points], self.keypoints[with_points]]), axis=1)
        oddities = {FRACTIONAL_V} if self.fractional[used].any() else set()
        if any(declared.get(label, count) != count for label, count in pairs.T.tolist()):
            oddities.add(COUNT_DIFFERS)
        kinds = np.unique(self.unmovable[used]).tolist()
        return IndexSummary(
            targets=targets,
            labels=set(np.unique(self.category[used]).tolist()),
            keypoint_labels=set(np.unique(self.category[with_points]).tolist()),
            num_keypoints=max(categories.max_keypoints(), int(self.keypoints[used].max(initial=0))),
            keypoint_oddities=oddities,
            unmovable={name for kind in kinds for name in self.unmovable_kinds[kind]},
        )


@dataclass
class IndexSummary:
    targets: set[str]  # label targets present ("boxes", "polygons", "masks", "keypoints")
    labels: set[int]  # category ids used
    keypoint_labels: set[int]  # category ids of annotations with keypoints
    num_keypoints: int  # the widest keypoint row (declared names or on an annotation)
    keypoint_oddities: set[str]  # see parse.keypoint_oddities
    unmovable: set[str]  # fields holding coordinates no warp moves


class AnnotationSpans(Sequence):
    """The annotation list of a file read as a stream (see the module docstring); read only."""

    def __init__(self, path: Path, stamp: tuple[int, int], offsets: np.ndarray, lengths: np.ndarray):
        self._path = Path(os.path.abspath(path))  # a worker's working folder may differ
        self._stamp, self._offsets, self._lengths = stamp, offsets, lengths
        self._fd: int | None = None
        self._pid = -1
        self._buffer, self._buffer_at = b"", 0

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        offset, length = int(self._offsets[index]), int(self._lengths[index])
        start = offset - self._buffer_at
        if not (0 <= start and start + length <= len(self._buffer)) or os.getpid() != self._pid:
            self._buffer = self._read(offset, max(length, _READ_AHEAD))
            self._buffer_at, start = offset, 0
        text = self._buffer[start : start + length].decode("utf-8")
        return parse_span(text)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def _read(self, offset: int, length: int) -> bytes:
        if self._fd is None or os.getpid() != self._pid:  # forked: a descriptor of its own
            try:
                self._fd, self._pid = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC), os.getpid()
            except OSError as err:
                raise DatasetError(f"cannot read annotation file: {err}", file=str(self._path)) from None
        if file_stamp(os.fstat(self._fd)) != self._stamp:  # checked at every read: one fstat
            raise DatasetError(
                "the annotation file changed after it was read; run again on the changed file",
                file=str(self._path),
            )
        return os.pread(self._fd, length, offset)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_fd": None, "_pid": -1, "_buffer": b"", "_buffer_at": 0}

    def __del__(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
