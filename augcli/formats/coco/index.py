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

``add_batch`` takes many at once (``coco.batch`` picks the plainly valid
ones), ``part``/``join`` let another process index a stretch of the list
(``coco.chunks``). ``IndexBuilder.spans`` gives the list itself (``coco.spans``).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from augcli.core.errors import AnnotationError, ItemError
from augcli.core.sample import Categories
from augcli.formats.coco import wholebody
from augcli.formats.coco.batch import PlainRows, plain_rows
from augcli.formats.coco.counts import first_seen_counts
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
from augcli.formats.coco.scan import Batch
from augcli.formats.coco.spans import AnnotationSpans

ENCODINGS = (POLYGON, RLE, RLE_UNCOMPRESSED, EMPTY, ABSENT)  # code i names ENCODINGS[i]
_CODES = {name: code for code, name in enumerate(ENCODINGS)}
INVALID, UNREADABLE_IMAGE, UNKNOWN_IMAGE = -1, -2, -3  # codes of annotations that are not used
_ROW = ("image", "code", "crowd", "keypoints", "fractional", "unmovable", "length")  # int32 columns
_WIDE = ("category", "offset")  # int64 columns
_INT64 = (-(1 << 63), (1 << 63) - 1)


def _id_of(ann: object) -> object:
    return ann.get("id") if isinstance(ann, dict) else None


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
        self._readable_array = np.asarray(readable, dtype=bool)
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

    @property
    def takes_plain_rows(self) -> bool:
        """Whether ``add_batch`` picks plainly valid rows (not in a file that may hold NaN)."""
        return not (self._non_finite or self._too_deep)

    def add_batch(self, base: int, batch: Batch) -> None:
        """``add`` of annotations ``base``, ``base + 1``...: the plainly valid ones a run at a time
        (``coco.batch``), the others, and runs whose ids were used already, one by one (as read:
        ``batch.whole``, when its polygons were cut out)."""
        anns, offsets, lengths = batch.values, batch.offsets, batch.lengths
        found = None
        if self.takes_plain_rows:
            cut = batch.source is not None
            found = plain_rows(anns, self._id_to_index, self._readable_array, polygons_cut=cut)
        start = 0
        for end in [*np.flatnonzero(~found.plain).tolist(), len(anns)] if found else [len(anns)]:
            if found is None or not self._add_plain(found, base, start, end, offsets, lengths):
                for i in range(start, end):
                    self.add(base + i, batch.whole(i), int(offsets[i]), int(lengths[i]))
            if end < len(anns):
                self.add(base + end, batch.whole(end), int(offsets[end]), int(lengths[end]))
            start = end + 1

    def _add_plain(self, found: PlainRows, base: int, start: int, end: int, offsets, lengths) -> bool:
        """Rows ``start:end`` of ``found`` (all plainly valid) as ``add`` keeps them; False, changing
        nothing, when one of their ids was used before (``add`` says which one by one)."""
        if start == end:
            return True
        ids = found.ids[start:end]
        if len(set(ids)) != len(ids) or not self._ids_seen.isdisjoint(ids):
            return False
        self._ids_seen.update(ids)
        top = max(ids)
        if self.max_id is None or top > self.max_id:
            self.max_id = top
        n = end - start
        rows = np.zeros((n, len(_ROW)), dtype=np.int32)
        rows[:, 0] = found.image[start:end]
        rows[:, 1] = _CODES[POLYGON]
        rows[:, 2] = found.crowd[start:end]
        rows[:, 6] = lengths[start:end]
        self._rows.frombytes(rows.tobytes())
        wide = np.stack([found.category[start:end], np.asarray(offsets[start:end], dtype=np.int64)], axis=1)
        self._wide.frombytes(wide.tobytes())
        self._box.frombytes(np.ascontiguousarray(found.box[start:end], dtype=np.float64).tobytes())
        return True

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

    def part(self) -> dict[str, Any]:
        """Everything this builder found, picklable: a chunk's share for ``join`` (``coco.chunks``)."""
        arrays = {name: getattr(self, name).tobytes() for name in ("_rows", "_wide", "_box", "_visibility")}
        kept = ("problems", "_validated", "_ids_seen", "_unmovable_kinds", "max_id", "wholebody")
        return arrays | {name: getattr(self, name) for name in kept}

    def join(self, part: dict[str, Any], base: int) -> bool:
        """Append a chunk's ``part`` (its annotation i is annotation ``base + i`` here), as if its
        annotations had been added here one by one; False, changing nothing, when one of its ids
        was used here already (which use is the first is for the sequential order to say)."""
        if not self._ids_seen.isdisjoint(part["_ids_seen"]):
            return False
        kinds = self._unmovable_kinds  # numbered in order of first use: the chunk's come after
        renumber = np.zeros(len(part["_unmovable_kinds"]), dtype=np.int32)
        for kind, number in part["_unmovable_kinds"].items():
            renumber[number] = kinds.setdefault(kind, len(kinds))
        if (renumber == np.arange(len(renumber))).all():
            self._rows.frombytes(part["_rows"])
        else:
            rows = np.frombuffer(part["_rows"], dtype=np.int32).reshape(-1, len(_ROW)).copy()
            unmovable = _ROW.index("unmovable")
            rows[:, unmovable] = renumber[rows[:, unmovable]]
            self._rows.frombytes(rows.tobytes())
        for name in ("_wide", "_box", "_visibility"):
            getattr(self, name).frombytes(part[name])
        for ann_index, err in part["problems"].items():
            if err.annotation == f"#{ann_index}" and _id_of(err.raw) is None:  # named by its position
                err.annotation = f"#{base + ann_index}"
            self.problems[base + ann_index] = err
        self._validated.update(base + ann_index for ann_index in part["_validated"])
        self._ids_seen |= part["_ids_seen"]
        if part["max_id"] is not None and (self.max_id is None or part["max_id"] > self.max_id):
            self.max_id = part["max_id"]
        self.wholebody = self.wholebody or part["wholebody"]
        return True

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

    def category_counts(self, images: list[int]) -> list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
        """Per image of ``images``: (category, count) of its valid rows in first-seen order, of
        all of them and of the non-crowd ones (see ``CocoReader.category_counts``)."""
        rows = self.order[self.valid[self.order]]  # by image, in input order within one
        every = first_seen_counts(self.image[rows], self.category[rows])
        crowd = self.crowd[rows]
        non_crowd = (
            first_seen_counts(self.image[rows[~crowd]], self.category[rows[~crowd]]) if crowd.any() else every
        )
        return [(every.get(index, []), non_crowd.get(index, [])) for index in images]

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
