"""What runs in a Ray worker: one chunk of tasks (``run_chunk``) with the run's context.

A Ray worker cannot inherit the driver's memory. The driver pickles its
``WorkContext`` once (``context_spec.context_snapshot``) into Ray's object
store, and each worker process unpickles it once, on its first chunk
(``_context``), instead of reading and checking the dataset again; a context
that does not pickle is rebuilt from the ``ContextSpec``. Chunks on the
driver's own node skip their ``os.sync``: the driver syncs before it journals.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from augcli.engine import worker as worker_module
from augcli.engine.context_spec import ContextSpec, build_context, restore_context
from augcli.engine.lock import MARKER_DIR
from augcli.engine.parts import Finished, PartWriter
from augcli.engine.plan import Task
from augcli.engine.worker import TaskResult, WorkContext


@dataclass(frozen=True)
class Shared:
    """What every chunk of a run gets besides its tasks."""

    snapshot: list  # [ObjectRef of the pickled context], or [] (rebuild it from the spec)
    driver_node: str | None  # the driver's Ray node id (None: unknown, e.g. a Ray Client driver)


def warm_up_task() -> None:
    """A no-op Ray task (``RaySession.warm_up``): running it starts a worker and imports
    this module and the work's."""


_CONTEXT: dict[str, WorkContext] = {}  # this worker process's context, by the run's token


def _context(token: str, spec: ContextSpec, shared: Shared) -> WorkContext:
    context = _CONTEXT.get(token)
    if context is None:
        from augcli.engine.pool import quiet_kernels

        quiet_kernels()  # one OpenCV thread: Ray gives each task one CPU
        _CONTEXT.clear()  # one run at a time per worker: drop an earlier run's dataset
        if shared.snapshot:
            import ray

            context = restore_context(spec, ray.get(shared.snapshot[0]))
        else:
            context = build_context(spec)
        _CONTEXT[token] = context
    return context


def _on_driver_node(shared: Shared) -> bool:
    if shared.driver_node is None:
        return False
    import ray

    return ray.get_runtime_context().get_node_id() == shared.driver_node


def run_chunk(
    token: str, spec: ContextSpec, shared: Shared, tasks: Sequence[Task], stop: str | None, part: str | None
) -> list[TaskResult | Finished]:
    """One Ray task: ``worker.run_task`` for each task of the chunk, in this worker process,
    until the driver's ``stop`` marker appears (then the results so far).

    With a ``part`` name (every run but a dry one) the results go to that part file and
    the driver gets small ``Finished`` records, as from the local pool's workers."""
    context = _context(token, spec, shared)
    parts = PartWriter(Path(spec.out) / MARKER_DIR, part) if part is not None and spec.out else None
    results: list[TaskResult | Finished] = []
    try:
        for task in tasks:
            if stop is not None and os.path.exists(stop):
                break
            result = worker_module.run_task(context, task)
            results.append(parts.finish(result) if parts is not None else result)
    finally:
        if parts is not None:
            parts.close()
    if parts is not None and not _on_driver_node(shared):
        # The driver syncs its machine before it journals (os.sync: this worker's files too
        # on its node); on another node the chunk's images and part must be durable first.
        os.sync()
    return results
