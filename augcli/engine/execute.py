"""Run the pending tasks of a plan: journal, clean up, stop on a dead disk.

Results are journaled as they come and only a small ``Done`` is kept per
task (``engine.assemble`` reads the results back in plan order), so the
parent's memory does not grow with the dataset. Every result is normalized
the way the journal stores it, so a resumed run assembles exactly what an
uninterrupted one would. A skipped item's files
are removed (a task that failed half-way must not leave an orphan image).
A write failure no item can escape (disk full, read-only, no permission)
stops the run with ``OutputError`` (exit 6); an interruption stops it too.
Either way the journal is flushed first, so ``--resume`` picks up from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from augcli.core.errors import OutputError
from augcli.engine.executors import DEFAULT_ITEM_TIMEOUT, start_tasks
from augcli.engine.journal import Done, Journal
from augcli.engine.parts import Finished
from augcli.engine.plan import Task
from augcli.engine.result_json import normalize_result
from augcli.engine.worker import TaskResult, WorkContext, discard_outputs
from augcli.formats.atomic import remove_temp_files_below

RESUME_HINT = "rerun the same command with --resume to continue"


def execute(
    context: WorkContext,
    tasks: list[Task],
    workers: int,
    journal: Journal | None,
    item_timeout: float | None = DEFAULT_ITEM_TIMEOUT,
    on_result: Callable[[TaskResult | Finished, Task], None] | None = None,
    start: Callable[..., tuple[Iterator[TaskResult | Finished], Any]] | None = None,
) -> dict[int, Done]:
    """The finished ``tasks`` by task index (see the module docstring); without a
    journal (a dry run) each ``Done`` holds its result.

    ``start`` runs the tasks (default ``executors.start_tasks``, the local pool; the
    Ray executor's ``RayExecutor.start``): results in completion order, and what runs them."""
    by_index = {task.index: task for task in tasks}
    results: dict[int, Done] = {}
    stopped: TaskResult | Finished | None = None
    iterator, pool = (start or start_tasks)(context, tasks, workers, item_timeout)
    try:
        for result in iterator:
            if result.fatal:
                stopped = result
                break
            if result.error:
                discard_outputs(context.writer, by_index[result.index])
            if isinstance(result, Finished):  # the worker wrote it to a part and made the journal line
                assert journal is not None, "parts are written only where there is a journal"
                results[result.index] = _journal(journal.record_line, result.line, result.done())
            elif journal is not None:
                result = normalize_result(result)
                results[result.index] = _journal(journal.record, result)
            else:
                result = normalize_result(result)
                results[result.index] = Done(result.index, result.key, bool(result.error), result=result)
            if on_result:
                on_result(result, by_index[result.index])
    finally:
        close = getattr(iterator, "close", None)  # a generator: stops the workers (busy ones are killed)
        if close is not None:
            close()
        if journal is not None:
            _journal(journal.drain)
    if pool is not None and pool.faults and context.writer is not None:
        remove_temp_files_below(context.writer.out)  # what killed workers were writing
    if stopped is not None:
        error = stopped.error or {}
        raise OutputError(
            f"{error.get('message', 'writing the output failed')}; the run stopped: "
            f"make room (or fix the output folder) and {RESUME_HINT}"
        )
    return results


def _journal(action, *args):
    try:
        return action(*args)
    except OSError as err:
        raise OutputError(
            f"cannot write the journal: {err.strerror or err}; {RESUME_HINT} once it can be written"
        ) from err
