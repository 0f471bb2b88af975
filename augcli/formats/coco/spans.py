"""The annotation list of a COCO file read as a stream, parsed back from the file on demand.

``spans[i]`` parses annotation ``i`` from its bytes in the file, read through a
descriptor each process opens for itself on first use, after checking that the
file is the one that was indexed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from augcli.core.errors import DatasetError
from augcli.formats.coco.scan import file_stamp, parse_span

_READ_AHEAD = 1 << 20  # bytes read at once when annotations are asked for in file order


class AnnotationSpans(Sequence):
    """The annotation list of a file read as a stream (see the module docstring); read only."""

    def __init__(self, path: Path, stamp: tuple[int, int], offsets: np.ndarray, lengths: np.ndarray):
        self._path = Path(os.path.abspath(path))  # a worker's working folder may differ
        self._stamp, self._offsets, self._lengths = stamp, offsets, lengths
        self._fd: int | None = None
        self._pid = -1
        self._buffer, self._buffer_at = b"", 0

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        offset, length = int(self._offsets[index]), int(self._lengths[index])
        start = offset - self._buffer_at
        if not (0 <= start and start + length <= len(self._buffer)) or os.getpid() != self._pid:
            self._buffer = self._read(offset, max(length, _READ_AHEAD))
            self._buffer_at, start = offset, 0
        text = self._buffer[start : start + length].decode("utf-8")
        return parse_span(text)

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))

    def _read(self, offset: int, length: int) -> bytes:
        if self._fd is None or os.getpid() != self._pid:  # forked: a descriptor of its own
            try:
                self._fd, self._pid = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC), os.getpid()
            except OSError as err:
                raise DatasetError(f"cannot read annotation file: {err}", file=str(self._path)) from None
        if file_stamp(os.fstat(self._fd)) != self._stamp:  # checked at every read: one fstat
            raise DatasetError(
                "the annotation file changed after it was read; run again on the changed file",
                file=str(self._path),
            )
        return os.pread(self._fd, length, offset)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_fd": None, "_pid": -1, "_buffer": b"", "_buffer_at": 0}

    def __del__(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
