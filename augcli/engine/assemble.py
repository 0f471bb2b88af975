"""Assembly: finished tasks, in task-index order, into the label files and the reports.

Every run ends here, whoever ran its tasks (the local pool, ``--debug``, an
executor on other machines, the shards of ``augcli merge``): ``assemble``
reads each task's result back from where it was journaled (``PartRef``:
file, offset, length), one task at a time, in plan order, and streams

- its ``ItemRecord``s into ``writer.finalize`` (which streams its label files),
- its provenance rows into ``OUT/.augcli/provenance.jsonl``,
- its counts into the ``RunReport`` (skipped items, drops, classes, splits),

then writes ``report.jsonl`` and ``run.jsonl``. Nothing holds every record:
memory is one task's result plus what the writer keeps per image. The
bytes depend only on the results and their order, never on who made them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from augcli.core.errors import OutputError
from augcli.engine.journal import Done, PartRef
from augcli.engine.lock import open_meta
from augcli.engine.parts import read_result
from augcli.engine.plan import Task
from augcli.engine.report import RunReport, write_jsonl
from augcli.engine.result_json import normalize, provenance_lines, written_rows
from augcli.engine.results import TaskResult
from augcli.engine.resume import RUN_FILE
from augcli.formats.atomic import atomic_open, recording_writes
from augcli.storage.mirror import public_records

REPORT_FILE = "report.jsonl"
PROVENANCE_FILE = "provenance.jsonl"


def assemble(
    results: Iterable[TaskResult],
    tasks: Sequence[Task] | Mapping[int, Task],
    report: RunReport,
    *,
    label_names: dict[str, str],
    min_ops: int,
    writer: Any = None,
    meta: Path | None = None,
    run_info: dict | None = None,
) -> None:
    """Stream ``results`` (task-index order) into ``writer.finalize`` and the reports.

    ``tasks[index]`` is the task of each result (the run's global plan).
    Without a writer (a dry run) only the report is filled. ``run_info`` is
    the first row of ``run.jsonl``; the finished counts are added to it.
    Write failures are ``OutputError``.
    """
    tally = _Tally(report, tasks, label_names, dry_run=writer is None)
    warn_at = len(report.warnings)
    if writer is None:
        for result in results:
            tally.add(result)
        tally.warn_short(warn_at, min_ops)
        return
    assert meta is not None and run_info is not None, "a run that writes names its reports"
    # Images were renamed into place without one fsync each; one sync here
    # makes them durable before the annotation file that names them.
    os.sync()
    try:
        with atomic_open(meta / PROVENANCE_FILE, "wb") as provenance:
            records = _records(results, tally, provenance)
            with recording_writes() as written:
                stats = writer.finalize(records)
            for _ in records:  # a writer that stopped early still counts every task
                pass
            if "shard" in run_info:  # the shard's own label files: augcli merge writes the whole run's
                root = Path(writer.out)
                run_info["shard"]["label_files"] = sorted({str(path.relative_to(root)) for path in written})
            tally.warn_short(warn_at, min_ops)
            _apply_stats(report, stats, run_info)
            write_jsonl(meta / REPORT_FILE, normalize(public_records(report.skipped)))
        write_jsonl(meta / RUN_FILE, [run_info])
    except OSError as err:
        raise OutputError(f"cannot write the reports in {meta}: {err.strerror or err}") from err


def _records(results: Iterable[TaskResult], tally: _Tally, provenance: IO[bytes]) -> Iterator:
    for result in results:
        rows = tally.add(result)
        if rows:
            lines = result.provenance_lines  # made in the worker, from the same rows
            provenance.write(provenance_lines(rows) if lines is None else lines)
        yield from result.records


class _Tally:
    """The report's counts, one task at a time (what the runner used to add up at the end)."""

    def __init__(self, report: RunReport, tasks, label_names: dict[str, str], dry_run: bool):
        self.report = report
        self.tasks = tasks
        self.label_names = label_names
        self.dry_run = dry_run
        self.short = 0

    def add(self, result: TaskResult) -> list[dict]:
        """Count one result; returns its provenance rows of written outputs."""
        report = self.report
        if result.error:
            report.skipped.append(result.error)
        report.library_warnings.extend(result.warnings)
        # an output lost to a partner that failed to load is reported; its siblings were written
        written = written_rows(result.provenance)
        report.skipped.extend(row["skipped"] for row in result.provenance if "skipped" in row)
        if result.dropped:
            report.add_dropped(result.dropped)
        report.raster_path += sum(int(p.get("raster_path", 0)) for p in result.provenance)
        report.add_classes(self.label_names, result.classes_out, result.dropped_by_class)
        self.short += sum(1 for row in written if row.get("short_of_min_ops"))
        task = self.tasks[result.index]
        count = len(result.records)
        if self.dry_run:
            count = len(written) + (0 if result.error or 0 not in task.copies else 1)
            report.images_out += count
        report.splits[task.split]["images_out"] += count
        return written

    def warn_short(self, at: int, min_ops: int) -> None:
        report = self.report
        report.copies_short_of_min_ops = self.short
        if self.short:
            from augcli.recipe.recipe import MAX_DRAWS  # the recipe's modules only when it is said

            report.warnings.insert(
                at,
                f"{self.short} copies still had fewer than min_ops={min_ops} "
                f"ops after {MAX_DRAWS} draws (their ops are in .augcli/provenance.jsonl)",
            )


def _apply_stats(report: RunReport, stats: dict, run_info: dict) -> None:
    report.images_out = stats.get("images", 0)
    report.annotations_out = stats.get("annotations", 0)
    per_split = stats.get("splits") or {}
    if not per_split and len(report.splits) == 1:
        per_split = {name: {"annotations": report.annotations_out} for name in report.splits}
    for split, counts in per_split.items():
        if split in report.splits and "annotations" in counts:
            report.splits[split]["annotations_out"] = counts["annotations"]
    report.warnings.extend(stats.get("warnings", []))
    run_info.update(
        images_out=report.images_out,
        annotations_out=report.annotations_out,
        dropped=report.dropped,
        classes=report.classes,
    )
    if report.raster_path:
        run_info["raster_path"] = report.raster_path


# -- reading results back ----------------------------------------------------------------------


def results_in_order(meta: Path | None, done: Mapping[int, Done]) -> Iterator[TaskResult]:
    """The results of ``done`` in task-index order, each read when its turn comes."""
    reader = PartReader(meta)
    try:
        for index in sorted(done):
            yield reader.load(done[index])
    finally:
        reader.close()


class PartReader:
    """Reads results back by ``PartRef``, keeping one descriptor per file open."""

    def __init__(self, meta: Path | None):
        self.meta = meta
        self._fds: dict[str, int] = {}

    def load(self, done: Done) -> TaskResult:
        if done.result is not None:
            return done.result
        ref = done.ref
        if ref is None or self.meta is None:
            raise ValueError(f"task {done.index} was journaled without a location")
        return read_result(self.read(ref))

    def read(self, ref: PartRef) -> bytes:
        try:
            fd = self._fds.get(ref.file)
            if fd is None:
                assert self.meta is not None
                fd = self._fds[ref.file] = open_part(self.meta, ref.file)
            data = os.pread(fd, ref.length, ref.offset)
        except OSError as err:
            raise OutputError(f"cannot read {ref.file} in {self.meta}: {err.strerror or err}") from None
        if len(data) != ref.length:
            raise OutputError(
                f"{ref.file} in {self.meta} is shorter than the journal says; start over with --overwrite"
            )
        return data

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}


def open_part(meta: Path, name: str) -> int:
    """A read descriptor of ``meta/name`` (``name`` may hold folders); no symlink is followed."""
    path = Path(name)
    if path.is_absolute():
        return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    *folders, last = path.parts
    where = Path(meta)
    for folder in folders:
        where = where / folder
    return open_meta(where, last, os.O_RDONLY)
