"""Faults injected into augcli by patching, in this process and the workers it forks.

``install(spec)`` wraps ``augcli.engine.worker.run_task`` (what a worker runs
for one image) or the atomic writer so that a chosen item crashes, hangs, is
slow, or finds the disk full. Used by the tests directly and, for the CLI, by
``python faults.py SPEC_JSON augcli-args...``.
"""

from __future__ import annotations

import ctypes
import errno
import faulthandler
import json
import os
import signal
import sys
import time
from pathlib import Path


def _log(path: str | None, *fields) -> None:
    if path:
        line = " ".join(str(f) for f in fields) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def _once(flag: str | None) -> bool:
    """True the first time only (across processes): the fault is transient."""
    if flag is None:
        return True
    try:
        os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def _crash(kind: str) -> None:
    if kind == "exit":
        os._exit(1)
    if kind == "segfault":
        faulthandler.disable()  # pytest's handler would print the worker's stack
        ctypes.string_at(0)  # a real SIGSEGV in native code
    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
    if kind == "hang":
        time.sleep(3600)
    raise ValueError(kind)


def install(spec: dict) -> None:
    """Patch according to ``spec`` (keys: fault, key, once_flag, log, slow, disk_full_flag, after_key)."""
    from augcli.engine import worker

    real_run_task = worker.run_task

    def run_task(ctx, task):
        _log(spec.get("log"), "start", task.key, time.monotonic())
        if spec.get("slow"):
            time.sleep(spec["slow"])
        if task.key == spec.get("key") and spec.get("fault") and _once(spec.get("once_flag")):
            _crash(spec["fault"])
        result = real_run_task(ctx, task)
        if task.key == spec.get("after_key") and spec.get("disk_full_flag"):
            Path(spec["disk_full_flag"]).touch()  # from now on the disk is full
        _log(spec.get("log"), "end", task.key, time.monotonic())
        return result

    worker.run_task = run_task
    if spec.get("disk_full_flag"):
        _fill_disk_when_flagged(spec["disk_full_flag"], spec.get("full_for"))


def _fill_disk_when_flagged(flag: str, only_suffix: str | None) -> None:
    """Writes through ``atomic_open`` fail with ENOSPC while ``flag`` exists."""
    from augcli.formats import atomic

    real_fdopen = os.fdopen

    class FullFile:
        def __init__(self, handle):
            self._handle = handle

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._handle.close()
            return False

    class PatchedOs:
        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def fdopen(fd, *args, **kwargs):
            handle = real_fdopen(fd, *args, **kwargs)
            name = os.readlink(f"/proc/self/fd/{fd}")
            if os.path.exists(flag) and (only_suffix is None or only_suffix in name):
                return FullFile(handle)
            return handle

    atomic.os = PatchedOs()


if __name__ == "__main__":  # python faults.py SPEC_JSON expand ...
    install(json.loads(sys.argv[1]))
    from augcli.cli.app import main

    sys.argv = ["augcli"] + sys.argv[2:]
    main()
