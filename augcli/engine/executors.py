"""Executors run tasks and yield their results as they finish.

Output bytes never depend on the executor: every task carries its own seed,
and the runner orders results by task index. Normally tasks run in forked
worker processes (``pool.WorkerPool``), even with one worker, so a crash or
a hang in native code costs one item instead of the run. ``--debug`` runs
them in this process instead, where tracebacks and debuggers work.
``--executor ray`` runs them on a Ray cluster instead (``engine.ray_executor``,
imported only then); the session it needs is opened before OUT is touched,
so a missing Ray or an unreachable cluster writes nothing.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from augcli.core.errors import UsageError
from augcli.engine.parts import Finished, PartWriter
from augcli.engine.plan import Task
from augcli.engine.results import TaskResult, WorkContext

if TYPE_CHECKING:
    from augcli.engine.pool import WorkerPool

DEFAULT_ITEM_TIMEOUT = 600.0  # seconds one image (all its copies) may take in a worker
EXECUTORS = ("local", "ray")
_SESSIONS: list[Any] = []  # cluster sessions opened by the call in progress (closes_sessions)


def run_serial(context: WorkContext, tasks: Iterable[Task]) -> Iterator[TaskResult | Finished]:
    from augcli.engine.pool import quiet_kernels
    from augcli.engine.worker import run_task

    quiet_kernels()
    parts = PartWriter(context.parts.meta, context.parts.next()) if context.parts is not None else None
    try:
        for task in tasks:
            result = run_task(context, task)
            yield parts.finish(result) if parts is not None else result
    finally:
        if parts is not None:
            parts.close()


def can_isolate() -> bool:
    """Worker processes need fork (they inherit the parsed dataset and recipe)."""
    return "fork" in mp.get_all_start_methods()


def start_tasks(
    context: WorkContext, tasks: list[Task], workers: int, item_timeout: float | None = DEFAULT_ITEM_TIMEOUT
) -> tuple[Iterator[TaskResult | Finished], WorkerPool | None]:
    """Results of ``tasks`` in completion order, and the pool running them (None in-process)."""
    if context.debug or not can_isolate() or not tasks:
        return run_serial(context, tasks), None
    from augcli.engine.pool import WorkerPool  # workers run tasks: the recipe's modules come with them

    pool = WorkerPool(context, min(workers, len(tasks)), item_timeout)
    return pool.run(tasks), pool


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def check_executor(executor: str, address: str | None) -> None:
    """Usage errors of ``--executor`` / ``--address``, found before anything is read."""
    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r}; choose {' or '.join(EXECUTORS)}")
    if address and executor != "ray":
        raise UsageError("--address names a Ray cluster: it needs --executor ray")


def open_session(executor: str, address: str | None, workers: int) -> Any:
    """The cluster session of ``executor`` (None for the local pool), closed by ``closes_sessions``."""
    if executor != "ray":
        return None
    from augcli.engine.ray_session import RaySession

    session = RaySession.open(address, workers)
    _SESSIONS.append(session)
    return session


def closes_sessions(func: Callable) -> Callable:
    """``func`` with every session it opened closed when it returns or raises
    (a local cluster it started stops; an attached cluster is only disconnected from)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        before = len(_SESSIONS)
        try:
            return func(*args, **kwargs)
        finally:
            while len(_SESSIONS) > before:
                _SESSIONS.pop().close()

    return wrapper
