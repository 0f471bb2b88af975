"""Two facts of the whole annotation file, found by a forked helper while the reader walks it.

Whether NaN or Infinity may appear anywhere in the file (``document.
file_may_hold_non_finite``, a byte scan) and the file's SHA-256 (the run's
identity, ``engine.resume``) each read every byte, one after the other, and
nothing in them depends on the walk: ``FileFacts.start`` forks a helper that
finds both and sends them back, while the reader indexes the file on the
assumption that it holds no NaN (the usual case). If the helper says it may,
the reader reads the file again knowing it (``CocoReader``), so every verdict
and message is the one of a reader that scanned first. One CPU, or a helper
that dies: the facts are found here, as before.
"""

from __future__ import annotations

import hashlib
import os

from augcli.formats.coco.document import file_may_hold_non_finite
from augcli.formats.coco.forked import ForkedHelper, write_all

_HASH_CHUNK = 1 << 20


def file_digest(fd: int) -> str:
    """SHA-256 (hex) of the file open at ``fd``, read from its start."""
    digest = hashlib.sha256()
    offset = 0
    while chunk := os.pread(fd, _HASH_CHUNK, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


class FileFacts:
    """The non-finite hint and the digest of one file (see the module docstring)."""

    def __init__(self, fd: int, helper: ForkedHelper | None = None):
        self._fd, self._helper = fd, helper
        self._found: tuple[bool, str] | None = None

    @classmethod
    def start(cls, fd: int) -> FileFacts:
        """The facts of the file open at ``fd`` (which must stay open until ``get``), found by a
        forked helper when this process may use two CPUs."""
        if len(os.sched_getaffinity(0)) < 2:
            return cls(fd)
        return cls(fd, ForkedHelper(lambda write_fd: write_all(write_fd, _facts(fd))))

    def get(self) -> tuple[bool, str]:
        """(whether the file may hold NaN or Infinity, its SHA-256 in hex)."""
        if self._found is None:
            answer = self._helper.answer() if self._helper is not None else b""
            self._helper = None
            if len(answer) == 65 and answer[:1] in (b"0", b"1"):
                self._found = answer[:1] == b"1", answer[1:].decode("ascii")
            else:  # no helper, or it died before it said everything
                self._found = file_may_hold_non_finite(self._fd), file_digest(self._fd)
        return self._found

    def cancel(self) -> None:
        if self._helper is not None:
            self._helper.cancel()


def _facts(fd: int) -> bytes:
    return (b"1" if file_may_hold_non_finite(fd) else b"0") + file_digest(fd).encode("ascii")
