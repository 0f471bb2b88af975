"""Where an Ultralytics YOLO dataset's files are.

- ``SOURCE`` is a ``data.yaml`` or a folder holding one (``data.yaml``, else
  the only ``*.yaml``). Its ``path`` is the data root when it exists
  (absolute, or relative to the YAML's folder); otherwise the YAML's folder
  is (a note says so). ``train`` / ``val`` / ``test`` name image folders,
  ``.txt`` lists of image paths, or lists of either, relative to the root.
- Without a YAML: ``images/`` + ``labels/`` folders; every sub-folder of
  ``images/`` holding images is a split (else ``images/`` itself is
  ``train``), class names from ``classes.txt`` if present.
- An image's label file is its path with the last ``images`` folder replaced
  by ``labels`` and the extension by ``.txt`` (the Ultralytics rule); an
  image without a label file has no objects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from augcli.core.errors import DatasetError
from augcli.core.limits import MAX_CLASSES, MAX_KEYPOINTS
from augcli.core.sample import Categories, Category
from augcli.formats import contained

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".dng", ".mpo", ".pfm")
SPLIT_KEYS = ("train", "val", "test")


@dataclass
class YoloLayout:
    yaml_path: Path | None
    data: dict  # the YAML as read (empty without one)
    data_root: Path  # split entries are relative to this folder
    splits: dict[str, list[str]]  # split -> entries as written (folders or list files)
    categories: Categories
    kpt_shape: tuple[int, int] | None
    flip_idx: list[int] | None
    notes: list[str] = field(default_factory=list)


def looks_like_yolo(source: Path) -> str | None:
    if source.is_file():
        return "a .yaml file" if source.suffix.lower() in (".yaml", ".yml") else None
    if not source.is_dir():
        return None
    if (source / "data.yaml").is_file():
        return "data.yaml"
    labels = source / "labels"
    if (
        (source / "images").is_dir()
        and labels.is_dir()
        and (any(labels.glob("*.txt")) or any(labels.glob("*/*.txt")))
    ):
        return "images/ and labels/ with .txt files"
    return None


def find_layout(source: Path) -> YoloLayout:
    source = Path(source).expanduser().absolute()
    yaml_path = _find_yaml(source)
    if yaml_path is None:
        return _layout_without_yaml(source)
    data = _load_yaml(yaml_path)
    notes: list[str] = []
    root = _data_root(yaml_path, data.get("path"), notes)
    splits = {}
    for split in SPLIT_KEYS:
        value = data.get(split)
        if value is None:
            continue
        entries = value if isinstance(value, list) else [value]
        if not all(isinstance(e, str) for e in entries):
            raise DatasetError(f"'{split}' must be a path or a list of paths", file=str(yaml_path))
        splits[split] = [_relative_entry(root, split, e, yaml_path) for e in entries]
    if not splits:
        raise DatasetError("no train/val/test entry in the YAML", file=str(yaml_path))
    kpt_shape, flip_idx = _pose_fields(data, yaml_path)
    return YoloLayout(yaml_path, data, root, splits, _names(data, yaml_path), kpt_shape, flip_idx, notes)


def _relative_entry(root: Path, split: str, entry: str, yaml_path: Path) -> str:
    """A split entry relative to the data root; an absolute one must lie below it (checked
    here, so the writers never meet a path they cannot mirror)."""
    if not os.path.isabs(entry):
        return entry
    relative = os.path.relpath(os.path.realpath(entry), os.path.realpath(root))
    if relative == ".." or relative.startswith(".." + os.sep):
        raise DatasetError(
            f"'{split}: {entry}' is an absolute path outside the data root {root}; "
            "make it relative to the data root",
            file=str(yaml_path),
        )
    return Path(relative).as_posix()


def _find_yaml(source: Path) -> Path | None:
    if source.is_file():
        return source
    if not source.is_dir():
        raise DatasetError(f"dataset not found: {source}")
    if (source / "data.yaml").is_file():
        return source / "data.yaml"
    found = sorted(p for p in source.glob("*.y*ml") if p.suffix.lower() in (".yaml", ".yml"))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise DatasetError(f"{source} holds several YAML files ({names}); pass the dataset's one as SOURCE")
    return None


def _load_yaml(path: Path) -> dict:
    data = contained.dataset_yaml(path, path.resolve().parent if path.is_symlink() else path.parent)
    if not isinstance(data, dict) or ("names" not in data and "nc" not in data):
        raise DatasetError("not a YOLO dataset YAML (no 'names')", file=str(path))
    return data


def _data_root(yaml_path: Path, value: object, notes: list[str]) -> Path:
    folder = yaml_path.parent
    if value is None or value == "":
        return folder
    candidate = Path(str(value)).expanduser()
    candidate = candidate if candidate.is_absolute() else folder / candidate
    if candidate.is_dir():
        return candidate.absolute()
    notes.append(f"data.yaml path {value!r} does not exist here; the YAML's folder is the data root")
    return folder


def _names(data: dict, where: Path) -> Categories:
    names = data.get("names")
    count = data.get("nc") or 0
    if not isinstance(count, int | float) or isinstance(count, bool) or not 0 <= count <= MAX_CLASSES:
        raise DatasetError(
            f"nc {count!r} must be a number of classes from 0 to {MAX_CLASSES}", file=str(where)
        )
    if names is None:
        names = [f"class_{i}" for i in range(int(count))]
    if isinstance(names, dict):
        try:
            items = sorted((int(k), str(v)) for k, v in names.items())
        except (TypeError, ValueError):
            raise DatasetError("'names' keys must be class numbers", file=str(where)) from None
    elif isinstance(names, list):
        items = [(i, str(n)) for i, n in enumerate(names)]
    else:
        raise DatasetError("'names' must be a list or a mapping", file=str(where))
    if items and not (len(items) <= MAX_CLASSES and 0 <= min(items)[0] and max(items)[0] < MAX_CLASSES):
        raise DatasetError(f"'names' must number classes from 0 below {MAX_CLASSES}", file=str(where))
    return Categories([Category(id=i, name=n) for i, n in items])


def _pose_fields(data: dict, where: Path) -> tuple[tuple[int, int] | None, list[int] | None]:
    shape = data.get("kpt_shape")
    if shape is None:
        return None, None
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(v, int) for v in shape)
        or not 1 <= shape[0] <= MAX_KEYPOINTS
        or shape[1] not in (2, 3)
    ):
        raise DatasetError(
            f"kpt_shape {shape!r} must be [keypoints (1 to {MAX_KEYPOINTS}), 2 or 3]", file=str(where)
        )
    flip = data.get("flip_idx")
    if flip is not None and (not isinstance(flip, list) or sorted(flip) != list(range(shape[0]))):
        raise DatasetError(f"flip_idx {flip!r} is not a permutation of 0..{shape[0] - 1}", file=str(where))
    return (shape[0], shape[1]), flip


def _layout_without_yaml(source: Path) -> YoloLayout:
    images = source / "images"
    if not images.is_dir() or not (source / "labels").is_dir():
        raise DatasetError(f"no data.yaml and no images/ + labels/ folders in {source}")
    subfolders = sorted(p.name for p in images.iterdir() if p.is_dir())
    splits = {name: [f"images/{name}"] for name in subfolders}
    if not splits or any(p.suffix.lower() in IMAGE_EXTENSIONS for p in images.iterdir()):
        splits = {"train": ["images"]}
    classes = contained.dataset_file(contained.find_file, source / "classes.txt", source)
    names: list[str] = []
    if classes is not None:
        text = contained.dataset_file(contained.read_text, source / "classes.txt", source)
        names = [n.strip() for n in text.splitlines() if n.strip()]
    data = {"names": names}
    notes = [] if names else ["no data.yaml or classes.txt: classes are named by number"]
    return YoloLayout(None, data, source, splits, _names(data, source), None, None, notes)


def label_relpath(image_relpath: str) -> str:
    """The label file of an image (both relative to the data root)."""
    parts = list(PurePosixPath(image_relpath).parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            break
    return str(PurePosixPath(*parts).with_suffix(".txt"))


def list_images(folder: Path, root: Path) -> tuple[list[Path], list]:
    """Images below ``folder`` and the entries skipped (see ``contained.walk_files``)."""
    return contained.walk_files(folder, root, IMAGE_EXTENSIONS)
