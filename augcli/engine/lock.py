"""One run per OUT, and no file under ``OUT/.augcli/`` is ever reached through a symlink.

``OutputLock`` holds an exclusive ``flock`` on ``OUT/.augcli/lock`` for the
whole run, ``--overwrite``'s delete included; a second run on the same OUT
fails at once (exit 2) naming the holder's pid, which the lock file holds.
The kernel drops the lock when the holder dies, even by ``kill -9``; forked
workers close their inherited copy at once, so a worker that outlives its
killed parent for a moment never keeps ``--resume`` out; a lock whose
recorded run is dead (a child forked at the instant of the kill still holds
a copy) is waited for up to ``STALE_WAIT_SECONDS``.

``open_meta`` opens a file in ``OUT/.augcli/`` through a descriptor of that
folder opened with ``O_NOFOLLOW``, and the file itself with ``O_NOFOLLOW``:
a planted symlink (the folder or the file) is an error, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import time
from collections.abc import Callable
from pathlib import Path

from augcli.core.errors import OutputError, UsageError

MARKER_DIR = ".augcli"  # present in every folder augcli wrote; --overwrite only clears such folders
LOCK_NAME = "lock"
STALE_WAIT_SECONDS = 5.0  # how long a lock left by a dead run may take to be freed by the kernel
_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_HELD: set[int] = set()  # lock descriptors of this process, closed in forked children
_TAKEN: list[OutputLock] = []  # locks not released yet, for releases_locks


def _close_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


def open_meta(meta: Path, name: str, flags: int, mode: int = 0o666) -> int:
    """A descriptor of ``meta/name`` opened without following symlinks (see the module docstring)."""
    dir_fd = os.open(meta, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    try:
        return os.open(name, flags | _NOFOLLOW, mode, dir_fd=dir_fd)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UsageError(
                f"refusing to open {meta / name}: it is a symlink, and augcli never follows one in "
                f"{meta}; remove it, or start over with --overwrite"
            ) from None
        raise
    finally:
        os.close(dir_fd)


def read_meta(meta: Path, name: str) -> bytes:
    """The bytes of ``meta/name`` (``OSError`` when missing; a symlink is refused)."""
    fd = open_meta(meta, name, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def ensure_meta_dir(out: Path) -> Path:
    """``OUT/.augcli`` as a real folder (created if missing); a symlink there is refused."""
    meta = Path(out) / MARKER_DIR
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
        meta.mkdir(exist_ok=True)
    except FileExistsError:
        pass
    except NotADirectoryError:
        raise UsageError(f"cannot create the output folder {out}: a part of its path is a file") from None
    except OSError as err:
        raise OutputError(f"cannot create the output folder {out}: {err.strerror or err}") from None
    if meta.is_symlink() or not meta.is_dir():
        raise UsageError(f"{meta} is not a folder augcli made (a symlink or a file); remove it yourself")
    return meta


class OutputLock:
    """The exclusive lock of one OUT; ``release`` (or process death) frees it."""

    def __init__(self, out: Path):
        self.out = Path(out)
        meta = ensure_meta_dir(self.out)
        try:
            self._fd = open_meta(meta, LOCK_NAME, os.O_RDWR | os.O_CREAT)
        except OSError as err:
            raise OutputError(f"cannot create the lock file in {meta}: {err.strerror or err}") from None
        if not _take(self._fd):
            holder = _holder(self._fd)
            os.close(self._fd)
            raise UsageError(
                f"another augcli run (pid {holder}) is writing to {self.out}; "
                "wait for it to finish, or stop it, before starting another run there"
            ) from None
        _HELD.add(self._fd)
        _TAKEN.append(self)
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self in _TAKEN:
            _TAKEN.remove(self)
        if self._fd >= 0:
            _HELD.discard(self._fd)
            os.ftruncate(self._fd, 0)  # a finished OUT names no pid (and its bytes do not vary)
            os.close(self._fd)  # closing drops the flock
            self._fd = -1

    def __enter__(self) -> OutputLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _take(fd: int) -> bool:
    """Lock ``fd``; False if another run holds it. A lock whose recorded run has died is
    waited for a moment: after ``kill -9`` of a run, its workers may take a moment to die
    and a worker forked at that instant still holds a copy."""
    deadline = None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if _alive(_holder(fd)):
                return False
            deadline = deadline or time.monotonic() + STALE_WAIT_SECONDS
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def _alive(holder: str) -> bool:
    if not holder.isdigit():
        return True  # no pid recorded yet: the holder is starting
    try:
        os.kill(int(holder), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        pass
    return True


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "unknown"


def releases_locks(func: Callable) -> Callable:
    """``func`` with every ``OutputLock`` it takes released when it returns or raises."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        before = len(_TAKEN)
        try:
            return func(*args, **kwargs)
        finally:
            for lock in _TAKEN[before:]:
                lock.release()

    return wrapper
