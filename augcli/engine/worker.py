"""What one worker process does with one task.

A worker holds a ``WorkContext`` (reader, recipe, writer) built once per
process and turns a task into small, picklable ``TaskResult``s; it never lets
an item's failure escape as an exception, because one bad image must cost only
that image.
"""

from __future__ import annotations

import errno
import os
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from augcli.core.errors import AugcliError, OutputError
from augcli.engine.library_warnings import captured
from augcli.engine.partners import PartnerError
from augcli.engine.plan import Task
from augcli.engine.results import TaskResult, WorkContext
from augcli.engine.seeds import task_rng
from augcli.formats.atomic import remove_temp_files
from augcli.formats.images import shared_encodes
from augcli.geometry.fold_raster import RASTER_PATH
from augcli.geometry.occlusion import DEFAULT_POLYGON_HOLES, POLYGON_HOLES
from augcli.geometry.shared_labels import shared_labels

# Write failures that no other item can escape: the run stops (exit 6) and can be resumed.
_STOPPING_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOSPC", "EDQUOT", "EROFS", "EFBIG", "EIO", "EACCES", "EPERM")
    if hasattr(errno, name)
)
_DISK_FULL_ERRNOS = frozenset((errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EROFS))
# Copies whose ops left the labels alone share one label filter and one writer derivation,
# and a recipe without steps draws one run per task (False: the reference the tests compare).
REUSE_UNCHANGED = True


def with_writer_capabilities(sample: Any, writer: Any) -> Any:
    """Tell the label code what the writer can store: a polygon cut by a dropout hole
    becomes an RLE mask only when the writer says ``polygon_holes = "rle"``."""
    mode = (
        getattr(writer, "polygon_holes", DEFAULT_POLYGON_HOLES)
        if writer is not None
        else DEFAULT_POLYGON_HOLES
    )
    return sample.replace(meta={**sample.meta, POLYGON_HOLES: mode})


def run_task(ctx: WorkContext, task: Task) -> TaskResult:
    """The task's outputs; library warnings raised meanwhile are recorded, never printed."""
    with captured(task.key) as rows, shared_encodes():  # unchanged copies share one encode
        result = _run_task(ctx, task)
    if rows:
        file = _source_name(ctx, task.key)
        result.warnings = [{**row, "file": file} for row in rows]
    return result


def _run_task(ctx: WorkContext, task: Task) -> TaskResult:
    result = TaskResult(task.index, task.key)
    counts = _Counts()
    try:
        augmented = [c for c in task.copies if c > 0]
        source = ctx.reader.load(task.key) if augmented else None
        if source is not None:
            source = with_writer_capabilities(source, ctx.writer)
        # copies whose ops moved no label hold the source's instances: filter and emit them once
        shared = source.instances if source is not None and REUSE_UNCHANGED else None
        with shared_labels(shared):
            for copy in task.copies:
                _run_copy(ctx, task, copy, source, result, counts)
    except AugcliError as err:
        result.records = []
        result.error = err.to_record()
        if result.error.get("file") is None:
            result.error["file"] = _source_name(ctx, task.key)
        if result.error.get("image") is None:  # readers that number images set their id
            result.error["image"] = task.key
        result.fatal = isinstance(err, OutputError) and _caused_by(err, _STOPPING_ERRNOS)
    except Exception as err:  # a bug or an unexpected library error: skip the item, keep the run
        if ctx.debug:
            raise
        result.records = []
        result.error = internal_error(ctx, task.key, f"internal error: {err}")
        result.error["error"] = type(err).__name__
        result.error["where"] = (
            traceback.extract_tb(err.__traceback__)[-1].name if err.__traceback__ else None
        )
        result.fatal = _caused_by(err, _DISK_FULL_ERRNOS)
    result.dropped = dict(counts.dropped)
    if result.error is None:
        result.classes_out = dict(counts.written)
        result.dropped_by_class = {reason: dict(tally) for reason, tally in counts.by_class.items()}
    return result


@dataclass
class _Counts:
    """A task's label counts: dropped by reason, written and dropped per category id."""

    dropped: Counter = field(default_factory=Counter)
    written: Counter = field(default_factory=Counter)
    by_class: dict[str, Counter] = field(default_factory=dict)
    static_run: tuple | None = None  # a recipe without steps: the one run every copy shares


