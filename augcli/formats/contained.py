"""Every file a reader opens stays inside the dataset, and indexing never hangs.

- ``contain(path, root)`` resolves symlinks and refuses a path that leaves
  ``root`` (the dataset folder, which already spans ``--images``/``--masks``).
- ``read_bytes`` / ``read_text`` open the resolved path with ``O_NOFOLLOW``
  and ``O_NONBLOCK`` (a FIFO never blocks) and read only regular files, up to
  a size limit.
- ``walk_files`` lists a folder tree following symlinked folders only while
  they stay inside ``root`` and were not visited yet (no loop lists a file
  twice), and reports FIFOs, devices, sockets and links that leave ``root``.
- While ``recording()`` is active, every file read or checked is noted with
  its fingerprint, so ``--resume`` can tell whether an input changed (see
  ``engine.inputs``): files read get a sha256 of the bytes read, files only
  checked (images, masks) their ``stat`` identity.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from augcli.core.errors import DatasetError, ItemError

MAX_LABEL_FILE_BYTES = 1 << 30  # one label file (a COCO JSON may be large; no XML or list file is)
MAX_YAML_BYTES = 1 << 20  # data.yaml / classes.yaml: the recipe loader's bound
_RECORDERS: list[dict[str, dict]] = []


class ContainmentError(ItemError):
    """A dataset file that resolves outside the dataset, or is no regular file."""


def contain(path: Path | str, root: Path) -> Path:
    """``path`` with symlinks resolved; raises ``ContainmentError`` if it leaves ``root``."""
    real = Path(os.path.realpath(path))
    root = Path(os.path.realpath(root))
    if real != root and not real.is_relative_to(root):
        raise ContainmentError(f"resolves to {real}, outside the dataset folder {root}", file=str(path))
    return real


def find_file(path: Path | str, root: Path) -> Path | None:
    """The resolved regular file at ``path``, None if nothing is there; raises if it is
    outside ``root`` or not a regular file (FIFO, device, folder)."""
    if not os.path.lexists(path):
        return None
    real = contain(path, root)
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return None  # a dangling link
    except OSError as err:
        raise ContainmentError(f"cannot be read: {err.strerror}", file=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        raise ContainmentError("not a regular file", file=str(path))
    note_checked(real, info)
    return real


def read_bytes(path: Path | str, root: Path, limit: int = MAX_LABEL_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path`` inside ``root`` (see the module docstring)."""
    real = contain(path, root)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise ContainmentError(f"cannot be read: {err.strerror}", file=str(path)) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ContainmentError("not a regular file", file=str(path))
        if info.st_size > limit:
            raise ContainmentError(f"is {info.st_size} bytes, above the limit of {limit}", file=str(path))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ContainmentError(f"grew above the limit of {limit} bytes while read", file=str(path))
    _note(real, {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return data


def read_text(path: Path | str, root: Path, limit: int = MAX_LABEL_FILE_BYTES) -> str:
    """``read_bytes`` decoded as UTF-8 (a BOM is dropped); a file that is not UTF-8 raises
    ``ContainmentError`` naming the file."""
    data = read_bytes(path, root, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ContainmentError(
            f"is not UTF-8 text ({err.reason} at byte {err.start})", file=str(path)
        ) from None


def dataset_file(read, *args, **kwargs):
    """``read(*args)`` with a per-item refusal turned into a dataset-level one (exit 4):
    for files the whole dataset depends on (class lists, data.yaml)."""
    try:
        return read(*args, **kwargs)
    except ContainmentError as err:
        raise DatasetError(err.message, file=err.file) from None


def walk_files(folder: Path, root: Path, extensions: tuple[str, ...] | None = None):
    """``(files, problems)``: every regular file below ``folder`` (paths as seen from
    ``folder``, sorted per folder, ``extensions`` lower-case with the dot), and one
    ``ContainmentError`` per entry skipped (see the module docstring)."""
    files: list[Path] = []
    problems: list[ContainmentError] = []
    real_root = Path(os.path.realpath(root))
    visited: set[tuple[int, int]] = set()

    def visit(current: Path) -> None:
        try:
            info = os.stat(current)
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as err:
            problems.append(ContainmentError(f"folder cannot be listed: {err.strerror}", file=str(current)))
            return
        if (info.st_dev, info.st_ino) in visited:
            problems.append(ContainmentError("symlink loop: folder already listed", file=str(current)))
            return
        visited.add((info.st_dev, info.st_ino))
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            try:
                wanted = extensions is None or os.path.splitext(entry.name)[1].lower() in extensions
                if entry.is_symlink():
                    real = Path(os.path.realpath(path))
                    if real != real_root and not real.is_relative_to(real_root):
                        if wanted or real.is_dir():
                            problems.append(
                                ContainmentError(
                                    f"resolves to {real}, outside the dataset folder", file=str(path)
                                )
                            )
                        continue
                mode = os.stat(path).st_mode
            except OSError as err:
                problems.append(ContainmentError(f"cannot be read: {err.strerror}", file=str(path)))
                continue
            if stat.S_ISDIR(mode):
                subfolders.append(path)
            elif not wanted:
                continue
            elif stat.S_ISREG(mode):
                files.append(path)
            else:
                problems.append(
                    ContainmentError("not a regular file (FIFO, device or socket)", file=str(path))
                )
        for sub in subfolders:
            visit(sub)

    visit(Path(folder))
    return files, problems


# -- recording what was read, for --resume ------------------------------------------------------


@contextlib.contextmanager
def recording() -> Iterator[dict[str, dict]]:
    """Collect ``{real path: fingerprint}`` of every file read or checked in the block."""
    seen: dict[str, dict] = {}
    _RECORDERS.append(seen)
    try:
        yield seen
    finally:
        _RECORDERS.remove(seen)


def note_checked(real: Path | str, info: os.stat_result) -> None:
    """Record a file that was checked, not read (its content is fingerprinted by stat)."""
    if _RECORDERS:
        _note(real, stat_fingerprint(info))


def stat_fingerprint(info: os.stat_result) -> dict:
    return {
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "ctime_ns": info.st_ctime_ns,
        "inode": info.st_ino,
    }


def _note(real: Path | str, fingerprint: dict) -> None:
    key = os.fsdecode(real)
    for seen in _RECORDERS:
        if "sha256" in fingerprint or key not in seen:  # a content hash beats a stat
            seen[key] = fingerprint


def dataset_yaml(path: Path | str, root: Path):
    """A dataset's YAML file (data.yaml, classes.yaml) read inside ``root`` and parsed like a
    recipe: plain data only, no aliases or tags, bounded size and depth (``DatasetError``)."""
    from augcli.core.plain_yaml import load_yaml

    text = dataset_file(read_text, path, root, limit=MAX_YAML_BYTES)
    return load_yaml(text, str(path), error=DatasetError, what="dataset YAML file").data
