"""Faults inside Ray workers, for the Ray tests (never imported by augcli itself).

Ray workers are separate processes that the test cannot patch, so the test
cluster installs ``install`` as its ``worker_process_setup_hook``: every
worker wraps ``augcli.engine.worker.run_task`` to read, on each task, the
fault file named by ``AUGCLI_TEST_RAY_FAULTS`` (JSON: ``key`` to crash on,
``fault`` exit|kill|hang, ``once_flag`` to crash only the first time, ``slow``
seconds of sleep before every task). No file, no fault.
"""

from __future__ import annotations

import json
import os
import signal
import time

FAULT_FILE_VARIABLE = "AUGCLI_TEST_RAY_FAULTS"


def _spec() -> dict:
    path = os.environ.get(FAULT_FILE_VARIABLE)
    if not path:
        return {}
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def _once(flag: str | None) -> bool:
    """True the first time only, across worker processes (the fault is transient)."""
    if flag is None:
        return True
    try:
        os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def install() -> None:
    from augcli.engine import worker

    real_run_task = worker.run_task

    def run_task(ctx, task):
        spec = _spec()
        if spec.get("slow"):
            time.sleep(spec["slow"])
        if task.key == spec.get("key") and _once(spec.get("once_flag")):
            if spec.get("fault") == "hang":
                time.sleep(3600)  # a native hang, as far as the driver can tell
            if spec.get("fault") == "kill":
                os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
            os._exit(1)
        return real_run_task(ctx, task)

    worker.run_task = run_task
