"""Where a semantic-mask folder's files are, and what its classes are.

- Images and masks live in two sibling folders (``images/`` + ``masks/`` by
  default; the usual alternatives are recognised, or pass the names), with
  the same sub-folders (``images/train/a.jpg`` <-> ``masks/train/a.png``).
- An image and its mask are paired by relative path without extension.
  When no pair matches that way, a common file-name prefix on each side is
  dropped first (``images/image_0001.png`` <-> ``masks/gt_0001.png``), cut at
  the last ``_``, ``-`` or ``.`` so digits are never eaten.
- Classes come from ``dataset_meta.json`` (Datumaro: ``label_map``
  ``{"0": "Void", ...}``, optional ``segmentation_colors`` for colour-coded
  masks, ``background_label``, ``ignore_index``), ``classes.txt`` (one name
  per line, the line number is the value) or ``classes.yaml`` (a list, or a
  mapping value -> name, or either under ``names``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from augcli.core.errors import DatasetError
from augcli.core.sample import Categories, Category

IMAGE_DIRS = ("images", "imgs", "img", "JPEGImages")
MASK_DIRS = ("masks", "mask", "SegmentationClass", "annotations", "labels", "gt", "ground_truth")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
MASK_EXTENSIONS = (".png", ".tif", ".tiff", ".bmp")
META_FILES = ("dataset_meta.json", "classes.txt", "classes.yaml", "classes.yml")
DEFAULT_IGNORE = 255
_SEPARATORS = "_-."


@dataclass
class ClassInfo:
    categories: Categories
    colours: list[tuple[int, int, int]] | None = None  # by value, for colour-coded masks
    ignore_index: int = DEFAULT_IGNORE
    background: int | None = None
    files: list[str] = field(default_factory=list)  # class-list files found (names)


def find_dirs(source: Path, images: Path | None, masks: Path | None) -> tuple[Path, Path]:
    source = Path(source).expanduser().absolute()
    if not source.is_dir():
        raise DatasetError(f"a mask-folder dataset is a folder; {source} is not one")
    image_dir = Path(images).expanduser().absolute() if images else _first_dir(source, IMAGE_DIRS)
    mask_dir = Path(masks).expanduser().absolute() if masks else _first_dir(source, MASK_DIRS, True)
    if image_dir is None or not image_dir.is_dir():
        raise DatasetError(f"no images folder in {source} (looked for {', '.join(IMAGE_DIRS)})")
    if mask_dir is None or not mask_dir.is_dir():
        raise DatasetError(f"no masks folder with PNG files in {source} (looked for {', '.join(MASK_DIRS)})")
    return image_dir, mask_dir


def _first_dir(source: Path, names: tuple[str, ...], needs_masks: bool = False) -> Path | None:
    for name in names:
        folder = source / name
        if folder.is_dir() and (not needs_masks or _has_mask_files(folder)):
            return folder
    return None


def _has_mask_files(folder: Path) -> bool:
    return any(p.suffix.lower() in MASK_EXTENSIONS for pattern in ("*", "*/*") for p in folder.glob(pattern))


def looks_like_masks(source: Path) -> str | None:
    if not source.is_dir() or (source / "Annotations").is_dir():  # a VOC devkit folder
        return None
    images = _first_dir(source, IMAGE_DIRS)
    masks = _first_dir(source, MASK_DIRS, True)
    if images is None or masks is None:
        return None
    return f"{images.name}/ and {masks.name}/ with PNG masks"


def list_files(folder: Path, extensions: tuple[str, ...]) -> dict[str, str]:
    """relative path without extension -> relative path, for every file below ``folder``."""
    found: dict[str, str] = {}
    for current, dirs, files in os.walk(folder, followlinks=True):
        dirs.sort()
        rel = Path(current).relative_to(folder)
        for name in sorted(files):
            stem, ext = os.path.splitext(name)
            if ext.lower() in extensions:
                found.setdefault(
                    (rel / stem).as_posix().removeprefix("./"), (rel / name).as_posix().removeprefix("./")
                )
    return found


def pair(images: dict[str, str], masks: dict[str, str]) -> dict[str, str]:
    """image relpath -> mask relpath (see the module docstring for the rules)."""
    pairs = {images[s]: masks[s] for s in images if s in masks}
    if pairs or not images or not masks:
        return pairs
    image_cut, mask_cut = _prefix(images), _prefix(masks)
    stripped = {_strip(s, mask_cut): rel for s, rel in masks.items()}
    return {
        rel: stripped[_strip(s, image_cut)] for s, rel in images.items() if _strip(s, image_cut) in stripped
    }


def _prefix(stems: dict[str, str]) -> int:
    names = [s.rsplit("/", 1)[-1] for s in stems]
    common = os.path.commonprefix(names)
    cut = max(common.rfind(c) for c in _SEPARATORS) + 1
    return cut


def _strip(stem: str, cut: int) -> str:
    folder, _, name = stem.rpartition("/")
    return f"{folder}/{name[cut:]}" if folder else name[cut:]


def read_classes(source: Path) -> ClassInfo:
    source = Path(source)
    meta = source / "dataset_meta.json"
    if meta.is_file():
        return _from_meta(meta)
    for name in ("classes.txt",):
        path = source / name
        if path.is_file():
            names = [line.strip() for line in _read(path).splitlines()]
            items = [Category(id=i, name=n) for i, n in enumerate(names) if n]
            return ClassInfo(Categories(items), files=[name])
    for name in ("classes.yaml", "classes.yml"):
        path = source / name
        if path.is_file():
            return ClassInfo(Categories(_yaml_names(path)), files=[name])
    return ClassInfo(Categories([]))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"cannot read the class list: {err}", file=str(path)) from None


def _from_meta(path: Path) -> ClassInfo:
    try:
        data = json.loads(_read(path))
        label_map = data.get("label_map") or {}
        items = [Category(id=int(k), name=str(v)) for k, v in label_map.items()]
        colours = data.get("segmentation_colors")
        colours = [tuple(int(v) for v in c) for c in colours] if colours else None
        background = data.get("background_label")
        background = int(background) if background is not None else None
        ignore = data.get("ignore_index")
    except (ValueError, TypeError, AttributeError) as err:
        raise DatasetError(f"not a usable dataset_meta.json: {err}", file=str(path)) from None
    if colours is not None and ignore is None:
        # a colour-coded mask has no spare value to mark "ignore": new pixels get the background
        ignore = background if background is not None else 0
    return ClassInfo(
        Categories(sorted(items, key=lambda c: c.id)),
        colours,
        DEFAULT_IGNORE if ignore is None else int(ignore),
        background,
        files=["dataset_meta.json"],
    )


def _yaml_names(path: Path) -> list[Category]:
    try:
        data = yaml.safe_load(_read(path))
    except yaml.YAMLError as err:
        raise DatasetError(f"not valid YAML: {err}", file=str(path)) from None
    if isinstance(data, dict) and "names" in data:
        data = data["names"]
    if isinstance(data, list):
        return [Category(id=i, name=str(n)) for i, n in enumerate(data)]
    if isinstance(data, dict):
        try:
            return sorted((Category(id=int(k), name=str(v)) for k, v in data.items()), key=lambda c: c.id)
        except (TypeError, ValueError):
            pass
    raise DatasetError(
        "the class list is neither a list of names nor a mapping value -> name", file=str(path)
    )
