"""Where a COCO dataset's files are, and where their outputs go.

- ``find_annotation_file``: SOURCE may be the JSON or a folder holding one;
  ``find_split_files``: a folder holding one JSON per split (see below), and
  ``split_name``: the split a JSON holds.
- ``choose_image_dir``: the folder ``file_name`` is relative to: ``--images``
  when given, else the JSON's folder, else the usual layouts (``../images``,
  a sibling named like the JSON's split, ``../images/<split>``).
- ``dataset_root``: the deepest folder holding the JSON and the images; the
  output mirrors everything below it, and no input may resolve outside it.
- ``clean_file_name`` / ``safe_output_path``: the
  path rules that keep reads in the input tree and writes in OUT.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from augcli.core.errors import DatasetError, ImageReadError, OutputError
from augcli.formats import contained
from augcli.formats.contained import note_checked
from augcli.formats.splits import DEFAULT_SPLIT, is_split_word, normalize_split, split_rank

PROBE_SIZE = 64  # images checked per candidate folder when guessing
OTHER_TASK_PREFIXES = ("captions_", "panoptic_")  # COCO files that hold no instances
_DRIVE = re.compile(r"^[A-Za-z]:")


def find_annotation_file(source: Path) -> Path:
    """The COCO JSON named by ``source`` (a file, or a folder holding exactly one)."""
    source = Path(source).expanduser()
    if source.is_file():
        return source.absolute()
    if not source.is_dir():
        raise DatasetError(f"dataset not found: {source}")
    for folder in (source, source / "annotations"):
        if not folder.is_dir():
            continue
        usable = _usable_json(folder, source)
        if len(usable) == 1:
            return usable[0].absolute()
        if len(usable) > 1:
            names = ", ".join(str(p.relative_to(source)) for p in usable)
            raise DatasetError(
                f"{folder} holds several annotation files ({names}); pass the one to use as SOURCE"
            )
    nested = sorted(p.relative_to(source).as_posix() for p in source.glob("*/*.json"))
    hint = f"; found {', '.join(nested[:6])}: pass one of them as SOURCE" if nested else ""
    raise DatasetError(f"no COCO annotation file (*.json) in {source} or {source / 'annotations'}{hint}")


# COCO's own file names: <task>_<split>.json (instances_val2017.json)
_TASK_STEM = re.compile(r"^(instances|person_keypoints|image_info|annotations|labels)_(.+)$")


def split_name(annotation_file: Path) -> str:
    """The split a COCO JSON holds.

    ``instances_val2017.json`` -> ``val2017``; a stem that is a split name
    (``val.json``); else its folder when that is a split name (Roboflow
    ``valid/_annotations.coco.json`` -> ``val``); else ``default``.
    """
    stem = (
        annotation_file.name[: -len(".json")]
        if annotation_file.name.lower().endswith(".json")
        else annotation_file.stem
    )
    match = _TASK_STEM.match(stem)
    if match:
        return normalize_split(match.group(2))
    if is_split_word(stem):
        return normalize_split(stem)
    folder = annotation_file.parent.name
    if is_split_word(folder):
        return normalize_split(folder)
    return DEFAULT_SPLIT


def _usable_json(folder: Path, source: Path) -> list[Path]:
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".json" and p.is_file())
    for path in found:  # a file given as SOURCE is the user's choice; one found here must stay inside
        contained.dataset_file(contained.contain, path, source)
    return [p for p in found if not p.name.startswith(OTHER_TASK_PREFIXES)] or found


def find_split_files(source: Path) -> dict[str, Path] | None:
    """split -> annotation file, when the folder ``source`` holds one JSON per split.

    Either several JSONs in ``source`` or ``source/annotations`` (COCO,
    mmdetection: ``instances_train2017.json``, ``instances_val2017.json``),
    or no JSON there and one in each of several sub-folders (Roboflow:
    ``train/ valid/ test/``, each with ``_annotations.coco.json``; the
    sub-folder names the split). None for a single-file dataset.
    """
    source = Path(source).expanduser()
    if not source.is_dir():
        return None
    for folder in (source, source / "annotations"):
        if folder.is_dir():
            usable = _usable_json(folder, source)
            if len(usable) > 1:
                return _by_split(usable, source, split_name)
            if usable:
                return None
    nested = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and p.name != "annotations"):
        usable = _usable_json(folder, source)
        if len(usable) == 1:
            nested.append(usable[0])
    if not nested:
        return None

    def folder_split(path: Path) -> str:
        named = split_name(path)
        return normalize_split(path.parent.name) if named == DEFAULT_SPLIT else named

    return _by_split(nested, source, folder_split)


def _by_split(files: list[Path], source: Path, name_of) -> dict[str, Path]:
    splits: dict[str, Path] = {}
    for path in files:
        split = name_of(path)
        if split in splits:
            both = f"{splits[split].relative_to(source)} and {path.relative_to(source)}"
            raise DatasetError(
                f"{both} both hold split {split!r}; pass the one to use as SOURCE", file=str(source)
            )
        splits[split] = path.absolute()
    return {name: splits[name] for name in sorted(splits, key=split_rank)}


def _folder_guesses(annotation_file: Path) -> list[str]:
    """Image folder names a JSON suggests: instances_val2017.json -> val2017."""
    stem = annotation_file.stem
    names = [stem.rsplit("_", 1)[1]] if "_" in stem else []
    names.append(stem)
    return [n for n in dict.fromkeys(names) if n and n not in (".", "..")]


def candidate_image_dirs(annotation_file: Path) -> list[Path]:
    folder = annotation_file.parent
    parent = folder.parent
    dirs = [folder, folder / "images", parent / "images"]
    for split in _folder_guesses(annotation_file):
        dirs += [parent / split, parent / "images" / split]
    return list(dict.fromkeys(dirs))


def choose_image_dir(annotation_file: Path, file_names: Sequence[str], images: Path | None = None) -> Path:
    """The folder ``file_names`` resolve against (see module docstring).

    Raises ``DatasetError`` when there are images but none can be found.
    """
    if images is not None:
        images = Path(images).expanduser().absolute()
        if not images.is_dir():
            raise DatasetError(f"--images folder not found: {images}")
        candidates = [images]
    else:
        candidates = candidate_image_dirs(annotation_file)
    if not file_names:
        return candidates[0]
    probe = list(file_names[:PROBE_SIZE])
    best, best_hits = None, 0
    for folder in candidates:
        if not folder.is_dir():
            continue
        hits = sum(os.path.isfile(folder / name) for name in probe)
        if hits == len(probe):
            return folder
        if hits > best_hits:
            best, best_hits = folder, hits
    if best is None:
        raise DatasetError(
            f"none of the {len(file_names)} images was found; looked for "
            f"{probe[0]!r} in: {', '.join(str(c) for c in candidates)}; pass --images DIR",
            file=str(annotation_file),
        )
    return best


def dataset_root(annotation_file: Path, image_dir: Path) -> Path:
    """Deepest common folder of the JSON and the images (symlinks resolved)."""
    root = Path(os.path.commonpath([annotation_file.parent.resolve(), image_dir.resolve()]))
    if root.parent == root:
        raise DatasetError(
            f"the annotation file and the images folder {image_dir} share no folder "
            "below the filesystem root; keep them under one dataset folder",
            file=str(annotation_file),
        )
    return root


def image_problem(real_dir: str, name: str, root: Path) -> str | None:
    """Why ``real_dir/name`` is not a usable image file, or None if it is.

    ``real_dir`` is the images folder with symlinks resolved. One ``lstat`` per
    path component (a full ``realpath`` per image is too slow on big
    datasets); a symlink anywhere is followed and must stay inside ``root``.
    """
    current = real_dir
    info = None
    for part in name.split("/"):
        current = os.path.join(current, part)
        try:
            info = os.lstat(current)
            if stat.S_ISLNK(info.st_mode):
                current = os.path.realpath(current)
                if not is_inside(Path(current), root):
                    return f"image path resolves to {current}, outside the dataset folder {root}"
                info = os.stat(current)
        except (FileNotFoundError, NotADirectoryError):
            return "not found"
        except OSError as err:
            return f"cannot be read: {err.strerror}"
    if info is None or not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    note_checked(current, info)
    return None


def clean_file_name(file_name: object) -> str:
    """A ``file_name`` as a safe relative posix path; raises ``ImageReadError``."""
    if not isinstance(file_name, str) or not file_name.strip():
        raise ImageReadError(f"file_name {file_name!r} is missing or empty")
    if "\x00" in file_name:
        raise ImageReadError(f"file_name {file_name!r} contains a NUL character")
    posix = file_name.replace("\\", "/")
    if posix.startswith("/") or _DRIVE.match(posix):
        raise ImageReadError(
            f"file_name {file_name!r} is an absolute path; it must be relative to the images folder"
        )
    if "/" not in posix and posix not in (".", ".."):  # one component: already clean (the usual)
        return posix
    path = PurePosixPath(posix)
    if ".." in path.parts:
        raise ImageReadError(f"file_name {file_name!r} contains '..' and could leave the dataset")
    cleaned = path.as_posix()
    if cleaned in ("", "."):
        raise ImageReadError(f"file_name {file_name!r} names no file")
    return cleaned


def is_inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


# Folders already checked (and created) in this process: outputs share a few
# folders, and resolving each one per image costs more than encoding a label.
_CHECKED_FOLDERS: set[tuple[Path, Path]] = set()


def safe_output_path(out_root: Path, relpath: str | Path) -> Path:
    """``out_root / relpath`` after checking it (and its real folder) stays inside ``out_root``."""
    rel = PurePosixPath(Path(relpath).as_posix())
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise OutputError(f"refusing to write {relpath!s}: not a plain relative path")
    target = out_root / Path(*rel.parts)
    if (out_root, target.parent) in _CHECKED_FOLDERS and target.parent.is_dir():
        return target
    real_root = out_root.resolve()
    # checked before mkdir (a symlinked folder must not make us create folders
    # elsewhere) and after it; os.replace later replaces a link, never follows it
    for _ in range(2):
        if not is_inside(target.parent.resolve(), real_root):
            raise OutputError(f"refusing to write {target}: it resolves outside the output folder {out_root}")
        target.parent.mkdir(parents=True, exist_ok=True)
    _CHECKED_FOLDERS.add((out_root, target.parent))
    return target
