"""COCO annotation JSON + image files -> canonical ``Sample``s.

Indexing (the constructor) reads the JSON once, decides where images live
and which folder the output mirrors, and checks every image path and every
annotation, so item problems (missing images, bad polygons, broken RLE) are
known and reported before any work starts. ``load`` decodes one image and
builds its ``Instances`` from the annotations that passed.

Dataset-level problems (``DatasetError``, nothing is written): unreadable or
invalid JSON, no ``images`` list, image ids missing or used twice, category
ids missing or used twice, NaN/Infinity outside the image and annotation
lists. Everything else is per item: the image entry or annotation is
skipped and reported (an annotation id used twice keeps its first use).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import numpy as np

from augcli.core.errors import AnnotationError, DatasetError, ImageReadError, ItemError, UsageError
from augcli.core.sample import Categories, Category, Instances, Sample, flip_permutation
from augcli.formats.base import ImageLabels
from augcli.formats.coco import layout, wholebody
from augcli.formats.coco.depth import MAX_ANNOTATION_DEPTH, cut_deep_annotations
from augcli.formats.coco.emit import ENCODING_COLUMN, ID_COLUMN, RAW_COLUMN, UNMOVABLE_COLUMN
from augcli.formats.coco.parse import (
    POLYGON,
    RLE,
    RLE_UNCOMPRESSED,
    build_annotation,
    keypoint_count,
    keypoint_notes,
    keypoint_oddities,
    validate_annotation,
)
from augcli.formats.images import decode_image
from augcli.geometry.extras import MIRROR_META


class CocoReader:
    """Reads one COCO annotation file; see ``DatasetReader`` in ``formats.base``."""

    format_name = "coco"

    def __init__(self, source: Path, images: Path | None = None, split: str | None = None):
        self.annotation_file = layout.find_annotation_file(Path(source))
        self.split = split or layout.split_name(self.annotation_file)
        self.data, self._non_finite, self._too_deep = _load_json(self.annotation_file)
        self.cut_annotations = frozenset(self._too_deep)  # never written back, not even as read
        self.images_raw: list = self.data["images"]
        self.annotations_raw: list = self.data.get("annotations") or []
        self.problems: list[ItemError] = []
        self.categories, category_ids = _parse_categories(self.data.get("categories"), self.annotation_file)
        self._category_ids = frozenset(category_ids)
        self._index_images(images)
        self._index_annotations()
        self.flip_perm = self._flip_permutations()

    # -- the DatasetReader contract -------------------------------------------------------------

    def keys(self) -> list[str]:
        return list(self._key_to_index)

    def source_path(self, key: str) -> Path:
        return self._path(self.image_index(key))

    def _path(self, index: int) -> Path:
        path = self._paths[index]
        assert path is not None  # every indexed image (every key) has one
        return path

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
        instances = self._instances(index, width, height, path)
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
        anns = [self.annotations_raw[i] for i, _ in self._valid_anns[index]]
        given = [a.get("bbox") for a in anns]
        boxes = np.array([b or (0, 0, 0, 0) for b in given], dtype=np.float64).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        if None in given:  # rare: the box comes from the geometry, as in load()
            for row, (ann_index, encoding) in enumerate(self._valid_anns[index]):
                if given[row] is None:
                    boxes[row] = build_annotation(self.annotations_raw[ann_index], encoding).box
        visibility = None
        if self.num_keypoints:
            visibility = np.array([v for a in anns for v in (a.get("keypoints") or ())[2::3]])
        size = self._sizes[index]
        return ImageLabels.from_lists(
            [a["category_id"] for a in anns],
            list(boxes),
            [bool(a.get("iscrowd", 0)) for a in anns],
            visibility=visibility,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )

    # -- what the engine and the writer ask ---------------------------------------------------

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

    def annotation_count(self) -> int:
        """Annotations attached to readable images (what an identity run writes back)."""
        return sum(len(self._all_anns[i]) for i in self._key_to_index.values())

    def valid_annotation_indices(self, index: int) -> list[int]:
        """The annotations of image ``index`` that passed validation, in input order."""
        return [ann_index for ann_index, _ in self._valid_anns[index]]

    def annotation_indices(self, index: int) -> list[int]:
        """Every input annotation of image ``index`` (valid or not), in input order."""
        return self._all_anns[index]

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
        ids = [a.get("id") for a in self.annotations_raw if isinstance(a, dict)]
        return max((i for i in ids if isinstance(i, int) and not isinstance(i, bool)), default=0)

    # -- indexing -----------------------------------------------------------------------------

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
                if self._non_finite and _has_non_finite(entry):
                    raise ImageReadError("the image entry holds NaN or Infinity")
                name, size = layout.clean_file_name(entry.get("file_name")), _image_size(entry)
                self._names[index], self._sizes[index] = name, size
            except ImageReadError as err:
                self._problem(_with_raw(err, entry), file=where, image=image_id)
        valid_names = [n for n in self._names if n is not None]
        self.image_dir = layout.choose_image_dir(self.annotation_file, valid_names, images)
        self.root = layout.dataset_root(self.annotation_file, self.image_dir)
        self._real_image_dir = os.path.realpath(self.image_dir)
        self._paths: list[Path | None] = [None] * len(self.images_raw)
        self._duplicate = [1] * len(self.images_raw)
        self._key_to_index: dict[str, int] = {}
        seen: dict[str, int] = {}
        for index, listed in enumerate(self._names):
            if listed is None:
                continue
            name = listed
            path = self._checked_path(name, self.images_raw[index]["id"])
            if path is None:
                continue
            self._paths[index] = path
            seen[name] = seen.get(name, 0) + 1
            self._duplicate[index] = seen[name]
            key = name
            while key in self._key_to_index:  # same file listed twice: keep both, distinctly
                key = f"{name}#{seen[name]}" if key == name else f"{key}#"
            self._key_to_index[key] = index

    def _checked_path(self, name: str, image_id: int) -> Path | None:
        path = self.image_dir / name
        problem = layout.image_problem(self._real_image_dir, name, self.root)
        if problem == "not found":
            problem = f"image not found (file_name {name!r} resolved against {self.image_dir})"
        if problem is not None:
            entry = self.images_raw[self._id_to_index[image_id]]
            self._problem(_with_raw(ImageReadError(problem), entry), file=str(path), image=image_id)
            return None
        return path

    def _index_annotations(self) -> None:
        self._all_anns: list[list[int]] = [[] for _ in self.images_raw]
        self._valid_anns: list[list[tuple[int, str]]] = [[] for _ in self.images_raw]
        self._targets: set[str] = set()
        self._labels_seen: set[int] = set()
        self._keypoint_labels: set[int] = set()
        self.num_keypoints = self.categories.max_keypoints()
        readable = {index for index in self._key_to_index.values()}
        where = str(self.annotation_file)
        keypoint_counts = {c.id: len(c.keypoints) for c in self.categories.items if c.keypoints}
        ids_seen: set = set()
        self._keypoint_oddities: set[str] = set()
        self.wholebody = any(isinstance(a, dict) and wholebody.has_sets(a) for a in self.annotations_raw)
        self._unmovable: set[str] = set()
        for ann_index, ann in enumerate(self.annotations_raw):
            ann_id = ann.get("id") if isinstance(ann, dict) else None
            image_id = ann.get("image_id") if isinstance(ann, dict) else None
            index = self._id_to_index.get(image_id) if _hashable(image_id) else None  # type: ignore[arg-type]
            if index is None:
                self._problem(
                    _with_raw(
                        AnnotationError(f"refers to image id {image_id!r}, which is not in images"), ann
                    ),
                    file=where,
                    image=image_id if _hashable(image_id) else None,
                    annotation=ann_id if ann_id is not None else f"#{ann_index}",
                )
                continue
            self._all_anns[index].append(ann_index)
            if index not in readable:
                continue
            try:
                if ann_index in self._too_deep:
                    raise AnnotationError(
                        f"nested {self._too_deep[ann_index]} levels deep, more than the "
                        f"{MAX_ANNOTATION_DEPTH} augcli reads (the report's raw entry has null there)"
                    )
                if _hashable(ann_id) and ann_id is not None:
                    if ann_id in ids_seen:
                        raise AnnotationError(
                            f"annotation id {ann_id!r} is used twice; only its first use is augmented"
                        )
                    ids_seen.add(ann_id)
                if self._non_finite and _has_non_finite(ann):
                    raise AnnotationError("the annotation holds NaN or Infinity")
                encoding = validate_annotation(ann, self._sizes[index], self._category_ids)
            except AnnotationError as err:
                self._problem(
                    _with_raw(err, ann),
                    file=where,
                    image=image_id,
                    annotation=ann_id if ann_id is not None else f"#{ann_index}",
                )
                continue
            self._valid_anns[index].append((ann_index, encoding))
            self._note_targets(ann, encoding)
            self._keypoint_oddities |= keypoint_oddities(ann, keypoint_counts.get(ann["category_id"]))
            self._unmovable.update(wholebody.unmovable_fields(ann, self.wholebody))

    def _note_targets(self, ann: dict, encoding: str) -> None:
        self._targets.add("boxes")
        if encoding == POLYGON:
            self._targets.add("polygons")
        elif encoding in (RLE, RLE_UNCOMPRESSED):
            self._targets.add("masks")
        self._labels_seen.add(ann["category_id"])
        count = keypoint_count(ann)
        if count:
            self._keypoint_labels.add(ann["category_id"])
            self._targets.add("keypoints")
            self.num_keypoints = max(self.num_keypoints, count)

    def _problem(self, err: ItemError, **where) -> None:
        for name, value in where.items():
            if getattr(err, name, None) is None:
                setattr(err, name, value)
        self.problems.append(err)

    def _flip_permutations(self) -> dict[int, np.ndarray]:
        if not self.num_keypoints:
            return {}
        perms = {}
        for category in self.categories.items:
            perm = np.arange(self.num_keypoints)
            names = category.keypoints[: self.num_keypoints]
            perm[: len(names)] = flip_permutation(names)
            if len(names) == 17 and self.num_keypoints == wholebody.MERGED_POINTS:
                perm[17:] = wholebody.merged_flip_tail()  # a merged whole-body file
            perms[category.id] = perm
        for label in self._labels_seen - set(perms):  # only when categories are not listed
            perms[label] = np.arange(self.num_keypoints)
        return perms

    # -- building a sample --------------------------------------------------------------------

    def _instances(self, index: int, width: int, height: int, path: Path) -> Instances:
        parsed, raws, ids, encodings = [], [], [], []
        for ann_index, encoding in self._valid_anns[index]:
            ann = self.annotations_raw[ann_index]
            item = build_annotation(ann, encoding)
            if item.mask is not None and list(item.mask["size"]) != [height, width]:
                # only reachable when the image entry had no width/height to check against
                raise AnnotationError(
                    f"RLE size {item.mask['size']} differs from the decoded image {height}x{width}",
                    file=str(path),
                    image=self.images_raw[index]["id"],
                    annotation=ann.get("id"),
                )
            parsed.append(item)
            raws.append(ann)
            ids.append(ann.get("id"))
            encodings.append(encoding)
        count = len(parsed)
        joints = self.num_keypoints
        keypoints = kp_count = None
        if joints:
            keypoints = np.zeros((count, joints, 3))
            kp_count = np.zeros(count, dtype=np.int64)
            for row, item in enumerate(parsed):
                if item.keypoints is not None:
                    keypoints[row, : len(item.keypoints)] = item.keypoints
                    kp_count[row] = len(item.keypoints)
        box_sets, point_sets = self._sets(raws)
        return Instances(
            labels=np.array([p.label for p in parsed], dtype=np.int64),
            boxes=np.array([p.box for p in parsed], dtype=np.float64).reshape(count, 4),
            polygons=[p.polygon for p in parsed],
            masks=[p.mask for p in parsed],
            keypoints=keypoints,
            kp_count=kp_count,
            crowd=np.array([p.crowd for p in parsed], dtype=bool),
            extra={
                RAW_COLUMN: raws,
                ID_COLUMN: ids,
                ENCODING_COLUMN: encodings,
                UNMOVABLE_COLUMN: [wholebody.unmovable_fields(a, self.wholebody) for a in raws],
            },
            box_sets=box_sets,
            point_sets=point_sets,
        )

    def _sets(self, raws: list[dict]) -> tuple[dict, dict]:
        """COCO-WholeBody boxes and keypoint sets as ``Instances`` columns (none otherwise)."""
        if not self.wholebody:
            return {}, {}
        read = [wholebody.read_sets(a) for a in raws]
        boxes = {name: [b[name] for b, _ in read] for name in wholebody.BOX_FIELDS}
        points = {name: [p[name] for _, p in read] for name in wholebody.POINT_FIELDS}
        return boxes, points


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


def _hashable(value: object) -> bool:
    return isinstance(value, (int, str, float)) or value is None


def _image_size(entry: dict) -> tuple[int, int] | None:
    width, height = entry.get("width"), entry.get("height")
    if width is None and height is None:
        return None
    valid = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (width, height))
    if not valid:
        raise ImageReadError(f"image width/height {width!r}x{height!r} are not positive integers")
    return int(width), int(height)  # type: ignore[arg-type]  # checked above


# JSON that Python reads but that is not JSON: NaN, Infinity, and numbers too big for a
# float (a digit, e or E, an optional +, three digits). Each exponent pattern starts with a
# literal byte so re scans for it at memchr speed (one [0-9][eE] pattern took ~0.7x json.load).
_BIG_EXPONENTS = (re.compile(rb"e\+?[0-9]{3}"), re.compile(rb"E\+?[0-9]{3}"))


def _may_hold_non_finite(raw: bytes) -> bool:
    if b"NaN" in raw or b"Infinity" in raw:
        return True
    return any(
        raw[match.start() - 1 : match.start()].isdigit()
        for pattern in _BIG_EXPONENTS
        for match in pattern.finditer(raw)
    )


def _load_json(path: Path) -> tuple[dict, bool, dict[int, int]]:
    """The parsed document, whether it may hold NaN or Infinity somewhere, and the
    annotations cut for nesting too deep (index: depth; see ``coco.depth``)."""
    cut: dict[int, int] = {}
    try:
        raw = path.read_bytes()
        try:
            data = json.loads(raw)
        except RecursionError:  # maybe one annotation's custom field: that annotation goes
            raw, cut = cut_deep_annotations(raw)
            if not cut:
                raise
            data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise DatasetError(
            f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}", file=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"cannot read annotation file: {err}", file=str(path)) from None
    except (ValueError, RecursionError) as err:  # 5000-digit integers, nesting too deep for Python
        raise DatasetError(f"not usable JSON: {err}", file=str(path)) from None
    if isinstance(data, list):
        raise DatasetError(
            "this JSON is a list (it looks like detection results), not a COCO "
            "dataset with images and annotations",
            file=str(path),
        )
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise DatasetError("not a COCO dataset: no 'images' list", file=str(path))
    annotations = data.get("annotations")
    if annotations is not None and not isinstance(annotations, list):
        raise DatasetError("'annotations' is not a list", file=str(path))
    _refuse_other_tasks(annotations or [], path)
    non_finite = _may_hold_non_finite(raw)
    if non_finite:
        for key, value in data.items():
            if key not in ("images", "annotations") and _has_non_finite(value):
                raise DatasetError(
                    f"'{key}' holds NaN or Infinity, which JSON does not allow", file=str(path)
                )
    return data, non_finite, cut


def _has_non_finite(value: object) -> bool:
    """True if a NaN or an infinity hides anywhere in ``value`` (a parsed JSON value)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _refuse_other_tasks(annotations: list, path: Path) -> None:
    first = annotations[0] if annotations else None
    if not isinstance(first, dict):
        return
    if "segments_info" in first:
        raise DatasetError(
            "this is a COCO panoptic file; augcli reads instance/keypoint files", file=str(path)
        )
    if "caption" in first and not any(k in first for k in ("bbox", "segmentation", "keypoints")):
        raise DatasetError("this is a COCO captions file; it has no instances to augment", file=str(path))


