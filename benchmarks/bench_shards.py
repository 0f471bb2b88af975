"""Shards + ``augcli merge`` against a single run of the same job, side by side.

Run: python benchmarks/bench_shards.py [--images 480] [--rounds 3] [--shards 2]
     python benchmarks/bench_shards.py --scale [--images 2000] [--rounds 3]   (bench_scale's row alone)

Each run is the command line (``python -m augcli ...``), as a batch scheduler
starts it, on the same generated JPEG COCO dataset with a typical recipe.
Rounds are interleaved and the medians compared:

  single   one ``augcli expand --workers W`` (W = the shard count)
  sharded  W ``augcli expand --num-shards W --shard-index I --workers 1`` at once
           (a Slurm array on W one-core slots), then ``augcli merge``
  serial   the W shards one after another, each with ``--workers W``, then the merge

The issue's goal is sharded >= 0.9x single (same cores, wall time); serial
shows what N extra dataset reads and the merge cost when shards share one
machine. CPU seconds (of every augcli process) are printed beside the wall
time: on a busy shared machine they show the overhead the wall clock blurs.
The merged tree is checked byte for byte against the single run. Every
process runs with bytecode cached (as an installed augcli has it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import SCALE_RECIPE, make_dataset, tree_hashes  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RECIPE = """version: 1
seed: 0
copies: 2
keep_original: false
pipeline:
  - HorizontalFlip: {p: 0.5}
  - Affine: {rotate: [-15, 15], scale: [0.9, 1.1], translate_percent: [-0.05, 0.05], p: 0.7}
  - OneOf:
      p: 0.5
      transforms:
        - GaussianBlur: {sigma_limit: [0.2, 1.5]}
        - GaussNoise: {std_range: [0.02, 0.08]}
  - RandomBrightnessContrast: {p: 0.5}
