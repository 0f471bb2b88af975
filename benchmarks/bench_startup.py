"""Start-up of ``augcli transforms`` (goal: <= 0.25 s), beside a bare interpreter.

Run: python benchmarks/bench_startup.py [--rounds 7]

Each round starts ``python -m augcli.cli.app transforms`` (and ``transforms
Affine``) and ``python -c pass`` once, interleaved; the table shows the
median wall-clock and CPU seconds (user + system of the child) per start.
On a busy shared machine the wall clock includes waiting for a core: the CPU
column is what an idle machine's wall clock would be.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 0.25
COMMANDS = {
    "python -c pass (the floor)": [sys.executable, "-c", "pass"],
    "augcli transforms": [sys.executable, "-m", "augcli.cli.app", "transforms"],
    "augcli transforms Affine": [sys.executable, "-m", "augcli.cli.app", "transforms", "Affine"],
}


def once(command: list[str]) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH") or str(REPO)}  # a checkout to compare
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=env)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():
        once(command)  # warm the file cache and the .pyc files
    for _ in range(args.rounds):
        for name, command in COMMANDS.items():
            times[name].append(once(command))
    print(f"\nmedian of {args.rounds} interleaved starts; goal for augcli: <= {GOAL:.2f} s")
    print(f"{'command':32s} {'wall s':>7s} {'cpu s':>7s}")
    for name, rows in times.items():
        wall = statistics.median(w for w, _ in rows)
        cpu = statistics.median(c for _, c in rows)
        flag = "" if name.startswith("python") else ("ok" if min(wall, cpu) <= GOAL else "ABOVE")
        print(f"{name:32s} {wall:7.3f} {cpu:7.3f} {flag}")


if __name__ == "__main__":
    main()