def _parse_categories(raw: object, path: Path) -> tuple[Categories, list[int]]:
    if raw is None:
        return Categories([]), []
    if not isinstance(raw, list):
        raise DatasetError("'categories' is not a list", file=str(path))
    items = []
    seen: set[int] = set()
    for position, cat in enumerate(raw):
        cat_id = cat.get("id") if isinstance(cat, dict) else None
        if not isinstance(cat_id, int) or isinstance(cat_id, bool):
            raise DatasetError(f"categories[{position}] has no integer id", file=str(path))
        if cat_id in seen:
            raise DatasetError(f"category id {cat_id} is used twice (categories[{position}])", file=str(path))
        seen.add(cat_id)
        names = cat.get("keypoints") or []
        skeleton = cat.get("skeleton") or []
        items.append(
            Category(
                id=cat_id,
                name=str(cat.get("name", cat_id)),
                keypoints=tuple(str(n) for n in names) if isinstance(names, list) else (),
                skeleton=tuple(
                    (int(p[0]), int(p[1]))
                    for p in skeleton
                    if isinstance(p, list) and len(p) == 2 and all(isinstance(v, int) for v in p)
                )
                if isinstance(skeleton, list)
                else (),
            )
        )
    return Categories(items), [c.id for c in items]


def _with_raw(err: ItemError, entry: object) -> ItemError:
    """``err`` carrying the annotation as read (reported when it is left out of the output)."""
    err.raw = entry
    return err
