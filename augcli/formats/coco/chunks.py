"""The annotation list indexed by two processes at once, with the sequential answer.

Parsing and checking the annotations is nearly all of the time to read a big
COCO file, and it is one element after another: ``Speculation`` guesses where
an element starts halfway through the rest of the file (a ``}``, a comma, a
``{``) and forks a helper that indexes the list from there to its end with
its own ``IndexBuilder``, while this process indexes it from its start. The
guess is only used once this process's own walk, element by element from the
list's start, reaches an element starting at exactly that byte: then the
helper read the same elements the walk would have read next, and its part is
joined in (``IndexBuilder.join``: positions, problem names and unmovable
kinds renumbered as the sequential order gives them). Anything else (the
walk steps over the guessed byte, or the list ends before it, the helper
fails, an id of the helper's half was used in the first half) and the helper
is dropped: this process goes on alone, as it always did. So the index and
every message are the sequential ones, whatever happens.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from augcli.formats.coco.forked import ForkedHelper, write_all
from augcli.formats.coco.index import IndexBuilder
from augcli.formats.coco.scan import DocumentScan

MIN_BYTES = 16 << 20  # bytes after the list's start below which one process reads (a fork costs more)
_PROBE = 1 << 16  # bytes searched for a guess
_BOUNDARY = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")  # most likely between two annotations


def index_list(builder: IndexBuilder, scan: DocumentScan, at: int, first: Callable[[Any], None]) -> int:
    """Index the list whose elements start at byte ``at`` into ``builder`` (the second half in a
    helper when it pays), ``first(value)`` told of its first element; the byte offset after it."""
    helper = Speculation.start(builder, scan, at)
    boundary = helper.boundary if helper else -1
    base = 0
    try:
        for batch in scan.batches(at, cut=builder.takes_plain_rows):
            if not base and batch.values:
                first(batch.whole(0))
            offsets = batch.offsets
            if 0 <= boundary <= (offsets[-1] if len(offsets) else -1):
                cut = int(np.searchsorted(offsets, boundary))
                if offsets[cut] == boundary:  # the walk reached the guess: the helper read on from it
                    builder.add_batch(base, batch.part(0, cut))
                    after = helper.join(builder, base + cut)  # type: ignore[union-attr]
                    if after is not None:
                        return after
                    batch, base = batch.part(cut), base + cut
                helper.cancel()  # type: ignore[union-attr]
                boundary = -1
            builder.add_batch(base, batch)
            base += len(batch.values)
    finally:
        if helper:
            helper.cancel()
    return scan.offset()


class Speculation:
    """A helper indexing the list from ``boundary`` on (see the module docstring)."""

    def __init__(self, helper: ForkedHelper, boundary: int):
        self._helper, self.boundary = helper, boundary

    @classmethod
    def start(cls, builder: IndexBuilder, scan: DocumentScan, list_offset: int) -> Speculation | None:
        """A helper for the list whose elements start at byte ``list_offset``, or None (small file,
        one CPU, no likely boundary). ``builder`` must not have been given an annotation yet."""
        size = os.fstat(scan.fd).st_size
        if size - list_offset < max(MIN_BYTES, 2 * _PROBE) or len(os.sched_getaffinity(0)) < 2:
            return None
        middle = list_offset + (size - list_offset) // 2
        found = _BOUNDARY.search(os.pread(scan.fd, _PROBE, middle))
        if found is None:
            return None
        boundary = middle + found.end() - 1
        return cls(ForkedHelper(lambda write_fd: _index_from(builder, scan, boundary, write_fd)), boundary)

    def join(self, builder: IndexBuilder, base: int) -> int | None:
        """Join the helper's part into ``builder`` (the walk reached ``boundary`` as annotation
        ``base``); the byte offset after the list, or None when the walk must go on alone."""
        received = self._helper.answer()
        try:
            outcome: Any = pickle.loads(received)
        except Exception:  # the helper died before it said anything
            return None
        del received
        if outcome is None or not builder.join(outcome[0], base):
            return None
        return outcome[1]

    def cancel(self) -> None:
        self._helper.cancel()


def _index_from(builder: IndexBuilder, scan: DocumentScan, boundary: int, write_fd: int) -> None:
    """The helper's work: index the list from ``boundary`` to its end, send the part."""
    outcome = None
    try:
        base = 0
        for batch in scan.batches(boundary, cut=builder.takes_plain_rows):
            builder.add_batch(base, batch)
            base += len(batch.values)
        outcome = (builder.part(), scan.offset())
    except BaseException:  # noqa: BLE001  # whatever it was, the walk meets it again alone
        outcome = None
    write_all(write_fd, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
