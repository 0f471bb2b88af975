"""The lock of a remote OUT: an object, since an object store has no ``flock``.

``LockObject.take`` creates ``OUT/.augcli/lock`` with an exclusive put
(``If-None-Match: *`` on S3; where a store cannot do that, check then write:
two runs starting in the same instant can both pass). The object names its
holder (host, pid, a token) and the time of its last refresh. A lock is stale
when its holder was a process of this machine that is gone, or when it was
not refreshed for ``LEASE_SECONDS`` (clocks of machines are assumed to agree
within seconds); a stale lock is taken over. ``refresh`` first checks that the
lock is still this run's: a run that lost it must stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from typing import Any

from augcli.core.errors import OutputError, UsageError, one_line

LEASE_SECONDS = 120.0


class LockObject:
    """The lock object ``key`` in the file system ``fs`` of the OUT ``url``."""

    def __init__(self, fs: Any, key: str, url: str):
        self.fs = fs
        self.key = key
        self.url = url
        self._token = f"{socket.gethostname()} {os.getpid()} {time.time_ns()}"
        self._last_heartbeat = 0.0

    def take(self) -> None:
        """Create the lock object, taking over a stale one; ``UsageError`` (exit 2) while
        another run holds it."""
        body = self._body()
        for _attempt in range(2):
            if self._create(body):
                self._last_heartbeat = time.monotonic()
                return
            holder = self.read()
            if not _stale(holder):
                raise UsageError(
                    f"another augcli run ({_describe(holder)}) is writing to {self.url}; wait for it to "
                    f"finish, or stop it; a lock not refreshed for {LEASE_SECONDS:g} s is taken over"
                )
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(self.key)
        raise UsageError(f"another augcli run took the lock of {self.url} at the same moment; retry")

    def _create(self, body: bytes) -> bool:
        """Write the lock object unless it exists (False); exclusive where the store can do it."""
        try:
            self.fs.pipe_file(self.key, body, mode="create")
            return True
        except TypeError:  # a file system without exclusive writes: check, then write
            if self.fs.exists(self.key):
                return False
            self.fs.pipe_file(self.key, body)
            return True
        except Exception:
            self.fs.invalidate_cache(self.key)
            if self.fs.exists(self.key):  # the precondition failed (FileExistsError or EINVAL)
                return False
            raise

    def _body(self) -> bytes:
        host, pid, _ = self._token.split(" ")
        return json.dumps({"host": host, "pid": int(pid), "token": self._token, "time": time.time()}).encode()

    def read(self) -> dict:
        try:
            data = json.loads(self.fs.cat_file(self.key))
            return data if isinstance(data, dict) else {}
        except FileNotFoundError:
            return {"gone": True}
        except ValueError:
            return {}

    def refresh(self, force: bool = False) -> None:
        """Refresh the lock, after checking it is still ours (a run that lost it must stop)."""
        if not force and time.monotonic() - self._last_heartbeat < LEASE_SECONDS / 4:
            return
        holder = self.read()
        if holder.get("token") != self._token:
            raise OutputError(
                f"the lock of {self.url} was taken over by another run ({_describe(holder)}) "
                f"after {LEASE_SECONDS:g} s without a refresh"
            )
        self.fs.pipe_file(self.key, self._body())
        self._last_heartbeat = time.monotonic()

    def release(self) -> None:
        """Delete the lock object if it is still this run's (never another run's)."""
        with contextlib.suppress(Exception):
            if self.read().get("token") == self._token:
                self.fs.rm(self.key)


def check_free(fs: Any, key: str, url: str) -> None:
    """``UsageError`` (exit 2) while a live run holds the lock object ``key`` of ``url``."""
    holder = LockObject(fs, key, url).read()
    if not _stale(holder):
        raise UsageError(
            f"an augcli run ({_describe(holder)}) is still writing to {url}; wait for it to finish "
            f"(a lock not refreshed for {LEASE_SECONDS:g} s counts as released)"
        )


def _stale(holder: dict) -> bool:
    if holder.get("gone"):
        return True
    if not holder:
        return False  # unreadable: someone else's lock format; never taken over blindly
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
        if holder["pid"] == os.getpid():
            return True  # this process: an earlier run of it that could not release the lock
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return time.time() - float(holder.get("time") or 0) > LEASE_SECONDS


def _describe(holder: dict) -> str:
    return one_line(f"host {holder.get('host', 'unknown')}, pid {holder.get('pid', 'unknown')}")