def _run_copy(
    ctx: WorkContext, task: Task, copy: int, source: Any, result: TaskResult, counts: _Counts
) -> None:
    """Write output ``copy`` of ``task`` into ``result``."""
    if copy == 0:
        if not ctx.dry_run:
            result.records.append(ctx.writer.write_original(task.key))
        labels = source.instances.labels if source is not None else ctx.reader.labels(task.key).labels
        counts.written.update(str(label) for label in labels.tolist())
        return
    if counts.static_run is not None:  # no step draws from the stream: the same run for every copy
        run, short, draw = counts.static_run
    else:
        rng = task_rng(ctx.seed, task.split, task.key, copy)
        partners = ctx.partners
        new_draw = (lambda: partners.drawer(task.key, copy)) if partners is not None else None
        try:
            run, short, draw = ctx.recipe.augment(
                source, rng, categories=ctx.reader.categories, new_draw=new_draw
            )
        except PartnerError as err:  # costs this output only
            skipped = {**err.to_record(), "file": _source_name(ctx, task.key), "where": f"copy {copy}"}
            result.provenance.append({"key": task.key, "copy": copy, "skipped": skipped})
            return
        if REUSE_UNCHANGED and not ctx.recipe.pipeline.steps:
            counts.static_run = (run, short, draw)
    counts.dropped.update(run.dropped)
    for reason, tally in run.dropped_by_class.items():
        counts.by_class.setdefault(reason, Counter()).update({str(k): v for k, v in tally.items()})
    counts.written.update(str(label) for label in run.sample.instances.labels.tolist())
    entry = {"key": task.key, "copy": copy, "ops": run.ops}
    if run.sample.meta.get(RASTER_PATH):  # instances a folding warp re-derived from rasters
        entry[RASTER_PATH] = int(run.sample.meta[RASTER_PATH])
    if draw is not None and draw.keys:
        entry["partners"] = list(draw.keys)
    if short:
        entry["short_of_min_ops"] = True
    result.provenance.append(entry)
    if not ctx.dry_run:
        result.records.append(ctx.writer.write_item(task.key, copy, run.sample))


def internal_error(ctx: WorkContext, key: str, message: str) -> dict:
    """An error record for an item that failed outside augcli's own checks."""
    return {
        "error": "InternalError",
        "message": message,
        "file": _source_name(ctx, key),
        "image": key,
        "annotation": None,
        "where": None,
    }


def _caused_by(err: BaseException | None, errnos: frozenset) -> bool:
    """True if ``err`` or an exception it was raised from is an OSError with one of ``errnos``."""
    seen = 0
    while err is not None and seen < 8:
        if isinstance(err, OSError) and err.errno in errnos:
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False


# told of every file a failed task may have written (a remote OUT deletes it in the store too)
DISCARD_LISTENERS: list[Callable[[Path], None]] = []


def discard_outputs(writer, task: Task) -> None:
    """Remove the files a failed task may have written, so a skipped item leaves nothing behind."""
    for target in _output_files(writer, task):
        for listener in DISCARD_LISTENERS:
            listener(target)
        try:
            target.unlink()
        except OSError:
            pass  # best effort: an unremovable file is unreferenced, the run goes on


def discard_temp_files(writer, task: Task) -> None:
    """Remove the temporary files a worker killed in the middle of ``task`` left behind."""
    for target in _output_files(writer, task):
        remove_temp_files(target.parent, target.name)


def _output_files(writer, task: Task) -> list:
    """Where the task's images go, if their folder really is inside OUT (links are not trusted)."""
    if writer is None:
        return []
    root = os.path.realpath(writer.out)
    targets = []
    for copy in task.copies:
        try:
            target = writer.out / writer.output_relpath(task.key, copy)
        except (AugcliError, ValueError):
            continue
        folder = os.path.realpath(target.parent)
        if folder == root or folder.startswith(root + os.sep):
            targets.append(target)
    return targets


def _source_name(ctx: WorkContext, key: str) -> str | None:
    try:
        return str(ctx.reader.source_path(key))
    except Exception:
        return None
