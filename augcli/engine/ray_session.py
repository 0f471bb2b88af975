"""A connection to a Ray cluster for ``--executor ray``: attach to one, or start a local one.

Opening the session starts one worker per CPU at once (``RaySession.warm_up``),
so their start-up overlaps the driver reading the dataset. Ray is an optional
extra (``augcli[ray]``), imported only by ``import_ray`` and only when
``--executor ray`` is used.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

from augcli.core.errors import UsageError, one_line
from augcli.engine.ray_worker import warm_up_task

RAY_MISSING = "--executor ray needs Ray, which is not installed: pip install 'augcli[ray]'"
TOKEN_HINT = (
    "if the cluster uses token authentication (the default for clusters started by Ray 2.59 "
    "and later), set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN (or RAY_AUTH_TOKEN_PATH) to its "
    'token, or use --address auto on its head node (docs/cli.md, "Ray\'s token authentication")'
)
AUTH_HINT = f"the Ray cluster refused this driver's authentication token; {TOKEN_HINT}"
CONNECT_SECONDS = 10.0  # how long a cluster address may take to accept a connection


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    return ray


class RaySession:
    """A connection to a Ray cluster; ``close`` stops the cluster only if this session started it."""

    def __init__(self, ray: Any, started: bool):
        self.ray = ray
        self.started = started
        self._warming: list = []  # the refs of ``warm_up``'s tasks (never waited for)

    @classmethod
    def open(cls, address: str | None, workers: int) -> RaySession:
        """Use a Ray already initialized in this process, else attach to ``address``
        (or ``RAY_ADDRESS``), else start a local cluster of ``workers`` CPUs."""
        ray = import_ray()
        if ray.is_initialized():
            session = cls(ray, started=False)
            session.warm_up()
            return session
        target = address or os.environ.get("RAY_ADDRESS") or None
        options: dict[str, Any] = {}
        if target is None:
            # an offline tool starts no telemetry; the dashboard is of no use for one run
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            options.update(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        if not (target or "").startswith("ray://"):
            options.update(logging_level="error")  # progress and the summary say what matters
        if target is not None:
            _check_reachable(target)
        on_sigterm = signal.getsignal(signal.SIGTERM)  # ray.init replaces it: the CLI's must stay
        try:
            ray.init(address=target, **options)
        except ray.exceptions.AuthenticationError:
            raise UsageError(AUTH_HINT) from None
        except (ConnectionError, RuntimeError, ValueError) as err:
            where = f"at {target}" if target else "on this machine"
            # a driver without the token sees only "failed to connect" (the reason is in Ray's log)
            hint = f"; {TOKEN_HINT}" if target and os.environ.get("RAY_AUTH_MODE") != "token" else ""
            raise UsageError(f"cannot start or reach a Ray cluster {where}: {one_line(err)}{hint}") from None
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, on_sigterm)
        session = cls(ray, started=True)
        session.warm_up()
        return session

    def warm_up(self) -> None:
        """Start a worker process per cluster CPU now, while the driver reads the dataset: a
        new Ray job's workers start from nothing (Python, Ray, augcli's imports), which takes
        seconds per worker on a busy machine. The no-op tasks are not waited for."""
        task = self.ray.remote(warm_up_task).options(num_cpus=1, max_retries=0)
        self._warming = [task.remote() for _ in range(self.cpus())]

    def cpus(self) -> int:
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = False


def _check_reachable(address: str) -> None:
    """Refuse a ``HOST:PORT`` nothing listens on: ``ray.init`` would wait for it forever."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # auto, or a Ray Client address (which times out by itself)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as err:
        raise UsageError(
            f"no Ray cluster answers at {address} ({err.strerror or err}); start one "
            "(ray start --head) or pass the right --address / RAY_ADDRESS"
        ) from None
