"""Atomic file writes: a reader never sees a half-written file.

Data goes to a temporary file in the destination folder (so the final rename
never crosses a filesystem), is flushed and fsynced, then ``os.replace``d
over the destination. A crash leaves either the old file or the new one,
plus at worst a stray ``.<name>.*.tmp`` file. A name too long for that
(the temporary name adds 14 bytes to it) gets the prefix ``.<start of the
name>~<hash of the name>.`` instead, so every name that fits the file
system can be written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# mkstemp creates files readable by the owner only; output files should get the
# permissions any other new file would. Read the umask once, at import.
_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK
_TEMP_SUFFIX = ".tmp"
# ``.<name>.<8 chars: process and counter in hex, or mkstemp's random ones>.tmp``: what a killed writer leaves
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")
NAME_MAX = 255  # bytes in one file name on every common file system
_TEMP_EXTRA = len(".") + len(".") + 8 + len(_TEMP_SUFFIX)
_RECORDERS: list[list[Path]] = []  # open ``recording_writes`` blocks of this process


@contextlib.contextmanager
def recording_writes() -> Iterator[list[Path]]:
    """The paths every atomic write of this process put in place while the block runs
    (a shard's label files, which ``augcli merge`` must not take for task outputs)."""
    written: list[Path] = []
    _RECORDERS.append(written)
    try:
        yield written
    finally:
        _RECORDERS[:] = [other for other in _RECORDERS if other is not written]


def temp_prefix(name: str) -> str:
    """``.<name>.``, or for a name too long for that, ``.<its start>~<hash>.``."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) + _TEMP_EXTRA <= NAME_MAX:
        return f".{name}."
    digest = hashlib.sha256(raw).hexdigest()[:16]
    keep = raw[: NAME_MAX - _TEMP_EXTRA - len(digest) - 1].decode("utf-8", "ignore")
    return f".{keep}~{digest}."


@contextlib.contextmanager
def atomic_open(
    path: Path,
    mode: str = "wb",
    *,
    encoding: str | None = None,
    durable_dir: bool = False,
    durable: bool = True,
) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the block ends cleanly.

    ``mode`` is ``"wb"`` or ``"w"`` (text, UTF-8 unless ``encoding`` says
    otherwise). With ``durable_dir`` the folder is fsynced after the rename
    too, so the new name itself survives a power cut. ``durable=False`` skips
    the per-file fsync (still atomic against a killed process; the engine
    syncs the whole output once before it writes the annotation file).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open supports 'wb' and 'w', not {mode!r}")
    path = Path(path)
    fd, tmp_name = _temp_file(path)
    try:
        if mode == "w":
            handle: IO = os.fdopen(fd, "w", encoding=encoding or "utf-8", newline="")
        else:
            handle = os.fdopen(fd, "wb")
        with handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        _put_in_place(tmp_name, path, durable_dir)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, durable_dir: bool = False, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (as ``atomic_open`` does, without a file object)."""
    path = Path(path)
    fd, tmp_name = _temp_file(path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        _put_in_place(tmp_name, path, durable_dir)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


# O_EXCL: never another writer's file; the mode is the usual new file's (0o666 less the umask)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_TEMP_COUNTER = itertools.count()


def _temp_file(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path`` (its folder created if missing):
    ``.<name>.<process and counter in 8 hex digits>.tmp``, cheaper than mkstemp's random
    names; a name a killed writer left behind is skipped."""
    folder, prefix = path.parent, temp_prefix(path.name)
    pid = os.getpid() & 0xFFFF
    for attempt in range(8):
        tmp_name = os.path.join(folder, f"{prefix}{pid:04x}{next(_TEMP_COUNTER) & 0xFFFF:04x}{_TEMP_SUFFIX}")
        try:
            return os.open(tmp_name, _CREATE, 0o666), tmp_name
        except FileExistsError:
            continue
        except FileNotFoundError:
            if attempt:
                raise
            folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=_TEMP_SUFFIX)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, _FILE_MODE)
    return fd, tmp_name


def _put_in_place(tmp_name: str, path: Path, durable_dir: bool) -> None:
    os.replace(tmp_name, path)
    for written in _RECORDERS:
        written.append(path)
    if durable_dir:
        fsync_dir(path.parent)


def atomic_write_json(path: Path, obj: Any, *, indent: int | None = None, durable_dir: bool = True) -> None:
    """Serialise ``obj`` as UTF-8 JSON (non-ASCII kept as is) to ``path`` atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    atomic_write_bytes(path, text.encode("utf-8"), durable_dir=durable_dir)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def temp_file_target(file_name: str) -> str | None:
    """The final name a leftover temporary file was meant for (for a long name, its
    shortened form), or None if it is not one."""
    match = _TEMP_NAME.match(file_name)
    return match.group("name") if match else None


def remove_temp_files(folder: Path, name: str | None = None) -> int:
    """Delete leftover temporary files in ``folder`` (only those meant for ``name`` if given)."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    wanted = None if name is None else temp_prefix(name)[1:-1]
    for entry in entries:
        target = temp_file_target(entry.name)
        if target is None or (wanted is not None and target != wanted):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
    return removed


def remove_temp_files_below(root: Path) -> int:
    """``remove_temp_files`` in ``root`` and every folder below it (symlinks not followed)."""
    removed = 0
    for folder, _dirs, files in os.walk(root):
        if any(f.endswith(_TEMP_SUFFIX) for f in files):
            removed += remove_temp_files(Path(folder))
    return removed
