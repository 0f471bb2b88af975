"""Start-up of ``augcli transforms`` (goal: <= 0.25 s), beside a bare interpreter and the help.

Run: python benchmarks/bench_startup.py [--rounds 9]

Each round starts every command once, interleaved; the table shows the median
wall-clock and CPU seconds (user + system of the child) per start. On a busy
shared machine the wall clock includes waiting for a core: the CPU column is
what an idle machine's wall clock would be.

Two cases: ``.pyc`` is an installed package (bytecode cached, as pip leaves
it; the goal's figure), ``source`` a checkout run with
PYTHONDONTWRITEBYTECODE=1 and no ``__pycache__``, so every start compiles
augcli's modules again (the standard library and the dependencies keep their
caches in both).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 0.25
GOAL_ROW = "augcli transforms"
COMMANDS = {
    "python -c pass (the floor)": ["-c", "pass"],
    GOAL_ROW: ["-m", "augcli.cli.app", "transforms"],
    "augcli transforms Affine": ["-m", "augcli.cli.app", "transforms", "Affine"],
    "augcli --help": ["-m", "augcli.cli.app", "--help"],
    "augcli expand --help": ["-m", "augcli.cli.app", "expand", "--help"],
}


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # microseconds, not os.times' 10 ms ticks
    return usage.ru_utime + usage.ru_stime


def once(args: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    before = cpu_of_children()
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, check=True, env=env, cwd=cwd)
    return time.perf_counter() - start, cpu_of_children() - before


def cases(checkout: Path, scratch: Path) -> dict[str, dict[str, str]]:
    """Environment per case; ``source`` runs a copy of the package without ``__pycache__``."""
    source = scratch / "source"
    shutil.copytree(checkout / "augcli", source / "augcli", ignore=shutil.ignore_patterns("__pycache__"))
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {
        ".pyc": {**base, "PYTHONPATH": str(checkout)},
        "source": {**base, "PYTHONPATH": str(source), "PYTHONDONTWRITEBYTECODE": "1"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    checkout = Path(os.environ.get("PYTHONPATH") or REPO).resolve()  # a checkout to compare
    with tempfile.TemporaryDirectory() as scratch:
        envs = cases(checkout, Path(scratch))
        runs = [(name, case) for name in COMMANDS for case in envs]
        times: dict[tuple[str, str], list[tuple[float, float]]] = {run: [] for run in runs}
        for name, case in runs:
            once(COMMANDS[name], envs[case], scratch)  # warm the file cache and write the .pyc files
        for _ in range(args.rounds):
            for name, case in runs:
                times[name, case].append(once(COMMANDS[name], envs[case], scratch))
    print(f"\n{checkout}: median of {args.rounds} interleaved starts")
    print(f"goal: {GOAL_ROW} (.pyc) <= {GOAL:.2f} s")
    print(f"{'command':28s} {'case':7s} {'wall s':>7s} {'cpu s':>7s}")
    for (name, case), rows in times.items():
        wall = statistics.median(w for w, _ in rows)
        cpu = statistics.median(c for _, c in rows)
        flag = ""
        if name == GOAL_ROW and case == ".pyc":
            flag = "ok" if min(wall, cpu) <= GOAL else "ABOVE"
        print(f"{name:28s} {case:7s} {wall:7.3f} {cpu:7.3f} {flag}")


if __name__ == "__main__":
    main()
