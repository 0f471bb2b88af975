"""Where a VOC dataset's files are.

Layouts:

- devkit: ``SOURCE/Annotations/<id>.xml`` (sub-folders allowed, as augcli
  writes them for COCO file names with folders) with ``JPEGImages/``,
  ``ImageSets/``, ``SegmentationClass/``, ``SegmentationObject/`` and an
  optional ``labelmap.txt`` beside it;
- repository: ``annotations/`` (or ``Annotation/``, ``xml/``...) beside
  ``images/`` (or ``imgs/``, ``JPEGImages/``...), as many GitHub datasets
  ship VOC XML;
- segmentation only (labelme's ``labelme2voc.py``): ``SegmentationClass/``
  and ``SegmentationObject/`` PNGs with ``JPEGImages/`` and no XML; every
  object value becomes an instance (its class: the class map under it);
- bare (LabelImg, Roboflow): XML files directly in ``SOURCE`` (or one level
  down, one folder per split), each beside its image.

An item's id is its XML path below the annotation folder without ``.xml``
(``2007_000027``, ``train/img_001``). Its image is ``<id>.<ext>`` in the
images folder (``--images``, else ``JPEGImages/`` or the XML's folder);
when there is none, the XML's ``<filename>`` is tried in the same folder.
Ids listed in ImageSets that have an image but no XML are items without
objects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from augcli.core.errors import DatasetError
from augcli.formats import contained

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")
SET_FOLDERS = ("Main", "Segmentation", "Action", "Layout")


@dataclass
class VocLayout:
    voc_root: Path  # the folder holding Annotations/ (or the XMLs)
    annotation_dir: Path  # ids are relative to this folder
    image_dir: Path
    devkit: bool
    xml_ids: list[str] = field(default_factory=list)  # sorted
    problems: list = field(default_factory=list)  # entries skipped while listing (links out, FIFOs)

    @property
    def sets_dir(self) -> Path:
        return self.voc_root / "ImageSets"

    def xml_path(self, item_id: str) -> Path:
        return self.annotation_dir / f"{item_id}.xml"

    def class_map_path(self, item_id: str) -> Path:
        return self.voc_root / "SegmentationClass" / f"{item_id}.png"

    def object_map_path(self, item_id: str) -> Path:
        return self.voc_root / "SegmentationObject" / f"{item_id}.png"


def find_layout(source: Path, images: Path | None) -> VocLayout:
    source = Path(source).expanduser().absolute()
    if not source.is_dir():
        raise DatasetError(f"a VOC dataset is a folder; {source} is not one")
    problems: list = []
    folder = _annotation_folder(source)
    if folder is not None:
        annotation_dir, devkit = folder, True
        ids = _xml_ids(annotation_dir, source, problems, recursive=True)
    elif _segmentation_only(source):
        annotation_dir, devkit, ids = source / "Annotations", True, []
    else:
        annotation_dir, devkit = source, False
        ids = _xml_ids(source, source, problems, recursive=False) or _xml_ids(
            source, source, problems, recursive=False, depth=1
        )
        if not ids:
            raise DatasetError(
                f"no VOC annotations: neither {source / 'Annotations'} nor *.xml "
                f"files in {source} (or one folder down)"
            )
    if images is not None:
        image_dir = Path(images).expanduser().absolute()
        if not image_dir.is_dir():
            raise DatasetError(f"--images folder not found: {image_dir}")
    elif devkit:
        image_dir = _first(source, IMAGE_FOLDERS) or annotation_dir
    else:
        image_dir = source
    return VocLayout(
        voc_root=source,
        annotation_dir=annotation_dir,
        image_dir=image_dir,
        devkit=devkit,
        xml_ids=ids,
        problems=problems,
    )


def _xml_ids(folder: Path, root: Path, problems: list, recursive: bool, depth: int = 0) -> list[str]:
    if recursive:
        found, skipped = contained.walk_files(folder, root, (".xml",))
        problems.extend(skipped)
    elif depth:
        found = (p for child in sorted(folder.iterdir()) if child.is_dir() for p in child.glob("*.xml"))
    else:
        found = folder.glob("*.xml")
    ids = [p.relative_to(folder).with_suffix("").as_posix() for p in found if p.is_file()]
    return sorted(ids)


ANNOTATION_FOLDERS = ("Annotations", "annotations", "Annotation", "annotation", "xml", "xmls")
IMAGE_FOLDERS = ("JPEGImages", "images", "Images", "imgs", "img", "JPEGImage")


def _first(source: Path, names: tuple[str, ...]) -> Path | None:
    return next((source / n for n in names if (source / n).is_dir()), None)


def _annotation_folder(source: Path) -> Path | None:
    """The devkit's ``Annotations/``, or a repository's ``annotations/`` holding XML."""
    for name in ANNOTATION_FOLDERS:
        folder = source / name
        if folder.is_dir() and (name == "Annotations" or next(folder.rglob("*.xml"), None) is not None):
            return folder
    return None


def _segmentation_only(source: Path) -> bool:
    return all(
        (source / d).is_dir() and next((source / d).glob("*.png"), None) is not None
        for d in ("SegmentationClass", "SegmentationObject")
    )


def looks_like_voc(source: Path) -> str | None:
    """Evidence that ``source`` is a VOC dataset (for format detection), or None."""
    if not source.is_dir():
        return None
    folder = _annotation_folder(source)
    if folder is not None and next(folder.rglob("*.xml"), None) is not None:
        return f"{folder.name}/*.xml"
    if _segmentation_only(source):
        return "SegmentationClass/ and SegmentationObject/ PNGs (no Annotations/)"
    if any(source.glob("*.xml")):
        return "*.xml files"
    if any(True for child in source.iterdir() if child.is_dir() for _ in child.glob("*.xml")):
        return "*/*.xml files"
    return None


def image_index(image_dir: Path, root: Path, problems: list) -> dict[str, list[str]]:
    """Image files below ``image_dir`` by id (relative path without extension); entries
    skipped while listing go to ``problems``."""
    index: dict[str, list[str]] = {}
    if not image_dir.is_dir():
        return index
    found, skipped = contained.walk_files(image_dir, root, IMAGE_EXTENSIONS)
    problems.extend(skipped)
    for path in found:
        rel = path.relative_to(image_dir).as_posix()
        index.setdefault(os.path.splitext(rel)[0], []).append(rel)
    return index


@dataclass
class SetFile:
    relpath: str  # below the VOC root, posix
    lines: list[tuple[str, str]]  # (id, rest of the line as written)


def read_sets(layout: VocLayout, root: Path) -> list[SetFile]:
    """Every ``ImageSets/**/*.txt``: ids with whatever followed them on their line. A set
    file that cannot be read inside ``root`` is skipped and listed in ``layout.problems``."""
    sets: list = []
    if not layout.sets_dir.is_dir():
        return sets
    found, skipped = contained.walk_files(layout.sets_dir, root, (".txt",))
    layout.problems.extend(skipped)
    for path in sorted(found):
        try:
            # ids are file names: undecodable bytes stay as they are (surrogateescape)
            text = contained.read_bytes(path, root).decode("utf-8", "surrogateescape").removeprefix("\ufeff")
        except contained.ContainmentError as err:
            layout.problems.append(err)
            continue
        lines = []
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):  # Datumaro writes comments
                continue
            item_id = stripped.split()[0]
            lines.append((item_id, line[line.index(item_id) + len(item_id) :]))
        sets.append(SetFile(path.relative_to(layout.voc_root).as_posix(), lines))
    return sets


def split_names(sets: list[SetFile], category_names: set[str]) -> dict[str, str]:
    """id -> split, from ImageSets/Main split files (not ``<class>_<split>.txt``).

    An id in several splits gets the first of train, val, test, then the
    others alphabetically; ``trainval`` only counts for ids in no other split.
    """
    by_folder: dict[str, list[SetFile]] = {}
    for set_file in sets:
        parts = set_file.relpath.split("/")
        if len(parts) != 3:
            continue
        name = parts[2][:-4]
        if "_" in name and name.split("_", 1)[0] in category_names:
            continue
        by_folder.setdefault(parts[1], []).append(set_file)
    chosen = next((by_folder[f] for f in SET_FOLDERS if f in by_folder), None)
    if chosen is None:
        chosen = next(iter(by_folder.values()), [])
    rank = {"train": 0, "val": 1, "test": 2, "trainval": 9}
    ordered = sorted(chosen, key=lambda s: (rank.get(_set_name(s), 5), _set_name(s)))
    splits: dict[str, str] = {}
    for set_file in ordered:
        for item_id, _ in set_file.lines:
            splits.setdefault(item_id, _set_name(set_file))
    return splits


def _set_name(set_file: SetFile) -> str:
    return set_file.relpath.rsplit("/", 1)[-1][:-4]
