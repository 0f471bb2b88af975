"""A forked helper process that answers once, through a pipe (``coco.chunks``, ``coco.facts``)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable


class ForkedHelper:
    """``work(write_fd)`` run in a forked child, which exits when it returns (or raises); the
    bytes it wrote are ``answer()``. A helper not asked is ended by ``cancel()``."""

    def __init__(self, work: Callable[[int], None]):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper: never returns
            try:
                os.close(read_fd)
                work(write_fd)
            finally:
                os._exit(0)
        os.close(write_fd)
        self.pid, self._read_fd = pid, read_fd

    def answer(self) -> bytes:
        """Everything the helper wrote (nothing, if it died first), once it has exited."""
        received = bytearray()
        while piece := os.read(self._read_fd, 1 << 20):
            received += piece
        self._reap()
        return bytes(received)

    def cancel(self) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        os.close(self._read_fd)
        os.waitpid(self.pid, 0)
        self.pid = 0


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
