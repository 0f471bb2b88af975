"""A process pool that survives its workers.

Each worker holds a short queue of tasks (``QUEUED`` per worker, so it
never waits on the parent between two tasks) and works through it in order,
answering each task before it starts the next. So when a worker dies
(segfault, OOM kill, ``os._exit``) or overruns the per-item timeout, the
parent knows exactly which task it was on: the first unanswered one. The
worker is replaced and that task is retried once, alone (nothing else
running, so a neighbour's memory use cannot be what kills it again); the
tasks queued behind it go back to the queue untried. If the retry fails too
it is reported as failed and the run goes on. Results come back in
completion order.

Each worker writes its results to its own part file (``engine.parts``) and
sends back a small ``Finished``: the parent never unpickles records.

Workers are forked, so they inherit the parsed reader, recipe and writer.
They ignore SIGINT and SIGTERM (the parent decides when the run stops and
kills them) and die with the parent, so a killed run leaves no orphans.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from augcli.engine import worker as worker_module
from augcli.engine.parts import Finished, PartWriter
from augcli.engine.plan import Task
from augcli.engine.worker import TaskResult, WorkContext

_PR_SET_PDEATHSIG = 1
QUEUED = 2  # tasks a worker holds at once: the one it runs and the next


def quiet_kernels() -> None:
    # One OpenCV thread per worker: the pool is the parallelism, and
    # oversubscribed cores make every worker slower.
    import cv2

    cv2.setNumThreads(1)


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the parent dies (best effort elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _serve(
    conn: Connection, inherited: list[Connection], context: WorkContext, parent: int, part: str | None
) -> None:
    for other in inherited:  # other workers' pipe ends: holding them would hide a dead parent
        other.close()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    quiet_kernels()
    parts = PartWriter(context.parts.meta, part) if part is not None else None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        done = worker_module.run_task(context, task)
        result: TaskResult | Finished = parts.finish(done) if parts is not None else done
        try:
            conn.send(result)
        except (OSError, ValueError):
            break
        except Exception as err:  # an unpicklable result is the item's problem, not the pool's
            conn.send(
                TaskResult(
                    task.index,
                    task.key,
                    error=worker_module.internal_error(
                        context, task.key, f"result could not be sent back: {err}"
                    ),
                )
            )


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: Connection
    tasks: deque = field(default_factory=deque)  # sent, unanswered; the first is running
    deadline: float | None = None  # for the first

    @property
    def task(self) -> Task | None:
        return self.tasks[0] if self.tasks else None


def describe_exit(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with code {exitcode}"


class WorkerPool:
    """``size`` forked workers; ``run`` yields one ``TaskResult`` per task (see module docstring)."""

    def __init__(self, context: WorkContext, size: int, item_timeout: float | None = None):
        self.context = context
        self.size = max(1, int(size))
        self.item_timeout = item_timeout if item_timeout and item_timeout > 0 else None
        self.faults = 0  # workers lost to a crash or a timeout during this run
        self._mp = mp.get_context("fork")
        self._workers: list[_Worker] = []

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult | Finished]:
        queue: deque[Task] = deque(tasks)
        retry: deque[Task] = deque()
        attempts: dict[int, int] = {}
        try:
            for _ in range(min(self.size, len(queue))):
                self._workers.append(self._spawn())  # one by one: each closes the others' pipes
            self._dispatch(queue, retry)
            while queue or retry or self._busy():
                ready: list[TaskResult | Finished] = []
                for worker, outcome in self._wait():
                    if isinstance(outcome, (TaskResult, Finished)):
                        ready.append(outcome)
                        continue
                    task = worker.task
                    assert task is not None, "only a busy worker can be lost"
                    untried = list(worker.tasks)[1:]
                    self._replace(worker)
                    queue.extendleft(reversed(untried))  # never started: back to the front, untried
                    worker_module.discard_temp_files(self.context.writer, task)
                    self.faults += 1
                    attempts[task.index] = attempts.get(task.index, 0) + 1
                    if attempts[task.index] == 1:
                        retry.append(task)
                    else:
                        ready.append(self._failed(task, str(outcome)))
                # Refill idle workers before the caller journals these results, so
                # no worker waits on the parent's bookkeeping.
                self._dispatch(queue, retry)
                yield from ready
        finally:
            self.shutdown()

    # -- scheduling --------------------------------------------------------------------------

    def _busy(self) -> list[_Worker]:
        return [w for w in self._workers if w.tasks]

    def _dispatch(self, queue: deque, retry: deque) -> None:
        if retry:
            # a suspect runs alone: wait for the others to finish, then give it one worker
            if not self._busy():
                self._assign(self._workers[0], retry.popleft())
            return
        for depth in range(1, QUEUED + 1):  # every idle worker gets a task before any gets a second
            for worker in self._workers:
                if not queue:
                    return
                if len(worker.tasks) < depth:
                    self._assign(worker, queue.popleft())

    def _assign(self, worker: _Worker, task: Task) -> None:
        if not worker.tasks and not worker.process.is_alive():  # died after sending its last result
            worker = self._replace(worker)
        if not worker.tasks:
            worker.deadline = self._deadline()
        worker.tasks.append(task)
        try:
            worker.conn.send(task)
        except OSError:
            pass  # the worker is already dead: its sentinel reports it in _wait

    def _deadline(self) -> float | None:
        return time.monotonic() + self.item_timeout if self.item_timeout else None

    def _wait(self) -> list[tuple[_Worker, object]]:
        """Finished tasks and lost workers: (worker, TaskResult | Finished) or (worker, reason)."""
        busy = self._busy()
        if not busy:
            return []
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        outcomes: list[tuple[_Worker, object]] = []
        now = time.monotonic()
        for worker in busy:
            if worker.conn in ready:
                try:
                    result = worker.conn.recv()
                except (EOFError, OSError):
                    worker.process.join()
                    outcomes.append((worker, f"the worker process {describe_exit(worker.process.exitcode)}"))
                    continue
                worker.tasks.popleft()
                worker.deadline = self._deadline() if worker.tasks else None  # the next one starts now
                outcomes.append((worker, result))
            elif worker.process.sentinel in ready:
                worker.process.join()
                outcomes.append((worker, f"the worker process {describe_exit(worker.process.exitcode)}"))
            elif worker.deadline is not None and now >= worker.deadline:
                outcomes.append(
                    (
                        worker,
                        f"processing took longer than the {self.item_timeout:g} s "
                        "item timeout (--item-timeout)",
                    )
                )
        return outcomes

    def _failed(self, task: Task, reason: str) -> TaskResult:
        message = f"{reason}, also when retried alone; the item was skipped"
        error = worker_module.internal_error(self.context, task.key, message)
        error["error"] = "WorkerLost"
        return TaskResult(task.index, task.key, error=error)

    # -- processes ---------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        # OpenCV's thread pool must be idle before fork: a child that touches a
        # pool copied mid-wait deadlocks in cv2.setNumThreads. One thread in the
        # parent too, so the child inherits a pool with nothing to wait on.
        quiet_kernels()
        parent_end, child_end = self._mp.Pipe(duplex=True)
        inherited = [w.conn for w in self._workers] + [parent_end]
        part = self.context.parts.next() if self.context.parts is not None else None
        process = self._mp.Process(
            target=_serve,
            args=(child_end, inherited, self.context, os.getpid(), part),
            daemon=True,
            name="augcli-worker",
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _replace(self, worker: _Worker) -> _Worker:
        self._kill(worker)
        position = self._workers.index(worker)
        self._workers[position] = fresh = self._spawn()
        return fresh

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()

    def shutdown(self) -> None:
        """Stop every worker: idle ones are asked to exit, busy ones are killed."""
        for worker in self._workers:
            if not worker.tasks and worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + 5.0
        for worker in self._workers:
            if not worker.tasks:
                worker.process.join(max(0.0, deadline - time.monotonic()))
            self._kill(worker)
        self._workers = []