"""


# Bytecode cached as in an installed package (pip compiles it), in a folder of this benchmark:
# with PYTHONDONTWRITEBYTECODE every process would compile augcli again (~0.6 s CPU each),
# a cost per process that sharding multiplies and no installed augcli pays.
PYCACHE: dict[str, str] = {}  # "dir": set by main, inside its scratch folder


def augcli(*args: object) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": PYCACHE["dir"]}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "augcli", *map(str, args), "-q"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def wait(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.wait() != 0:
            raise SystemExit(f"augcli failed: {process.args}")


def children_cpu() -> float:
    """CPU seconds of every finished child process so far (a busy shared machine distorts wall time)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def single(source: Path, recipe: Path, out: Path, workers: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds)."""
    shutil.rmtree(out, ignore_errors=True)
    cpu, start = children_cpu(), time.perf_counter()
    wait(augcli("expand", source, "-r", recipe, "-o", out, "--workers", workers))
    return time.perf_counter() - start, children_cpu() - cpu


def sharded(
    source: Path, recipe: Path, folder: Path, count: int, together: bool
) -> tuple[float, float, float]:
    """(wall seconds in all, wall seconds of the merge alone, CPU seconds in all)."""
    shutil.rmtree(folder, ignore_errors=True)
    parts = [folder / f"part-{i}" for i in range(count)]

    def shard(index: int) -> subprocess.Popen:
        workers = 1 if together else count
        options = ("--num-shards", count, "--shard-index", index, "--workers", workers)
        return augcli("expand", source, "-r", recipe, "-o", parts[index], *options)

    cpu, start = children_cpu(), time.perf_counter()
    if together:
        wait(*[shard(i) for i in range(count)])
    else:
        for i in range(count):
            wait(shard(i))
    merged = time.perf_counter()
    wait(augcli("merge", *parts, "--out", folder / "merged"))
    end = time.perf_counter()
    return end - start, end - merged, children_cpu() - cpu


def scale_rows(data: Path, work: Path, args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    """bench_scale's row (its ``OVERHEADS``): 2 shards at once + merge vs one run with 2 workers,
    on its annotation-heavy dataset, copies 1, interleaved ``args.rounds`` times."""
    PYCACHE.setdefault("dir", str(work / "pycache"))
    recipe = work / "shards_recipe.yaml"
    recipe.write_text(SCALE_RECIPE)
    single(data, recipe, work / "shards_warm_up", 2)  # fills the bytecode cache
    walls: dict[str, list[float]] = {"single": [], "sharded": []}
    cpus: dict[str, list[float]] = {"single": [], "sharded": []}
    for _ in range(args.rounds):
        wall, used = single(data, recipe, work / "shards_single", 2)
        walls["single"].append(wall)
        cpus["single"].append(used)
        wall, _, used = sharded(data, recipe, work / "shards_parts", 2, together=True)
        walls["sharded"].append(wall)
        cpus["sharded"].append(used)
    same = tree_hashes(work / "shards_single") == tree_hashes(work / "shards_parts" / "merged")
    for name in ("shards_warm_up", "shards_single", "shards_parts"):
        shutil.rmtree(work / name, ignore_errors=True)
    median = {name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in walls}
    wall = median["single"][0] / median["sharded"][0]
    cpu = median["single"][1] / median["sharded"][1]
    seconds = ", ".join(f"{name} {w:.1f} s / {c:.1f} s CPU" for name, (w, c) in median.items())
    return [
        (
            "shards + merge vs single run (2 shards at once, --workers 1 each; vs --workers 2)",
            f"{wall:.2f}x wall, {cpu:.2f}x CPU ({seconds})" + ("" if same else ", TREES DIFFER"),
            ">= 0.9x",
            "augcli expand DATA -r R -o P<i> --num-shards 2 --shard-index <i> --workers 1 (both at once); "
            "augcli merge P0 P1 -o OUT; vs augcli expand DATA -r R -o OUT --workers 2",
        )
    ]


def scale_only(images: int, args: argparse.Namespace) -> None:
    """``scale_rows`` on its own annotation-heavy dataset, as bench_scale.py prints it."""
    from synthetic import make_scale_dataset

    with tempfile.TemporaryDirectory() as scratch:
        make_scale_dataset(Path(scratch) / "data", images=images)
        print(f"{images} images x 50 polygons, {args.rounds} rounds")
        for what, figure, goal, command in scale_rows(Path(scratch) / "data", Path(scratch), args):
            print(f"  {what}: {figure} (goal {goal})\n  {command}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, help="default 480 JPEG scenes; 2000 with --scale")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--scale", action="store_true", help="the annotation-heavy row of bench_scale.py")
    args = parser.parse_args()
    if args.scale:
        scale_only(args.images or 2000, args)
        return
    args.images = args.images or 480
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        PYCACHE["dir"] = str(root / "pycache")
        source = make_dataset(root / "data", count=args.images)
        recipe = root / "recipe.yaml"
        recipe.write_text(RECIPE)
        times: dict[str, list[float]] = {name: [] for name in ("single", "sharded", "serial", "merge")}
        cpu: dict[str, list[float]] = {name: [] for name in ("single", "sharded", "serial")}
        single(source, recipe, root / "warm-up", args.shards)  # fills the bytecode cache
        for _ in range(args.rounds):  # interleaved: machine load drifts alike for all three
            wall, used = single(source, recipe, root / "single", args.shards)
            times["single"].append(wall)
            cpu["single"].append(used)
            wall, merge_alone, used = sharded(source, recipe, root / "sharded", args.shards, together=True)
            times["sharded"].append(wall)
            times["merge"].append(merge_alone)
            cpu["sharded"].append(used)
            wall, _, used = sharded(source, recipe, root / "serial", args.shards, together=False)
            times["serial"].append(wall)
            cpu["serial"].append(used)
        same = (
            tree_hashes(root / "single")
            == tree_hashes(root / "sharded" / "merged")
            == tree_hashes(root / "serial" / "merged")
        )
        outputs = json.loads((root / "single" / ".augcli" / "run.jsonl").read_text())["images_out"]
        median = {name: statistics.median(values) for name, values in times.items()}
        work = {name: statistics.median(values) for name, values in cpu.items()}

        def row(label: str, name: str, extra: str = "") -> None:
            print(
                f"  {label:<40} {median[name]:6.2f} s wall  {work[name]:6.2f} s CPU  "
                f"ratio {median['single'] / median[name]:.2f}x wall, {work['single'] / work[name]:.2f}x CPU{extra}"
            )

        print(
            f"{args.images} images x 2 copies = {outputs} outputs, {args.shards} shards, {args.rounds} rounds"
        )
        row(f"single run, --workers {args.shards}", "single")
        row(f"{args.shards} shards at once (--workers 1) + merge", "sharded", "  (goal >= 0.9x)")
        row(f"{args.shards} shards one by one + merge", "serial")
        print(f"  the merge alone: {median['merge']:.2f} s wall")
        print(f"  merged tree byte-identical to the single run: {same}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
