"""What one worker process does with one task.

A worker holds a ``WorkContext`` (reader, recipe, writer) built once per
process and turns a task into small, picklable ``TaskResult``s; it never lets
an item's failure escape as an exception, because one bad image must cost only
that image.
"""
from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from augcli.core.errors import AugcliError
from augcli.engine.plan import Task
from augcli.engine.seeds import task_rng
from augcli.formats.base import ItemRecord


@dataclass
class WorkContext:
    reader: Any
    recipe: Any
    writer: Any
    seed: int
    dry_run: bool = False
    debug: bool = False


@dataclass
class TaskResult:
    index: int
    key: str
    records: list[ItemRecord] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    provenance: list[dict] = field(default_factory=list)
    error: dict | None = None     # set when the item was skipped


def run_task(ctx: WorkContext, task: Task) -> TaskResult:
    result = TaskResult(task.index, task.key)
    dropped: Counter = Counter()
    try:
        augmented = [c for c in task.copies if c > 0]
        source = ctx.reader.load(task.key) if augmented else None
        for copy in task.copies:
            if copy == 0:
                if not ctx.dry_run:
                    result.records.append(ctx.writer.write_original(task.key))
                continue
            rng = task_rng(ctx.seed, task.key, copy)
            run = ctx.recipe.pipeline.run(source, rng, categories=ctx.reader.categories,
                                          policy=ctx.recipe.policy)
            dropped.update(run.dropped)
            result.provenance.append({"key": task.key, "copy": copy, "ops": run.ops})
            if not ctx.dry_run:
                result.records.append(ctx.writer.write_item(task.key, copy, run.sample))
    except AugcliError as err:
        result.records = []
        result.error = err.to_record()
        if result.error.get("file") is None:
            result.error["file"] = _source_name(ctx, task.key)
    except Exception as err:  # a bug or an unexpected library error: skip the item, keep the run
        if ctx.debug:
            raise
        result.records = []
        result.error = {
            "error": type(err).__name__, "message": f"internal error: {err}",
            "file": _source_name(ctx, task.key), "image": task.key, "annotation": None,
            "where": traceback.extract_tb(err.__traceback__)[-1].name if err.__traceback__ else None,
        }
    result.dropped = dict(dropped)
    return result


def _source_name(ctx: WorkContext, key: str) -> str | None:
    try:
        return str(ctx.reader.source_path(key))
    except Exception:
        return None
