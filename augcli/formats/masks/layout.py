"""Where a semantic-mask dataset's images and masks are, and how they pair.

A layout is one or more *groups*, each an image folder and a mask folder
(possibly the same folder), whose files pair by relative path and stem:
the image's stem without the layout's image suffix equals the mask's stem
without its mask suffix (``a_leftImg8bit.png`` <-> ``a_gtFine_labelIds.png``;
``1.jpg`` <-> ``1_seg.png``). When nothing pairs that way, a common
file-name prefix on each side is dropped first (``image_0001`` <->
``gt_0001``). Recognised layouts (``docs/formats.md`` lists their folders):

- ``cityscapes``: ``leftImg8bit/<split>/<city>/*_leftImg8bit.png`` +
  ``gtFine/<split>/<city>/*_gtFine_labelIds.png`` (else ``_labelTrainIds``,
  else ``_instanceIds``);
- ``ade20k``: ``<name>.jpg`` + ``<name>_seg.png`` in the same folder (class
  = R / 10 * 256 + G);
- ``camvid``: ``<split>/`` + ``<split>annot/`` (SegNet, Datumaro), or
  ``<split>/`` + ``<split>_labels/<name>_L.png`` (Kaggle);
- ``mapillary``: ``<split>/images/`` + ``<split>/[v<version>/]labels/``
  (the highest version when several are present);
- ``folders``: ``images/`` + ``masks/`` and the usual alternatives, and
  sibling folders named alike (``images_png`` / ``masks_png`` of LoveDA,
  ``train_images`` / ``train_segmentations`` of LIP), at most three levels
  down.

``--images DIR`` / ``--masks DIR`` name the two folders and
``--mask-pattern SUFFIX`` the mask suffix (``_L``, ``_seg``...).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from augcli.core.errors import DatasetError
from augcli.formats import contained

IMAGE_DIRS = ("images", "imgs", "img", "JPEGImages")
MASK_DIRS = (
    "masks",
    "mask",
    "SegmentationClassPNG",
    "SegmentationClass",
    "annotations",
    "labels",
    "gt",
    "ground_truth",
)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
MASK_EXTENSIONS = (".png", ".tif", ".tiff", ".bmp")
_IMAGE_TOKENS = ("images", "imgs", "img", "image")
_MASK_TOKENS = ("masks", "mask", "segmentations", "labels", "label", "annotations", "gt", "annot")
CITYSCAPES_SUFFIXES = ("_gtFine_labelIds", "_gtFine_labelTrainIds", "_gtFine_instanceIds")
_SEPARATORS = "_-."
_MAX_DEPTH = 3


@dataclass
class Group:
    images: str  # folder relative to the layout's root ("." for the root)
    masks: str


@dataclass
class MaskLayout:
    name: str
    root: Path  # keys are image paths relative to root / key_dir
    groups: list[Group]
    image_suffix: str = ""
    mask_suffix: str = ""
    encoding: str = "index"  # "index" | "ade20k"
    image_extensions: tuple[str, ...] = IMAGE_EXTENSIONS
    version: str | None = None  # mapillary: the labels version read
    notes: list[str] = field(default_factory=list)
    problems: list = field(default_factory=list)  # entries skipped while listing (links out, FIFOs)

    @property
    def key_dir(self) -> Path:
        """Keys are relative to this folder: the image folder of a single group, else the root."""
        return self.root / self.groups[0].images if len(self.groups) == 1 else self.root

    @property
    def mask_dir(self) -> Path:
        return self.root / self.groups[0].masks if len(self.groups) == 1 else self.root


def find_layout(
    source: Path, images: Path | None = None, masks: Path | None = None, pattern: str | None = None
) -> MaskLayout:
    source = Path(source).expanduser().absolute()
    if not source.is_dir():
        raise DatasetError(f"a mask-folder dataset is a folder; {source} is not one")
    suffix = _suffix(pattern)
    if images or masks:
        image_dir = Path(images).expanduser().absolute() if images else _first_dir(source, IMAGE_DIRS)
        mask_dir = Path(masks).expanduser().absolute() if masks else _first_dir(source, MASK_DIRS, True)
        for what, folder in (("images", image_dir), ("masks", mask_dir)):
            if folder is None or not folder.is_dir():
                raise DatasetError(f"no {what} folder: {folder or source}")
        assert image_dir is not None and mask_dir is not None
        root = Path(os.path.commonpath([source, image_dir, mask_dir]))
        group = Group(_rel(image_dir, root), _rel(mask_dir, root))
        return MaskLayout("folders", root, [group], mask_suffix=suffix or "")
    layout = _known(source)
    if layout is None:
        raise DatasetError(
            f"no images and masks folders in {source} (looked for {', '.join(IMAGE_DIRS)} beside "
            f"{', '.join(MASK_DIRS)}, Cityscapes, ADE20K, CamVid and Mapillary layouts); "
            "pass --images DIR and --masks DIR"
        )
    if suffix is not None:
        layout.mask_suffix = suffix
    return layout


def looks_like_masks(source: Path) -> str | None:
    if not source.is_dir() or any((source / d).is_dir() for d in ("Annotations", "SegmentationObject")):
        return None  # a VOC devkit folder (labelme's instance export too)
    layout = _known(source)
    if layout is None:
        return None
    first = layout.groups[0]
    return f"{layout.name} layout ({first.images}/ and {first.masks}/)"


def _suffix(pattern: str | None) -> str | None:
    """``_L``, ``*_L.png`` or ``{stem}_L.png`` -> ``_L``."""
    if pattern is None:
        return None
    text = pattern.replace("{stem}", "").lstrip("*")
    return os.path.splitext(text)[0] if os.path.splitext(text)[1].lower() in MASK_EXTENSIONS else text


def _rel(folder: Path, root: Path) -> str:
    return Path(os.path.relpath(folder, root)).as_posix()


def _known(source: Path) -> MaskLayout | None:
    for detect in (_cityscapes, _mapillary, _camvid, _ade20k, _folders):
        layout = detect(source)
        if layout is not None:
            return layout
    return None


def _cityscapes(source: Path) -> MaskLayout | None:
    if not ((source / "leftImg8bit").is_dir() and (source / "gtFine").is_dir()):
        return None
    found = {s for s in CITYSCAPES_SUFFIXES if any(_walk_names(source / "gtFine", s + ".png"))}
    suffix = next((s for s in CITYSCAPES_SUFFIXES if s in found), CITYSCAPES_SUFFIXES[0])
    return MaskLayout(
        "cityscapes",
        source,
        [Group("leftImg8bit", "gtFine")],
        image_suffix="_leftImg8bit",
        mask_suffix=suffix,
    )


def _walk_names(folder: Path, ending: str, depth: int = _MAX_DEPTH):
    base = len(folder.parts)
    for current, dirs, files in os.walk(folder):
        if len(Path(current).parts) - base >= depth:
            dirs[:] = []
        dirs.sort()
        for name in files:
            if name.endswith(ending):
                yield Path(current) / name


def _ade20k(source: Path) -> MaskLayout | None:
    if next(_walk_names(source, "_seg.png", depth=5), None) is None:
        return None
    return MaskLayout(
        "ade20k",
        source,
        [Group(".", ".")],
        mask_suffix="_seg",
        encoding="ade20k",
        image_extensions=(".jpg", ".jpeg"),
    )


def _camvid(source: Path) -> MaskLayout | None:
    groups, kaggle = [], False
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        for partner in (f"{folder.name}annot", f"{folder.name}_labels"):
            if (source / partner).is_dir():
                groups.append(Group(folder.name, partner))
                kaggle = kaggle or partner.endswith("_labels")
    if not groups:
        return None
    return MaskLayout("camvid", source, groups, mask_suffix="_L" if kaggle else "")


def _mapillary(source: Path) -> MaskLayout | None:
    groups, versions = [], set()
    for split in sorted(p for p in source.iterdir() if p.is_dir() and (p / "images").is_dir()):
        labelled = sorted(p.name for p in split.iterdir() if p.is_dir() and _has_mask_files(p / "labels"))
        versions.update(labelled)
        groups.append(split)
    if not groups or not (versions or any(_has_mask_files(g / "labels") for g in groups)):
        return None
    version = max(versions, key=_version_key) if versions else None
    out = []
    for split in groups:
        labels = split / version / "labels" if version else split / "labels"
        if labels.is_dir():
            out.append(Group(f"{split.name}/images", _rel(labels, source)))
    notes = []
    if len(versions) > 1:
        notes.append(
            f"Mapillary labels {', '.join(sorted(versions))} found: {version} is read (--masks DIR to choose)"
        )
    return MaskLayout("mapillary", source, out, version=version, notes=notes)


def _version_key(name: str) -> tuple:
    return tuple(int(n) for n in re.findall(r"\d+", name))


def _folders(source: Path) -> MaskLayout | None:
    images = _first_dir(source, IMAGE_DIRS)
    masks = _first_dir(source, MASK_DIRS, True)
    if images is not None and masks is not None:
        return MaskLayout("folders", source, [Group(images.name, masks.name)])
    groups = _sibling_groups(source)
    if not groups:
        return None
    return MaskLayout("folders", source, groups)


def _sibling_groups(source: Path) -> list[Group]:
    """Folders named like an image folder with the image word swapped for a mask word."""
    folders: dict = {}
    base = len(source.parts)
    for current, dirs, _ in os.walk(source):
        if len(Path(current).parts) - base >= _MAX_DEPTH:
            dirs[:] = []
        dirs.sort()
        for name in dirs:
            folders.setdefault(name.lower(), []).append(Path(current) / name)
    groups = []
    for name, paths in sorted(folders.items()):
        for token in _IMAGE_TOKENS:
            if token not in re.split(r"[_\-. ]", name):
                continue
            partners = [
                p
                for mask_token in _MASK_TOKENS
                for p in folders.get(
                    re.sub(rf"(^|[_\-. ]){token}([_\-. ]|$)", rf"\g<1>{mask_token}\g<2>", name), []
                )
            ]
            for image_dir in paths:
                near = [p for p in partners if _has_mask_files(p)]
                if len(near) > 1:  # the partner that shares the most of the path
                    near.sort(key=lambda p: -len(os.path.commonpath([p, image_dir])))
                if near:
                    groups.append(Group(_rel(image_dir, source), _rel(near[0], source)))
            break
    return groups


def _first_dir(source: Path, names: tuple[str, ...], needs_masks: bool = False) -> Path | None:
    for name in names:
        folder = source / name
        if folder.is_dir() and (not needs_masks or _has_mask_files(folder)):
            return folder
    return None


def _has_mask_files(folder: Path) -> bool:
    return folder.is_dir() and any(
        p.suffix.lower() in MASK_EXTENSIONS for pattern in ("*", "*/*") for p in folder.glob(pattern)
    )


def list_files(folder: Path, extensions: tuple[str, ...], root: Path, problems: list) -> dict[str, str]:
    """relative path without extension -> relative path, for every file below ``folder``
    (entries skipped while listing, see ``contained.walk_files``, go to ``problems``)."""
    found: dict[str, str] = {}
    paths, skipped = contained.walk_files(folder, root, extensions)
    problems.extend(skipped)
    for path in paths:
        rel = path.relative_to(folder).as_posix()
        found.setdefault(os.path.splitext(rel)[0], rel)
    return found


def group_pairs(layout: MaskLayout, group: Group) -> tuple[dict[str, str], list[str], list[str]]:
    """(image -> mask, images without a mask, masks without an image), paths relative to root."""
    image_dir, mask_dir = layout.root / group.images, layout.root / group.masks
    # the folders the user named (--images/--masks) may sit beside the root: contain in all three
    root = Path(os.path.commonpath([os.path.realpath(p) for p in (layout.root, image_dir, mask_dir)]))
    images = _strip_suffix(
        list_files(image_dir, layout.image_extensions, root, layout.problems), layout.image_suffix
    )
    masks = _strip_suffix(
        list_files(mask_dir, MASK_EXTENSIONS, root, layout.problems), layout.mask_suffix, required=True
    )
    if image_dir == mask_dir:  # ADE20K: images and masks side by side
        mask_names = set(masks.values())
        images = {s: r for s, r in images.items() if r not in mask_names and not _ade_sidecar(r)}
    pairs = pair(images, masks)
    prefix = lambda folder, rel: (Path(folder) / rel).as_posix().removeprefix("./")  # noqa: E731
    paired = {prefix(group.images, i): prefix(group.masks, m) for i, m in pairs.items()}
    lonely_images = [prefix(group.images, r) for r in images.values() if r not in pairs]
    used = set(pairs.values())
    lonely_masks = [prefix(group.masks, r) for r in masks.values() if r not in used]
    return paired, lonely_images, lonely_masks


_ADE_SIDECAR = re.compile(r"_parts_\d+$|^instance_\d+_")


def _ade_sidecar(relpath: str) -> bool:
    stem = os.path.splitext(relpath.rsplit("/", 1)[-1])[0]
    return bool(_ADE_SIDECAR.search(stem))


def _strip_suffix(files: dict[str, str], suffix: str, required: bool = False) -> dict[str, str]:
    if not suffix:
        return files
    out = {}
    for stem, rel in files.items():
        if stem.endswith(suffix):
            out[stem[: -len(suffix)]] = rel
        elif not required:
            out[stem] = rel
    return out


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
    return max(common.rfind(c) for c in _SEPARATORS) + 1


def _strip(stem: str, cut: int) -> str:
    folder, _, name = stem.rpartition("/")
    return f"{folder}/{name[cut:]}" if folder else name[cut:]
