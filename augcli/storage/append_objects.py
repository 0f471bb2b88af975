"""The append-only bookkeeping files of a remote OUT, uploaded as segment objects.

An object store cannot append, and re-sending a growing file whole each
round costs the square of its size. So while a run goes on, each new stretch
of whole lines of ``.augcli/journal.jsonl`` and ``.augcli/parts/*.jsonl`` is
one object of its own,

    .augcli/segments/<file below .augcli>/<generation>-<start>-<end>

holding bytes ``[start, end)`` of the file. The file as the store holds it
is the chain of the highest generation that starts at byte 0, each segment
starting where the one before ended. A file rewritten in place (a resume that
starts over reuses a part's name) starts a new generation from byte 0; the
older one is deleted once the new one is stored. A whole object of such a
file exists only at the end of a run that keeps them (a shard, for
``augcli merge``), written just before the manifest: it then wins over any
segments left beside it (it is the complete file). Only whole lines are
sent, so a torn tail never reaches the store and a resume's truncation of
one never cuts into what is there.

This module decides what to send (``AppendState``, ``next_chunk``) and which
segments a resume joins (``rebuild``); ``remote_out`` orders the uploads and
downloads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

META = ".augcli"  # engine.lock.MARKER_DIR (storage does not import the engine)
SEGMENTS = f"{META}/segments"
_APPEND = re.compile(r"^\.augcli/(journal\.jsonl|parts/[^/]+\.jsonl)$")
_SEGMENT = re.compile(r"^\.augcli/segments/(?P<file>.+)/(?P<gen>\d{6})-(?P<start>\d{15})-(?P<end>\d{15})$")
_PROBE = 64  # bytes at the head and the tail of what was sent, checked to notice a rewrite


def is_append_file(rel: str) -> bool:
    """A bookkeeping file that only grows while a run goes on (uploaded as segments)."""
    return _APPEND.match(rel) is not None


def segment_name(rel: str, gen: int, start: int, end: int) -> str:
    return f"{SEGMENTS}/{rel[len(META) + 1 :]}/{gen:06d}-{start:015d}-{end:015d}"


@dataclass(frozen=True)
class Segment:
    rel: str  # the segment object, relative to OUT
    file: str  # the file it is part of, relative to OUT
    gen: int
    start: int
    end: int


def parse_segment(rel: str) -> Segment | None:
    match = _SEGMENT.match(rel)
    if match is None:
        return None
    file = f"{META}/{match['file']}"
    return Segment(rel, file, int(match["gen"]), int(match["start"]), int(match["end"]))


@dataclass(frozen=True)
class AppendState:
    """What the store holds of one local file: its generation, the bytes sent, and probes of them."""

    gen: int
    length: int
    inode: int
    head: bytes = b""
    tail: bytes = b""

    def continued_by(self, handle, info: os.stat_result) -> bool:
        """Whether the open file still starts with the bytes sent (else it was rewritten)."""
        if info.st_ino != self.inode or info.st_size < self.length:
            return False
        return _pread(handle, 0, len(self.head)) == self.head and (
            _pread(handle, self.length - len(self.tail), len(self.tail)) == self.tail
        )

    @classmethod
    def of_file(cls, gen: int, path: Path) -> AppendState:
        """The state of ``path`` stored whole as generation ``gen`` (read: its probes only)."""
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            head = _pread(handle, 0, min(_PROBE, info.st_size))
            tail = _pread(handle, max(0, info.st_size - _PROBE), min(_PROBE, info.st_size))
        return cls(gen, info.st_size, info.st_ino, head, tail)

    def after(self, data: bytes) -> AppendState:
        """The state once ``data`` is stored after the bytes sent so far."""
        head = self.head if self.length else data[:_PROBE]
        return AppendState(self.gen, self.length + len(data), self.inode, head, (self.tail + data)[-_PROBE:])


def next_chunk(path: Path, state: AppendState | None, next_gen: int) -> tuple[AppendState, bytes] | None:
    """``(state before the chunk, its bytes)``: the whole lines of ``path`` not sent yet, from
    ``state.length``; from byte 0 under generation ``next_gen`` when the file is new or was
    rewritten. None when there is nothing to send; ``FileNotFoundError`` when the file is gone."""
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if state is None or not state.continued_by(handle, info):
            state = AppendState(next_gen, 0, info.st_ino)
        handle.seek(state.length)
        data = handle.read()
    data = data[: data.rfind(b"\n") + 1]
    return (state, data) if data else None


def rebuild(rels: Collection[str]) -> Rebuild:
    """How to rebuild the append files a store holds from the names ``rels`` of its
    ``.augcli/`` objects (relative to OUT)."""
    by_file: dict[str, list[Segment]] = {}
    for rel in rels:
        segment = parse_segment(rel)
        if segment is not None:
            by_file.setdefault(segment.file, []).append(segment)
    plan = Rebuild({}, {}, [])
    for file, segments in by_file.items():
        plan.next_gen[file] = max(s.gen for s in segments) + 1
        chain = [] if file in rels else _chain(segments)  # a whole object wins: it is complete
        if chain:
            plan.chains[file] = chain
        plan.stale += [s.rel for s in segments if s not in chain]
    plan.stale.sort()
    return plan


@dataclass
class Rebuild:
    """What ``rebuild`` found: file -> its chain of segments (one generation, from byte 0),
    file -> the generation a rewrite takes next, and the segment objects in no chain (stale:
    deleted before anything is appended)."""

    chains: dict[str, list[Segment]]
    next_gen: dict[str, int]
    stale: list[str]


def _chain(segments: list[Segment]) -> list[Segment]:
    """The contiguous run from byte 0 of the highest generation that has one."""
    for gen in sorted({s.gen for s in segments}, reverse=True):
        starts = {s.start: s for s in segments if s.gen == gen and s.end > s.start}
        chain, at = [], 0
        while at in starts:
            chain.append(starts[at])
            at = starts[at].end
        if chain:
            return chain
    return []


def _pread(handle, offset: int, size: int) -> bytes:
    return os.pread(handle.fileno(), size, offset) if size > 0 else b""
