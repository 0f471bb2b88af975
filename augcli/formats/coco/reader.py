"""COCO annotation JSON + image files -> canonical ``Sample``s.

Indexing (the constructor) reads the JSON once, decides where images live
and which folder the output mirrors, and checks every image path and every
annotation, so item problems (missing images, bad polygons, broken RLE) are
known and reported before any work starts. ``load`` decodes one image and
builds its ``Instances`` from the annotations that passed.

The annotations are read as a stream (``coco.scan``), checked one at a time
and not kept: ``coco.index`` keeps numpy columns of what the reader answers
from, and ``annotations_raw`` parses an annotation again from its bytes in
the file when one is asked for (``load`` of its image, the writer's
originals). Files the stream does not handle (invalid JSON, annotations
nested too deep, encodings other than UTF-8, a top-level key used twice)
are parsed whole (``coco.document``), with the same results and messages.

Dataset-level problems (``DatasetError``, nothing is written): unreadable or
invalid JSON, no ``images`` list, image ids missing or used twice, category
ids missing or used twice, NaN/Infinity outside the image and annotation
lists. Everything else is per item: the image entry or annotation is
skipped and reported (an annotation id used twice keeps its first use).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from augcli.core.errors import DatasetError, ImageReadError, ItemError, UsageError
from augcli.core.sample import Sample
from augcli.formats.base import ImageLabels
from augcli.formats.coco import layout, wholebody
from augcli.formats.coco.chunks import index_list
from augcli.formats.coco.document import (
    check_document,
    has_non_finite,
    load_json,
    parse_categories,
    refuse_other_tasks,
)
from augcli.formats.coco.facts import FileFacts
from augcli.formats.coco.index import IndexBuilder
from augcli.formats.coco.instances import build_instances
from augcli.formats.coco.parse import (
    keypoint_notes,
)
from augcli.formats.coco.scan import DocumentScan, Element, Fallback, file_stamp
from augcli.formats.images import decode_image
from augcli.geometry.extras import MIRROR_META


class _MayHoldNonFinite(Exception):
    """The file may hold NaN or Infinity, which the walk assumed it did not."""


class CocoReader:
    """Reads one COCO annotation file; see ``DatasetReader`` in ``formats.base``."""

    format_name = "coco"

    def __init__(self, source: Path, images: Path | None = None, split: str | None = None):
        self.annotation_file = layout.find_annotation_file(Path(source))
        self.split = split or layout.split_name(self.annotation_file)
        try:
            try:
                self._read_stream(images)
            except _MayHoldNonFinite:  # the walk assumed it did not (coco.facts): again, knowing
                self._read_stream(images, non_finite=True)
        except (Fallback, DatasetError, ValueError, RecursionError, OSError):  # the rare file: whole
            self._read_whole(images)
        self.flip_perm = wholebody.flip_permutations(self.categories, self.num_keypoints, self._labels_seen)

    def _read_whole(self, images: Path | None) -> None:
        self.problems: list[ItemError] = []
        self._digest: tuple[tuple[int, int], str] | None = None
        self.data, self._non_finite, too_deep = load_json(self.annotation_file)
        self.cut_annotations = frozenset(too_deep)  # never written back, not even as read
        self.images_raw: list = self.data["images"]
        self.annotations_raw: Sequence = self.data.get("annotations") or []
        self._read_categories(self.data.get("categories"))
        self._index_images(images)
        builder = self._builder(too_deep)
        for ann_index, ann in enumerate(self.annotations_raw):
            builder.add(ann_index, ann)
        self._finish(builder)

    def _read_stream(self, images: Path | None, non_finite: bool | None = None) -> None:
        """The file read as a stream (``coco.scan``); raises ``Fallback`` (or the error
        reading it whole reports better) for what the stream does not handle. Unless told
        ``non_finite``, the walk assumes the file holds no NaN while a helper scans it
        (``coco.facts``), and raises ``_MayHoldNonFinite`` when it may."""
        self.problems = []
        self._digest = None
        self.cut_annotations = frozenset()
        builders: list[IndexBuilder] = []  # made once the images are indexed
        first: list = []  # the first annotation (what other COCO tasks are told by)
        later: list[int] = []  # where the annotations start, when the images come after them

        def on_value(key: str, value: object) -> None:
            if key == "images":
                if not isinstance(value, list):
                    raise Fallback
                self.images_raw = value
                self._index_images(images)
                builders.append(self._builder({}))

        def on_annotations(elements: Iterator[Element], offset: int) -> int | None:
            if builders:
                return self._add_stream(builders[0], scan, offset, first)
            later.append(offset)
            return None

        with DocumentScan(self.annotation_file) as scan:
            facts = FileFacts.start(scan.fd) if non_finite is None else None
            self._non_finite = bool(non_finite)
            try:
                top = scan.walk(on_value, on_annotations)
                if not builders:
                    raise Fallback
                if later:
                    self._add_stream(builders[0], scan, later[0], first)
                if facts is not None:
                    found, digest = facts.get()
                    if found:
                        raise _MayHoldNonFinite
                    self._digest = scan.stamp, digest
            finally:
                if facts is not None:
                    facts.cancel()
        listed = top.get("annotations") is ...
        check_document(
            top, first if listed else top.get("annotations"), self._non_finite, self.annotation_file
        )
        self._read_categories(top.get("categories"))
        self.annotations_raw = builders[0].spans(self.annotation_file, scan.stamp) if listed else []
        if listed:
            top["annotations"] = self.annotations_raw
        self.data = top
        self._finish(builders[0])

    def _add_stream(self, builder: IndexBuilder, scan: DocumentScan, at: int, first: list) -> int:
        def check_first(ann: object) -> None:  # what other COCO tasks are told by
            first.append(ann)
            refuse_other_tasks(first, self.annotation_file)

        return index_list(builder, scan, at, check_first)

    # -- the DatasetReader contract -------------------------------------------------------------

    def keys(self) -> list[str]:
        return list(self._key_to_index)

    def source_path(self, key: str) -> Path:
        return self._path(self.image_index(key))

    def _path(self, index: int) -> Path:
        name = self._names[index]
        assert name is not None  # every indexed image (every key) has one
        return self.image_dir / name  # built when asked: a Path per image costs ~15 us

    def split_names(self) -> list[str]:
        return [self.split]

    def split_of(self, key: str) -> str:
        self.image_index(key)
        return self.split

    def load(self, key: str) -> Sample:
        index = self.image_index(key)
        entry = self.images_raw[index]
        image_id = entry["id"]
        path = self._path(index)
        try:
            pixels, info = decode_image(path, self._sizes[index])
        except ImageReadError as err:
            err.image = image_id
            raise
        height, width = pixels.shape[:2]
        rows = self._index.used(index).tolist()
        instances = build_instances(
            [self.annotations_raw[row] for row in rows],
            [self._index.encoding(row) for row in rows],
            self.num_keypoints,
            self.wholebody,
            (height, width),
            file=str(path),
            image=image_id,
        )
        meta = dict(info)
        meta.update(
            {
                "key": key,
                "path": str(path),
                "file_name": entry.get("file_name"),
                "image_id": image_id,
                "image_index": index,
                "width": width,
                "height": height,
                "source_format": "coco",
                "split": self.split,
                "flip_perm": self.flip_perm,
            }
        )
        if self.wholebody:
            meta[MIRROR_META] = wholebody.MIRROR
        return Sample(image=pixels, instances=instances, meta=meta)

    def labels(self, key: str) -> ImageLabels:
        index = self.image_index(key)
        rows = self._index.used(index)
        size = self._sizes[index]
        return ImageLabels.from_lists(
            self._index.category[rows],
            self._index.box[rows],
            self._index.crowd[rows],
            visibility=self._index.visibilities(rows) if self.num_keypoints else None,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )

    # -- what the engine and the writer ask ---------------------------------------------------

    def annotation_digest(self) -> str | None:
        """SHA-256 (hex) of the annotation file as read, when the reader found it and the file
        is unchanged since (size and modification time); else None."""
        if self._digest is None:
            return None
        stamp, digest = self._digest
        try:
            return digest if file_stamp(os.stat(self.annotation_file)) == stamp else None
        except OSError:
            return None

    @property
    def may_hold_non_finite(self) -> bool:
        """True if NaN or Infinity may appear somewhere in the file (a cheap byte scan said so)."""
        return bool(self._non_finite)

    @property
    def notes(self) -> list[str]:
        """Harmless oddities of the dataset, reported once as warnings."""
        notes = keypoint_notes(self._keypoint_oddities)
        notes += [
            f"annotation field {name!r} holds coordinates augcli cannot move: augmented copies "
            "drop it (originals keep it; the recipe's labels.unknown_fields: keep keeps it as read)"
            for name in sorted(self._unmovable)
        ]
        return notes

    def image_index(self, key: str) -> int:
        try:
            return self._key_to_index[key]
        except KeyError:
            raise ImageReadError(
                f"no image with key {key!r} in this dataset", file=str(self.annotation_file)
            ) from None

    def targets(self) -> tuple[str, ...]:
        """Label targets present in the dataset, in ``transforms.base.TARGETS`` order."""
        return tuple(
            t
            for t in ("image", "boxes", "polygons", "masks", "keypoints")
            if t == "image" or t in self._targets
        )

    def keypoint_categories(self) -> tuple[set[int], set[int]]:
        """(category ids that annotations use, those with keypoints: declared names or on instances)."""
        declared = {c.id for c in self.categories.items if c.keypoints}
        return set(self._labels_seen), (self._keypoint_labels | declared)

    def category_counts(self, keys: list[str]) -> list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
        """Per key, the categories of its valid annotations with their counts in first-seen
        order, all of them and the non-crowd ones: ``Counter(labels(key).labels)`` (and of
        the non-crowd labels) for every key at once (``engine.class_plan.image_classes``)."""
        return self._index.category_counts([self.image_index(key) for key in keys])

    def annotation_count(self) -> int:
        """Annotations attached to readable images (what an identity run writes back)."""
        return self._index.readable_count()

    def valid_annotation_indices(self, index: int) -> list[int]:
        """The annotations of image ``index`` that passed validation, in input order."""
        return self._index.used(index).tolist()

    def annotation_indices(self, index: int) -> list[int]:
        """Every input annotation of image ``index`` (valid or not), in input order."""
        return self._index.attached(index).tolist()

    def duplicate_number(self, index: int) -> int:
        """1 for the first image entry using its file name, 2 for the next..."""
        return self._duplicate[index]

    def clean_name(self, index: int) -> str | None:
        """The entry's file name as augcli uses it; None for an entry that was not indexed."""
        return self._names[index]

    @property
    def annotation_relpath(self) -> Path:
        # the folder is resolved like the root; the file keeps its own name even if it is a link
        return self.annotation_file.parent.resolve().relative_to(self.root) / self.annotation_file.name

    @property
    def image_dir_relpath(self) -> Path:
        return self.image_dir.resolve().relative_to(self.root)

    @property
    def max_image_id(self) -> int:
        return max((img["id"] for img in self.images_raw), default=0)

    @property
    def max_annotation_id(self) -> int:
        return self._max_annotation_id

    # -- indexing -----------------------------------------------------------------------------

    def _read_categories(self, raw: object) -> None:
        self.categories, category_ids = parse_categories(raw, self.annotation_file)
        self._category_ids = frozenset(category_ids)

    def _index_images(self, images: Path | None) -> None:
        where = str(self.annotation_file)
        self._id_to_index: dict[int, int] = {}
        self._names: list[str | None] = [None] * len(self.images_raw)
        self._sizes: list[tuple[int, int] | None] = [None] * len(self.images_raw)
        for index, entry in enumerate(self.images_raw):
            image_id = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(image_id, int) or isinstance(image_id, bool):
                raise DatasetError(f"images[{index}] has no integer id", file=where)
            if image_id in self._id_to_index:
                raise DatasetError(f"image id {image_id} is used twice (images[{index}])", file=where)
            self._id_to_index[image_id] = index
            try:
                if self._non_finite and has_non_finite(entry):
                    raise ImageReadError("the image entry holds NaN or Infinity")
                name, size = layout.clean_file_name(entry.get("file_name")), _image_size(entry)
                self._names[index], self._sizes[index] = name, size
            except ImageReadError as err:
                self._problem(_with_raw(err, entry), file=where, image=image_id)
        valid_names = [n for n in self._names if n is not None]
        self.image_dir = layout.choose_image_dir(self.annotation_file, valid_names, images)
        self.root = layout.dataset_root(self.annotation_file, self.image_dir)
        self._real_image_dir = os.path.realpath(self.image_dir)
        self._duplicate = [1] * len(self.images_raw)
        self._key_to_index: dict[str, int] = {}
        seen: dict[str, int] = {}
        for index, listed in enumerate(self._names):
            if listed is None:
                continue
            name = listed
            if not self._usable(name, self.images_raw[index]["id"]):
                continue
            seen[name] = seen.get(name, 0) + 1
            self._duplicate[index] = seen[name]
            key = name
            while key in self._key_to_index:  # same file listed twice: keep both, distinctly
                key = f"{name}#{seen[name]}" if key == name else f"{key}#"
            self._key_to_index[key] = index

    def _usable(self, name: str, image_id: int) -> bool:
        problem = layout.image_problem(self._real_image_dir, name, self.root)
        if problem == "not found":
            problem = f"image not found (file_name {name!r} resolved against {self.image_dir})"
        if problem is not None:
            entry = self.images_raw[self._id_to_index[image_id]]
            path = self.image_dir / name
            self._problem(_with_raw(ImageReadError(problem), entry), file=str(path), image=image_id)
            return False
        return True

    def _builder(self, too_deep: dict[int, int]) -> IndexBuilder:
        readable = [False] * len(self.images_raw)
        for index in self._key_to_index.values():
            readable[index] = True
        return IndexBuilder(
            str(self.annotation_file), self._id_to_index, readable, self._sizes, self._non_finite, too_deep
        )

    def _finish(self, builder: IndexBuilder) -> None:
        """What the dataset holds, from the annotations that passed (``coco.index``)."""
        self._index = index = builder.finish(self._category_ids, self.annotations_raw)
        self.problems.extend(builder.problems[i] for i in sorted(builder.problems))
        self._max_annotation_id = 0 if builder.max_id is None else builder.max_id
        self.wholebody = builder.wholebody
        summary = index.summary(self.categories)
        self._targets, self._labels_seen = summary.targets, summary.labels
        self._keypoint_labels, self.num_keypoints = summary.keypoint_labels, summary.num_keypoints
        self._keypoint_oddities, self._unmovable = summary.keypoint_oddities, summary.unmovable

    def _problem(self, err: ItemError, **where) -> None:
        for name, value in where.items():
            if getattr(err, name, None) is None:
                setattr(err, name, value)
        self.problems.append(err)


def open_coco(source: Path, images: Path | None = None):
    """A ``CocoReader``, or a ``SplitReader`` of one per split file (``layout.find_split_files``)."""
    files = layout.find_split_files(Path(source))
    if files is None:
        return CocoReader(source, images=images)
    if images is not None:
        raise UsageError(
            f"--images names one images folder, but {source} holds {len(files)} splits "
            f"({', '.join(files)}); pass one annotation file as SOURCE to use --images"
        )
    from augcli.formats.splits import SplitReader

    parts = {split: CocoReader(path, split=split) for split, path in files.items()}
    return SplitReader(parts, source=Path(source))


def _image_size(entry: dict) -> tuple[int, int] | None:
    width, height = entry.get("width"), entry.get("height")
    if width is None and height is None:
        return None
    valid = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (width, height))
    if not valid:
        raise ImageReadError(f"image width/height {width!r}x{height!r} are not positive integers")
    return int(width), int(height)  # type: ignore[arg-type]  # checked above


def _with_raw(err: ItemError, entry: object) -> ItemError:
    """``err`` carrying the annotation as read (reported when it is left out of the output)."""
    err.raw = entry
    return err
