"""Executors run tasks and yield results in plan order.

Output bytes never depend on the executor: every task carries its own seed.
The process pool forks where the platform allows it, so workers inherit the
already-parsed reader and recipe instead of unpickling them; elsewhere each
worker rebuilds its context once from a picklable factory.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
from typing import Callable, Iterable, Iterator

from augcli.engine.plan import Task
from augcli.engine.worker import TaskResult, WorkContext, run_task

_CONTEXT: WorkContext | None = None


def _quiet_kernels() -> None:
    # One OpenCV thread per worker: the pool is the parallelism, and
    # oversubscribed cores make every worker slower.
    import cv2

    cv2.setNumThreads(1)


def _init_worker(context: WorkContext | None, factory: Callable[[], WorkContext] | None) -> None:
    global _CONTEXT
    # The parent owns shutdown: Ctrl-C reaches it and it terminates the pool,
    # so workers ignore SIGINT and die quietly on SIGTERM (no forked handlers).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _quiet_kernels()
    _CONTEXT = context if context is not None else factory()


def _run_in_worker(task: Task) -> TaskResult:
    assert _CONTEXT is not None, "worker context was not initialised"
    return run_task(_CONTEXT, task)


def run_serial(context: WorkContext, tasks: Iterable[Task]) -> Iterator[TaskResult]:
    _quiet_kernels()
    for task in tasks:
        yield run_task(context, task)


def run_pool(context: WorkContext, tasks: list[Task], workers: int,
             factory: Callable[[], WorkContext] | None = None) -> Iterator[TaskResult]:
    """Run tasks on ``workers`` processes; results come back in task order."""
    methods = mp.get_all_start_methods()
    if "fork" in methods:
        ctx = mp.get_context("fork")
        initargs = (context, None)
    else:  # pragma: no cover - non-POSIX platforms
        if factory is None:
            raise RuntimeError("a context factory is needed without fork")
        ctx = mp.get_context("spawn")
        initargs = (None, factory)
    with ctx.Pool(workers, initializer=_init_worker, initargs=initargs) as pool:
        # Tasks are whole images (milliseconds each), so one per message keeps
        # every worker busy to the end; only huge runs batch to save IPC.
        chunk = 1 if len(tasks) < 2000 else 4
        yield from pool.imap(_run_in_worker, tasks, chunksize=chunk)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1
