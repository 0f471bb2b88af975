"""The Ray executor: the same tasks, run as Ray Core tasks on a local or remote cluster.

Tasks travel in chunks of a few images (one Ray task each), and only a
bounded number of chunks is in flight (``ray.wait``), so the driver never
queues the whole plan on the cluster and results stream back as chunks
finish. Each chunk runs ``worker.run_task`` for its tasks in a Ray worker,
which writes the outputs into OUT itself (OUT must be a path every worker
sees) and returns the results to the driver, which journals them as it does
for the local pool. Output bytes are the local pool's: the work and the
seeds are the same, only where ``run_task`` runs differs.

A Ray worker cannot inherit the driver's memory: the driver puts its pickled
``WorkContext`` into Ray's object store once, and each worker restores it on
its first chunk (``engine.ray_worker``, what runs in the workers). The
cluster connection is ``engine.ray_session``.

Faults, as in ``engine.pool``: a chunk whose worker dies (crash, OOM kill,
lost node) is split and each of its tasks retried once on its own; a task
that still kills its worker is reported as that item's error (``WorkerLost``)
and the run goes on. The driver makes these retries itself (Ray's own task
retries are off, ``max_retries=0``): each attempt is a new submission it
knows about, so it can name what the attempt writes and tell which task
failed for good. A chunk that overruns the item timeout
is cancelled (its worker killed) and treated the same way. Stopping (Ctrl-C,
a fatal write error) stops every chunk in flight before the driver returns
(``RayExecutor._stop``).
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from augcli.core.errors import AugcliError, one_line
from augcli.engine import worker as worker_module
from augcli.engine.context_spec import ContextSpec, context_snapshot, snapshot_token
from augcli.engine.lock import MARKER_DIR
from augcli.engine.parts import Finished
from augcli.engine.plan import Task
from augcli.engine.ray_session import RaySession
from augcli.engine.ray_worker import Shared, run_chunk
from augcli.engine.worker import TaskResult, WorkContext

CHUNK_MAX = 16  # images per Ray task at most: hides the per-task overhead, bounds the part files
CHUNKS_PER_CPU = 4  # at least this many chunks per CPU, so the last ones balance
IN_FLIGHT_PER_CPU = 2  # chunks submitted per cluster CPU: one running, one queued behind it
STARTUP_SECONDS = 30.0  # what a fresh Ray worker may take to start and load the dataset
STOP_SECONDS = 10.0  # how long a stopped chunk may take to finish its image before its worker is killed
STOP_PREFIX = "stop-"  # OUT/.augcli/stop-<nonce>: the driver asks its chunks to stop


def chunk_size(tasks: int, cpus: int) -> int:
    """Images per Ray task: ``CHUNK_MAX`` at most, smaller when the run is short."""
    return max(1, min(CHUNK_MAX, math.ceil(tasks / (cpus * CHUNKS_PER_CPU))))


def _driver_node(ray: Any) -> str | None:
    try:
        if ray.util.client.ray.is_connected():
            return None  # a Ray Client driver does not run on any node of the cluster
        return ray.get_runtime_context().get_node_id()
    except Exception:  # no node id to compare with: every chunk syncs
        return None


@dataclass
class _Chunk:
    tasks: tuple[Task, ...]
    alone: bool = False  # a task split out of a chunk that lost its worker: its last try
    deadline: float | None = None  # set once it is likely running (``_start_clocks``)
    cold: bool = False  # likely the first chunk of a fresh worker (which opens the dataset first)
    reason: str | None = None  # why the driver cancelled it


class RayExecutor:
    """Runs tasks on ``session``'s cluster; ``run`` yields one ``TaskResult`` per task."""

    def __init__(
        self,
        session: RaySession,
        spec: ContextSpec,
        context: WorkContext,
        item_timeout: float | None = None,
        chunk: int | None = None,
    ):
        self.session = session
        self.spec = spec
        self.context = context  # the driver's own: names files in messages, cleans up after lost chunks
        self.item_timeout = item_timeout if item_timeout and item_timeout > 0 else None
        self.chunk = chunk
        self.faults = 0  # chunks lost to a dead worker or a timeout during this run
        self._stop_marker: str | None = None
        self._cold = 0  # chunks still to mark cold: one per CPU at the start, one per lost worker

    def start(
        self, context: WorkContext, tasks: list[Task], *_: Any
    ) -> tuple[Iterator[TaskResult | Finished], RayExecutor]:
        """``execute``'s ``start``: results of ``tasks`` in completion order, and this executor
        (which counts the workers it lost in ``faults``, as the local pool does)."""
        return self.run(tasks), self

    def run(self, tasks: Sequence[Task]) -> Iterator[TaskResult | Finished]:
        ray = self.session.ray
        remote = ray.remote(run_chunk)
        spec_ref = ray.put(self.spec)
        snapshot = context_snapshot(self.context)
        token = snapshot_token(self.spec, snapshot)
        # in a list, so Ray does not fetch it for every chunk: a worker gets it once (``ray_worker._context``)
        shared = Shared([ray.put(snapshot)] if snapshot is not None else [], _driver_node(ray))
        del snapshot
        cpus = self.session.cpus()
        size = self.chunk or chunk_size(len(tasks), cpus)
        queue = deque(_Chunk(tuple(tasks[i : i + size])) for i in range(0, len(tasks), size))
        window = IN_FLIGHT_PER_CPU * cpus
        flying: dict[Any, _Chunk] = {}
        self._stop_marker = self._marker()
        self._cold = cpus
        try:
            self._submit(remote, token, spec_ref, shared, queue, flying, window)
            while flying:
                self._start_clocks(flying, cpus)
                ready, _ = ray.wait(list(flying), num_returns=1, timeout=self._until_deadline(flying))
                self._cancel_overdue(ray, flying, ready)
                finished: list[TaskResult | Finished] = []
                for ref in ready:
                    chunk = flying.pop(ref)
                    try:
                        results = ray.get(ref)
                    except ray.exceptions.RayTaskError as err:
                        if self.spec.debug:
                            raise  # its message holds the worker's traceback
                        raise _task_failure(err) from None
                    except ray.exceptions.RayError as err:
                        finished.extend(self._lost(chunk, chunk.reason or _lost_reason(ray, err), queue))
                        continue
                    finished.extend(results)
                    if len(results) < len(chunk.tasks):  # it saw a stop marker: never lose the rest
                        queue.appendleft(_Chunk(chunk.tasks[len(results) :], chunk.alone))
                # refill before the caller journals these, so no CPU waits on the driver's bookkeeping
                self._submit(remote, token, spec_ref, shared, queue, flying, window)
                yield from finished
        finally:
            self._stop(ray, list(flying))

    def _submit(
        self, remote: Any, token: str, spec_ref: Any, shared: Shared, queue: deque, flying: dict, window: int
    ) -> None:
        while queue and len(flying) < window:
            chunk = queue.popleft()
            marker = self._stop_marker
            # every submission gets a part file of its own: a retry never appends to a dead attempt's
            part = self.context.parts.next() if self.context.parts is not None else None
            options = remote.options(max_retries=0, num_cpus=1)
            ref = options.remote(token, spec_ref, shared, chunk.tasks, marker, part)
            if self._cold > 0:
                chunk.cold, self._cold = True, self._cold - 1
            flying[ref] = chunk

    def _start_clocks(self, flying: dict[Any, _Chunk], cpus: int) -> None:
        """Give the chunks likely running a deadline: the first ``cpus`` in flight, in the
        order they were submitted (Ray starts them in that order; the others wait behind)."""
        if not self.item_timeout:
            return
        now = time.monotonic()
        for chunk in list(flying.values())[:cpus]:
            if chunk.deadline is None:
                grace = STARTUP_SECONDS if chunk.cold else 0.0
                chunk.deadline = now + self.item_timeout * len(chunk.tasks) + grace

    def _marker(self) -> str | None:
        """A new stop marker's path (``OUT/.augcli/stop-<nonce>``), after removing any a killed
        driver left (the OUT lock says no other run is in OUT); None for a dry run."""
        if self.spec.out is None or self.spec.dry_run:
            return None
        meta = Path(self.spec.out) / MARKER_DIR
        for stale in meta.glob(f"{STOP_PREFIX}*"):
            stale.unlink(missing_ok=True)
        return str(meta / f"{STOP_PREFIX}{uuid.uuid4().hex}")

    def _stop(self, ray: Any, refs: list) -> None:
        """Stop the chunks in flight before returning: nothing may write into OUT once the run
        stopped. Ray's cancel races with a task that is just finishing (the driver then aborts
        on an internal check), so the chunks are asked instead: each stops before its next
        image when the stop marker exists. One still busy after ``STOP_SECONDS`` (a hung image)
        has its worker killed."""
        marker = self._stop_marker
        if not refs or marker is None:
            return  # a dry run writes nothing: its tasks may finish or die with the driver
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644))
        except OSError:
            pass  # cannot write into OUT at all: then its tasks cannot either
        try:
            _, busy = ray.wait(refs, num_returns=len(refs), timeout=STOP_SECONDS)
            for ref in busy:
                ray.cancel(ref, force=True)
        finally:
            Path(marker).unlink(missing_ok=True)

    def _until_deadline(self, flying: dict[Any, _Chunk]) -> float | None:
        deadlines = [c.deadline for c in flying.values() if c.deadline is not None and c.reason is None]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _cancel_overdue(self, ray: Any, flying: dict[Any, _Chunk], ready: list) -> None:
        now = time.monotonic()
        for ref, chunk in flying.items():
            if ref in ready or chunk.reason is not None or chunk.deadline is None or now < chunk.deadline:
                continue
            chunk.reason = (
                f"processing took longer than the {self.item_timeout:g} s item timeout (--item-timeout)"
            )
            ray.cancel(ref, force=True)

    def _lost(self, chunk: _Chunk, reason: str, queue: deque) -> list[TaskResult | Finished]:
        """A chunk whose worker died: split it for a retry of each task alone, or skip its task."""
        self.faults += 1
        self._cold += 1  # Ray starts a fresh worker in its place
        for task in chunk.tasks:
            worker_module.discard_temp_files(self.context.writer, task)
        if not chunk.alone:
            queue.extendleft(_Chunk((task,), alone=True) for task in reversed(chunk.tasks))
            return []
        task = chunk.tasks[0]
        message = f"{reason}, also when retried alone; the item was skipped"
        error = worker_module.internal_error(self.context, task.key, message)
        error["error"] = "WorkerLost"
        return [TaskResult(task.index, task.key, error=error)]


def _lost_reason(ray: Any, err: Exception) -> str:
    if isinstance(err, ray.exceptions.NodeDiedError):
        return "the Ray node running it died"
    if isinstance(err, ray.exceptions.TaskCancelledError):
        return "its Ray task was cancelled"
    if isinstance(err, ray.exceptions.WorkerCrashedError):
        return "the Ray worker process running it died"
    return f"Ray lost it ({type(err).__name__})"


def _task_failure(err: Exception) -> BaseException:
    """What a chunk raised in its worker (``run_task`` itself raises only with --debug)."""
    cause = getattr(err, "cause", None)
    if isinstance(cause, AugcliError):
        return cause  # e.g. a worker that cannot open the dataset: its path is not on that node
    if isinstance(cause, BaseException):
        return cause
    return RuntimeError(f"a Ray task failed: {one_line(err)}")
