"""Part files: where workers put what ``finalize`` and the reports need from their tasks.

Each worker process appends one line per finished task (its records,
provenance, drops, class counts, warnings, error) to its own part file,
``OUT/.augcli/parts/<run>-<worker>.jsonl``: the result as JSON and, when its
records hold ``RawPayload`` values (COCO's pre-serialised annotations), a
``\x1e`` and their bytes as they are, which the JSON names by offset and
length (``result_json.result_to_dict``), so reading a result back parses only the
small JSON head. The worker sends the parent only a
``Finished``: the task's index, key, error and a ready-made journal line
naming the part, offset and length. The parent appends that line to the
journal without reading the result; ``engine.assemble`` reads the results
back from the parts in task order at the end.

Names are deterministic: ``<run>`` counts the runs that wrote into OUT (0 for
a fresh run, one more for each ``--resume``), ``<worker>`` the workers (and
replacements) this run started, so no two processes ever share a file. A
part line is written before its journal line is queued, and the journal's
flush syncs the file system before it appends (``engine.journal``), so a
journaled task's part is durable. A worker killed mid-line leaves a torn
tail no journal line names; its task is redone into another part.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from augcli.engine.journal import Done, PartRef, journal_line
from augcli.engine.lock import open_meta
from augcli.engine.result_json import result_from_dict, result_to_dict
from augcli.engine.results import TaskResult

PARTS_DIR = "parts"
_NAME = re.compile(r"^(\d{3,})-(\d{4,})\.jsonl$")
_RAW = b"\x1e"  # ends a part line's JSON head (JSON text never holds it raw); its raw section follows


@dataclass
class Finished:
    """What a worker sends back for one task: small, whatever the task's size.

    ``index``, ``key``, ``error`` and ``fatal`` mean what they mean on a
    ``TaskResult``; ``line`` is the journal line, ``ref`` where the full
    result is."""

    index: int
    key: str
    error: dict | None
    fatal: bool = False
    line: bytes = b""
    ref: PartRef | None = None

    def done(self) -> Done:
        return Done(self.index, self.key, bool(self.error), self.ref)


class PartNames:
    """Hands out this run's part names: ``parts/<run>-<n>.jsonl``, ``<run>`` after any in ``meta``."""

    def __init__(self, meta: Path):
        self.meta = Path(meta)
        runs = [int(m.group(1)) for m in map(_NAME.match, _listing(self.meta / PARTS_DIR)) if m]
        self.run = max(runs, default=-1) + 1
        self._count = 0

    def next(self) -> str:
        name = f"{PARTS_DIR}/{self.run:03d}-{self._count:04d}.jsonl"
        self._count += 1
        return name


def _listing(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError:
        return []


class PartWriter:
    """Appends task results to one part file, created at the first task (see the module docstring)."""

    def __init__(self, meta: Path, name: str):
        self.meta = Path(meta)
        self.name = name
        self._fd = -1
        self._size = 0

    def finish(self, result: TaskResult) -> Finished:
        """Write ``result``'s line; the ``Finished`` to send the parent (fatal when it cannot be written)."""
        if result.fatal:
            return Finished(result.index, result.key, result.error, fatal=True)
        line = result_line(result)
        try:
            self._append(line)
        except OSError as err:
            error = {
                "error": "OutputError",
                "message": f"cannot write {self.meta / self.name}: {err.strerror or err}",
                "file": None,
                "image": result.key,
                "annotation": None,
                "where": None,
            }
            return Finished(result.index, result.key, error, fatal=True)
        ref = PartRef(self.name, self._size - len(line), len(line) - 1)
        entry = {
            "index": result.index,
            "key": result.key,
            "failed": bool(result.error),
            "part": ref.file,
            "offset": ref.offset,
            "length": ref.length,
        }
        return Finished(result.index, result.key, result.error, line=journal_line(entry), ref=ref)

    def _append(self, data: bytes) -> None:
        if self._fd < 0:
            folder = self.meta / PARTS_DIR
            folder.mkdir(exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
            self._fd = open_meta(folder, Path(self.name).name, flags)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self._size += len(data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def result_line(result: TaskResult) -> bytes:
    """``result`` as one part line (see the module docstring)."""
    raw = bytearray()
    head = journal_line(result_to_dict(result, raw))
    if not raw:
        return head
    if b"\n" in raw:  # a line is what the journal and a remote OUT's uploads count on
        raise ValueError("a RawPayload holds a newline")
    return b"".join((head[:-1], _RAW, raw, b"\n"))


def read_result(data: bytes) -> TaskResult:
    """The result of a part line (or of a whole-result journal line), its newline excluded."""
    cut = data.find(_RAW)
    if cut < 0:
        return result_from_dict(json.loads(data))
    return result_from_dict(json.loads(data[:cut]), memoryview(data)[cut + 1 :])


def is_part(path: Path) -> bool:
    """True for a part file (a working file of an unfinished run, like the journal)."""
    return bool(_NAME.match(path.name)) and path.parent.name == PARTS_DIR


def remove_parts(meta: Path) -> None:
    """Delete the part files of a finished run (its label files now hold everything)."""
    folder = Path(meta) / PARTS_DIR
    if folder.is_symlink() or not folder.is_dir():
        return
    for name in os.listdir(folder):
        if _NAME.match(name):
            (folder / name).unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        pass  # something else is in there: never ours to delete
