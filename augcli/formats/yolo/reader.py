"""Ultralytics YOLO datasets -> canonical ``Sample``s (see ``yolo.layout``).

Indexing reads the YAML, lists every split's images, and reads and checks
every label file, so bad lines (wrong value count, unknown class) are
reported, with file and line, before any work starts; they are skipped,
the rest of the image is kept. ``load`` decodes one image and scales the
normalised labels to its pixels: boxes, one-ring polygons, keypoints
(``kpt_shape``; ``flip_idx`` drives left/right swaps on mirroring warps).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from augcli.core.errors import AnnotationError, DatasetError, ImageReadError, ItemError
from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.formats import contained
from augcli.formats.base import ImageLabels
from augcli.formats.coco.layout import clean_file_name, image_problem, is_inside
from augcli.formats.images import EXIF_ORIENTATION, decode_image
from augcli.formats.splits import normalize_split
from augcli.formats.yolo import labels as yolo_labels
from augcli.formats.yolo import layout as yolo_layout

KIND_COLUMN = "yolo_kind"  # extra column: how the line was written (box, segment, pose)


@dataclass
class _Item:
    image: str  # relative to the data root, posix
    label: str | None  # label file relative to the data root, when it exists
    split: str
    lines: list[str]  # the usable label lines


class YoloReader:
    """Reads an Ultralytics YOLO dataset; see ``DatasetReader`` in ``formats.base``."""

    format_name = "yolo"

    def __init__(self, source: Path, images: Path | None = None):
        self.layout = yolo_layout.find_layout(Path(source))
        self.data_root = self.layout.data_root
        folders = [self.data_root.resolve()]
        if self.layout.yaml_path is not None:
            folders.append(self.layout.yaml_path.parent.resolve())
        self.root = Path(os.path.commonpath(folders))
        if self.root.parent == self.root:
            raise DatasetError("the YAML and the data root share no folder below the filesystem root")
        self.problems: list[ItemError] = []
        self.notes: list[str] = list(self.layout.notes)
        if images is not None:
            self.notes.append("--images is not used for YOLO datasets (data.yaml names the folders)")
        self.kpt_shape = self.layout.kpt_shape
        self._items: dict[str, _Item] = {}
        self.list_files: dict[str, list[str]] = {}  # split list file -> its images, in order
        self._kinds: set[str] = set()
        self._index()
        self.categories = self._categories()
        self.flip_perm = self._flip_perm()

    # -- the DatasetReader contract ----------------------------------------------------------

    def keys(self) -> list[str]:
        return list(self._items)

    def source_path(self, key: str) -> Path:
        return self.data_root / self.item(key).image

    def load(self, key: str) -> Sample:
        item = self.item(key)
        path = self.source_path(key)
        pixels, info = decode_image(path, _oriented_size(path))
        height, width = pixels.shape[:2]
        parsed = [yolo_labels.parse_line(line, width, height, self.kpt_shape) for line in item.lines]
        meta = dict(info)
        meta.update(
            {
                "key": key,
                "path": str(path),
                "width": width,
                "height": height,
                "source_format": "yolo",
                "split": item.split,
                "flip_perm": self.flip_perm,
            }
        )
        return Sample(image=pixels, instances=self._instances(parsed), meta=meta)

    def labels(self, key: str) -> ImageLabels:
        """Labels in pixels; the image size comes from the file header (no decoding)."""
        item = self.item(key)
        size = _header_size(self.source_path(key)) if item.lines else None
        width, height = size or (1, 1)  # no size: normalised boxes, good for counts only
        parsed = [yolo_labels.parse_line(line, width, height, self.kpt_shape) for line in item.lines]
        visibility = None
        if self.kpt_shape is not None:
            visibility = np.array([v for p in parsed if p.keypoints is not None for v in p.keypoints[:, 2]])
        return ImageLabels.from_lists(
            [p.label for p in parsed],
            [p.box for p in parsed],
            visibility=visibility,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )

    # -- what the engine and the writers ask ---------------------------------------------------

    def item(self, key: str) -> _Item:
        try:
            return self._items[key]
        except KeyError:
            raise ImageReadError(f"no image {key!r} in this dataset", file=str(self.data_root)) from None

    def targets(self) -> tuple[str, ...]:
        found = {"boxes"} if self._kinds else set()
        if yolo_labels.KIND_SEGMENT in self._kinds:
            found.add("polygons")
        if yolo_labels.KIND_POSE in self._kinds:
            found.add("keypoints")
        return tuple(
            t for t in ("image", "boxes", "polygons", "masks", "keypoints") if t == "image" or t in found
        )

    @property
    def task(self) -> str:
        if self.kpt_shape is not None:
            return "pose"
        return "segment" if yolo_labels.KIND_SEGMENT in self._kinds else "detect"

    def annotation_count(self) -> int:
        return sum(len(item.lines) for item in self._items.values())

    def split_of(self, key: str) -> str:
        """The split's folder name (``images/train2017`` -> ``train2017``), else its YAML key."""
        item = self.item(key)
        for entry in self.layout.splits.get(item.split, []):
            folder = entry.strip("/").removeprefix("./")
            if item.image.startswith(folder + "/"):
                name = folder.rsplit("/", 1)[-1]
                return item.split if name in ("images", ".", "", "..") else normalize_split(name)
        return item.split

    def split_names(self) -> list[str]:
        """Splits in YAML order; a YAML key whose images are all in an earlier split is listed too."""
        names = dict.fromkeys(self.split_of(key) for key in self._items)
        with_items = {item.split for item in self._items.values()}
        for split in self.layout.splits:
            if split not in with_items:
                names[split] = None
        return list(names)

    def item_name(self, key: str) -> str:
        """The image path below its split folder (``images/train/a.jpg`` -> ``a.jpg``)."""
        image = self.item(key).image
        for entry in self.layout.splits.get(self.item(key).split, []):
            prefix = entry.strip("/").removeprefix("./") + "/"
            if image.startswith(prefix):
                return image[len(prefix) :]
        return image.rsplit("/", 1)[-1]

    # -- indexing ------------------------------------------------------------------------------

    def _index(self) -> None:
        real_root = os.path.realpath(self.data_root)
        shared: list[str] = []
        for split, entries in self.layout.splits.items():
            for entry in entries:
                for image in self._split_images(split, entry):
                    if image in self._items:
                        if self._items[image].split != split:  # listed by an earlier split: stays there
                            shared.append(f"{image} ({self._items[image].split} and {split})")
                        continue
                    problem = image_problem(real_root, image, self.root)
                    if problem is not None:
                        self.problems.append(
                            ImageReadError(problem, file=str(self.data_root / image), image=image)
                        )
                        continue
                    try:
                        self._items[image] = self._read_labels(image, split)
                    except contained.ContainmentError as err:  # the label file: the item goes
                        self.problems.append(AnnotationError(err.message, file=err.file, image=image))
        if shared:
            more = f" and {len(shared) - 5} more" if len(shared) > 5 else ""
            self.notes.append(
                f"{len(shared)} image(s) are in more than one split (leakage), each kept in the "
                f"first: {', '.join(shared[:5])}{more}"
            )

    def _split_images(self, split: str, entry: str) -> list[str]:
        path = (self.data_root / entry).absolute()
        if not is_inside(Path(os.path.realpath(path)), self.root):
            raise DatasetError(
                f"'{split}: {entry}' resolves outside the dataset folder {self.root}", file=str(path)
            )
        if path.is_dir():
            found, skipped = yolo_layout.list_images(path, self.root)
            self.problems.extend(skipped)
            return [p.relative_to(self.data_root).as_posix() for p in found]
        if path.is_file() and path.suffix.lower() == ".txt":
            try:
                self.list_files[entry] = self._list_file(path)
            except contained.ContainmentError as err:
                self.problems.append(err)
                return []
            return self.list_files[entry]
        raise DatasetError(f"split {split}: {entry} not found", file=str(self.layout.yaml_path or path))

    def _list_file(self, path: Path) -> list[str]:
        out = []
        for number, line in enumerate(contained.read_text(path, self.root).splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            candidate = Path(line) if Path(line).is_absolute() else self.data_root / line
            try:
                out.append(clean_file_name(os.path.relpath(candidate, self.data_root).replace(os.sep, "/")))
            except ImageReadError as err:
                self.problems.append(ImageReadError(err.message, file=str(path), where=f"line {number}"))
        return out

    def _read_labels(self, image: str, split: str) -> _Item:
        relpath = yolo_layout.label_relpath(image)
        path = self.data_root / relpath
        if contained.find_file(path, self.root) is None:
            return _Item(image, None, split, [])
        lines = []
        known = self.layout.categories.by_id() if self.layout.categories.items else None
        for number, line in enumerate(contained.read_text(path, self.root).splitlines(), 1):
            if not line.strip():
                continue
            try:
                parsed = yolo_labels.parse_line(line, 1, 1, self.kpt_shape)
                if known is not None and parsed.label not in known:
                    raise ValueError(f"class {parsed.label} is not in names (0..{max(known)})")
            except ValueError as err:
                self.problems.append(
                    AnnotationError(str(err), file=str(path), image=image, annotation=f"line {number}")
                )
                continue
            self._kinds.add(parsed.kind)
            lines.append(line)
        return _Item(image, relpath, split, lines)

    def _categories(self) -> Categories:
        items = list(self.layout.categories.items)
        if self.kpt_shape is not None:
            names = tuple(f"kp_{i}" for i in range(self.kpt_shape[0]))
            items = [Category(id=c.id, name=c.name, keypoints=names) for c in items]
        if not items:  # no names at all: number the classes the labels use
            used = sorted({int(line.split()[0]) for i in self._items.values() for line in i.lines})
            items = [Category(id=i, name=str(i)) for i in used]
        return Categories(items)

    def _flip_perm(self) -> dict[int, list[int]]:
        if self.kpt_shape is None:
            return {}
        if self.layout.flip_idx is None:
            self.notes.append("kpt_shape without flip_idx: mirrored copies keep the keypoint order")
            return {}
        return {c.id: list(self.layout.flip_idx) for c in self.categories.items}

    # -- building a sample ---------------------------------------------------------------------

    def _instances(self, parsed: list) -> Instances:
        count = len(parsed)
        keypoints = kp_count = None
        if self.kpt_shape is not None:
            keypoints = np.zeros((count, self.kpt_shape[0], 3))
            for row, line in enumerate(parsed):
                keypoints[row] = line.keypoints
            kp_count = np.full(count, self.kpt_shape[0], dtype=np.int64)
        return Instances(
            labels=np.array([p.label for p in parsed], dtype=np.int64),
            boxes=np.array([p.box for p in parsed], dtype=np.float64).reshape(count, 4),
            polygons=[[p.ring] if p.ring is not None else None for p in parsed],
            keypoints=keypoints,
            kp_count=kp_count,
            extra={KIND_COLUMN: [p.kind for p in parsed]},
        )


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) as ``load`` will see it (EXIF rotation applied), from the header only."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(EXIF_ORIENTATION)
    except Exception:  # unreadable: the size stays unknown, load() reports the file
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _oriented_size(path: Path) -> tuple[int, int] | None:
    """The size after the EXIF rotation Ultralytics (cv2.imread) applies, when it swaps axes."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(EXIF_ORIENTATION)
    except Exception:  # decode_image reports unreadable files properly
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else None
