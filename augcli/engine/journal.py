"""The journal of finished tasks that makes ``--resume`` possible.

``OUT/.augcli/journal.jsonl`` starts with a header naming the run (its
identity: source, recipe, seed, copies, formats) and then holds one line per
finished task: ``{"index", "key", "failed", "part", "offset", "length"}``,
where the worker wrote the task's full result (records, provenance, drops,
the error of a skipped item: ``engine.parts``), or that full result itself
(tasks ``augcli merge`` imports). So a resumed run redoes nothing that
finished and assembles the same annotation file.

Ordering is what makes it safe: a task is written to the journal only after
its files and its part line were written *and* synced (``os.sync`` once per
batch of tasks, so the per-image fsync stays skipped). The syncing runs in a
background thread (``FLUSH_SECONDS`` apart), off the parent's path from one
result to the next; ``drain`` waits for it. A killed run therefore loses at
most the tasks of its last unflushed batch, which the resumed run redoes with
the same seeds and the same bytes. A line cut short by a kill or a full disk
ends the journal; everything after it is ignored and truncated away on resume.
A whole line (newline-terminated) that does not read back as a task is no
tear but damage or forgery: ``JournalError``, never a silent truncation.
The journal is opened without following symlinks (``engine.lock.open_meta``).
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from augcli.engine.lock import open_meta, read_meta
from augcli.engine.result_json import json_default, result_from_dict, result_to_dict
from augcli.engine.results import TaskResult
from augcli.formats.atomic import fsync_dir

JOURNAL_NAME = "journal.jsonl"
JOURNAL_VERSION = 2  # 2: part lines may end in a raw section (engine.parts)
FLUSH_SECONDS = 1.0  # how long finished tasks may wait before one sync makes them durable (0: each at once)
_PART_NAME = re.compile(r"^parts/\d{3,}-\d{4,}\.jsonl$")  # what a journal line may name (engine.parts)


@dataclass(frozen=True)
class PartRef:
    """Where one task's result line is: ``file`` (relative to ``OUT/.augcli/``, or absolute),
    its byte ``offset`` and ``length`` (the newline excluded)."""

    file: str
    offset: int
    length: int


@dataclass(frozen=True)
class Done:
    """A finished task as the journal knows it: small, whatever the task's size.

    ``ref`` locates its full result (``engine.assemble.load_result`` reads it back);
    ``result`` holds it instead when nothing is written (a dry run).
    """

    index: int
    key: str
    failed: bool
    ref: PartRef | None = None
    result: TaskResult | None = None


class JournalError(ValueError):
    """The journal cannot be trusted: unreadable header, or a whole line that is no task.

    ``torn`` marks a header cut short by a kill while the journal was created:
    nothing was journaled, so the run may simply start afresh."""

    def __init__(self, message: str, torn: bool = False):
        super().__init__(message)
        self.torn = torn


class Journal:
    """Append-only log of finished tasks; see the module docstring."""

    def __init__(self, path: Path, fd: int, size: int = 0):
        self.path = path
        self._fd = fd
        self._size = size  # bytes in the file once every queued line is written
        self._pending: list[bytes] = []
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._flushing = threading.Lock()  # one flush at a time, in whichever thread
        self._thread: threading.Thread | None = None
        self._exited = threading.Event()  # set when the background thread has returned
        self._stopping = False
        self._failure: OSError | None = None

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def create(cls, meta_dir: Path, identity: dict) -> Journal:
        """Start a new journal (replacing any old one) for the run ``identity``."""
        path = Path(meta_dir) / JOURNAL_NAME
        header = journal_line({"augcli_journal": JOURNAL_VERSION, "identity": identity})
        fd = open_meta(Path(meta_dir), JOURNAL_NAME, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND)
        journal = cls(path, fd)
        journal._write(header)
        journal._size = len(header)
        os.fsync(fd)
        fsync_dir(path.parent)
        journal._start_flushing()
        return journal

    @classmethod
    def reopen(cls, meta_dir: Path) -> tuple[Journal, dict, dict[int, Done]]:
        """Open an existing journal for appending: (journal, header identity, finished tasks).

        Cuts off a torn last line (and anything after it) so new lines follow
        whole ones. Raises ``JournalError`` when it cannot be trusted.
        """
        path = Path(meta_dir) / JOURNAL_NAME
        identity, done, good_bytes = read_journal(path)
        fd = open_meta(Path(meta_dir), JOURNAL_NAME, os.O_WRONLY | os.O_APPEND)
        if os.fstat(fd).st_size != good_bytes:
            os.ftruncate(fd, good_bytes)
            os.fsync(fd)
        journal = cls(path, fd, good_bytes)
        journal._start_flushing()
        return journal, identity, done

    # -- writing -----------------------------------------------------------------------------

    def record(self, result: TaskResult) -> Done:
        """Queue a finished task's whole result; it becomes durable at the next flush."""
        line = journal_line(result_to_dict(result))
        offset = self._queue(line)
        return Done(
            result.index, result.key, bool(result.error), PartRef(JOURNAL_NAME, offset, len(line) - 1)
        )

    def record_line(self, line: bytes, done: Done) -> Done:
        """Queue a journal line a worker prepared (``engine.parts.Finished``) for ``done``."""
        self._queue(line)
        return done

    def _queue(self, line: bytes) -> int:
        with self._lock:
            if self._failure is not None:
                raise self._failure
            offset = self._size
            first = not self._pending
            self._pending.append(line)
            self._size += len(line)
            every_task = FLUSH_SECONDS <= 0
            if not every_task:
                if self._thread is None:  # stopped by an earlier drain
                    self._start_thread()
                if first:  # with lines pending, the thread already waits for their flush time
                    self._wake.notify()
        if every_task:  # each task durable before the next is taken: no background batching
            self.flush()
        return offset

    def _start_flushing(self) -> None:
        # when the journal opens, before any task: a Ctrl-C or SIGTERM is far likelier later
        if FLUSH_SECONDS > 0:
            with self._lock:
                self._start_thread()

    def _start_thread(self) -> None:
        """Start the background flush (the caller holds the lock) with SIGINT and SIGTERM held
        back in this thread, so neither can cut the start in two; the new thread inherits the
        mask, so those signals keep going to the main thread, where Python handles them."""
        exited = threading.Event()
        thread = threading.Thread(target=self._flush_in_background, args=(exited,), daemon=True)
        held = {signal.SIGINT, signal.SIGTERM}
        main = threading.current_thread() is threading.main_thread()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held) if main else None
        try:
            thread.start()
            self._exited, self._thread = exited, thread
        finally:
            if previous is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _flush_in_background(self, exited: threading.Event) -> None:
        try:
            self._flush_until_stopped()
        finally:
            exited.set()

    def _flush_until_stopped(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._stopping:
                    self._wake.wait()
                if not self._pending:
                    return  # stopping, nothing left
                due = FLUSH_SECONDS - (time.monotonic() - self._last_flush)
                if due > 0 and not self._stopping:
                    self._wake.wait(due)
                    continue
            try:
                self.flush()
            except OSError as err:
                with self._lock:
                    self._failure = err
                return

    def flush(self) -> None:
        """Sync the output files written so far, then append and sync the queued tasks."""
        with self._flushing:
            with self._lock:
                self._last_flush = time.monotonic()
                data, self._pending = b"".join(self._pending), []
            if not data:
                return
            os.sync()  # the images and parts of the queued tasks reach the disk before their lines
            self._write(data)
            os.fsync(self._fd)

    def drain(self) -> None:
        """Wait for the background flush, then flush what is left; raises what the flush met."""
        self._stop_thread()
        self.flush()
        with self._lock:
            failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _stop_thread(self) -> None:
        with self._lock:
            thread, self._stopping = self._thread, True
            self._wake.notify()
        if thread is not None:
            # not thread.join(): a Ctrl-C interrupting a join can leave the thread's own
            # lock released twice (CPython bpo-45274); an Event wait is safe to interrupt.
            # A thread that is not alive will never set it.
            while not self._exited.wait(0.1) and thread.is_alive():
                pass
        with self._lock:
            self._thread, self._stopping = None, False

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        self._stop_thread()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def remove(self) -> None:
        """Delete the journal once the run is complete (the output then stands on its own)."""
        self.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        fsync_dir(self.path.parent)


def read_journal(path: Path) -> tuple[dict, dict[int, Done], int]:
    """(identity, finished tasks by index, length in bytes of the whole lines read)."""
    try:
        data = read_meta(path.parent, path.name)
    except OSError as err:
        raise JournalError(f"the journal cannot be read: {err.strerror or err}") from None
    if b"\n" not in data:
        raise JournalError("the journal header was cut short", torn=True)
    lines = data.split(b"\n")
    try:
        header = json.loads(lines[0]) if data.endswith(b"\n") or len(lines) > 1 else None
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise JournalError(f"the journal header of {path} is unreadable")
    version = header.get("augcli_journal")
    if type(version) is int and version != JOURNAL_VERSION:
        raise JournalError(f"the journal {path} and its parts are of another augcli version's format")
    if version != JOURNAL_VERSION or not isinstance(header.get("identity"), dict):
        raise JournalError(f"the journal header of {path} is unreadable")
    done: dict[int, Done] = {}
    good = len(lines[0]) + 1
    for number, line in enumerate(lines[1:-1], 2):  # the last element follows the last newline: torn
        try:
            entry = _done_of(json.loads(line), PartRef(path.name, good, len(line)))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise JournalError(f"line {number} of {path} is not a task record augcli wrote") from None
        done[entry.index] = entry
        good += len(line) + 1
    return header["identity"], done, good


def _done_of(data: dict, here: PartRef) -> Done:
    """A journal line as a ``Done``: a part line names its part, a whole result is ``here``."""
    if "part" not in data:
        result = result_from_dict(data)
        return Done(result.index, result.key, bool(result.error), here)
    index, key, part = data["index"], data["key"], data["part"]
    offset, length, failed = data["offset"], data["length"], data["failed"]
    if not (
        type(index) is int
        and isinstance(key, str)
        and isinstance(part, str)
        and _PART_NAME.match(part)
        and type(offset) is int
        and type(length) is int
        and offset >= 0
        and length >= 0
        and isinstance(failed, bool)
    ):
        raise ValueError("not a part line")
    return Done(index, key, failed, PartRef(part, offset, length))


def journal_line(obj: dict) -> bytes:
    # key order is kept: writers emit dicts in the order they hold them
    return (json.dumps(obj, default=json_default) + "\n").encode("utf-8")
