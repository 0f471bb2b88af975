"""The Ray executor against the local pool on the same CPUs, side by side.

Run: python benchmarks/bench_ray.py [--images 480] [--rounds 3] [--cpus 2]

Needs Ray (pip install -e '.[dev]' or '.[ray]'). Each run is the command line
(``python -m augcli ...``) on the same generated JPEG COCO dataset with a
typical recipe (and a Mosaic, whose partners the workers load). Rounds are
interleaved (local with attached, then local with own) and the medians compared:

  local     ``augcli expand --workers C``
  attached  ``augcli expand --executor ray --address ADDR``: a driver joining a
            running C-CPU cluster (started once by this script), as on a real
            cluster. Each run is a new Ray job, so its workers start afresh and
            load the driver's pickled context: that cost is counted.
  own       ``augcli expand --executor ray --workers C``: augcli starts a local
            cluster for the run and stops it after (Ray's fixed start/stop cost)

The issue's goal is attached >= 0.8x local (wall time, 2 CPUs). A Ray run
pays a fixed cost, printed apart: the driver importing Ray and joining, and
the job's workers starting (Python, Ray, augcli's imports), which the driver
starts as soon as it joins, so that overlaps its reading of the dataset. The
workers do not read the dataset again: they unpickle the driver's context
(a forked local worker inherits it). So the ratio grows with the run's
length; on a 2-CPU machine the fixed cost is CPU taken from the same two
cores, and on a shared, loaded machine it grows with the load. Measured
interleaved on a shared 2-vCPU machine (load 9-15), medians of 3, attached
vs --workers 2: 480 JPEG scenes x 2 copies 0.86x (0.85x before the
snapshot); bench_scale's 2000 images x 50 polygons, copies 1, 0.97x (0.66x
when each worker re-read the annotation file).
Every Ray output is checked byte for byte against the local pool's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import SCALE_RECIPE, make_dataset, tree_hashes  # noqa: E402

LOCK = frozenset({"lock"})  # the lock file of an OUT names its run's pid while it runs

REPO = Path(__file__).resolve().parents[1]
RECIPE = """version: 1
seed: 0
copies: 2
keep_original: false
pipeline:
  - HorizontalFlip: {p: 0.5}
  - Mosaic: {grid: [2, 2], p: 0.3}
  - Affine: {rotate: [-15, 15], scale: [0.9, 1.1], translate_percent: [-0.05, 0.05], p: 0.7}
  - OneOf:
      p: 0.5
      transforms:
        - GaussianBlur: {sigma_limit: [0.2, 1.5]}
        - GaussNoise: {std_range: [0.02, 0.08]}
  - RandomBrightnessContrast: {p: 0.5}
"""


def timed(out: Path, *args: object) -> float:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "augcli", "expand", *map(str, args), "-o", str(out), "-q"]
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def scale_rows(data: Path, work: Path, args: argparse.Namespace) -> list[tuple[str, str, str, str]]:
    """bench_scale's row (its ``OVERHEADS``): the Ray executor attached to a running 2-CPU
    cluster vs the local pool with 2 workers, on its annotation-heavy dataset, copies 1,
    interleaved ``args.rounds`` times."""
    what = "Ray vs local pool (a running 2-CPU cluster, --address; vs --workers 2)"
    command = "augcli expand DATA -r R -o OUT --executor ray --address ADDR; vs ... --workers 2"
    try:
        import ray
    except ImportError:
        return [(what, "skipped: Ray is not installed", ">= 0.8x", "pip install -e '.[ray]'")]
    recipe = work / "ray_recipe.yaml"
    recipe.write_text(SCALE_RECIPE)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    cluster = ray.init(num_cpus=2, include_dashboard=False, logging_level="error")
    local, attached = [], []
    try:
        job = (data, "-r", recipe)
        for _ in range(args.rounds):
            local.append(timed(work / "ray_local", *job, "--workers", 2))
            address = cluster.address_info["address"]
            attached.append(timed(work / "ray_attached", *job, "--executor", "ray", "--address", address))
    finally:
        ray.shutdown()
    same = tree_hashes(work / "ray_local", LOCK) == tree_hashes(work / "ray_attached", frozenset({"lock"}))
    for name in ("ray_local", "ray_attached"):
        shutil.rmtree(work / name, ignore_errors=True)
    ratio = statistics.median(local) / statistics.median(attached)
    fixed = statistics.median(attached) - statistics.median(local)
    figure = f"{ratio:.2f}x wall ({fixed:+.1f} s)" + ("" if same else ", TREES DIFFER")
    return [(what, figure, ">= 0.8x", command)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=480)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    try:
        import ray
    except ImportError:
        raise SystemExit("bench_ray needs Ray: pip install -e '.[ray]'") from None
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        source = make_dataset(root / "data", count=args.images)
        recipe = root / "recipe.yaml"
        recipe.write_text(RECIPE)
        job = (source, "-r", recipe)
        cluster = ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="error")
        address = cluster.address_info["address"]
        times: dict[str, list[float]] = {"local": [], "attached": [], "local, no cluster": [], "own": []}
        try:
            for _ in range(args.rounds):  # interleaved: machine load drifts alike for both
                times["local"].append(timed(root / "local", *job, "--workers", args.cpus))
                times["attached"].append(
                    timed(root / "attached", *job, "--executor", "ray", "--address", address)
                )
            ray.shutdown()  # "own" starts its own cluster: the running one would share its CPUs
            for _ in range(args.rounds):
                times["local, no cluster"].append(timed(root / "local", *job, "--workers", args.cpus))
                times["own"].append(timed(root / "own", *job, "--executor", "ray", "--workers", args.cpus))
        finally:
            ray.shutdown()
        reference = tree_hashes(root / "local", LOCK)
        same = tree_hashes(root / "attached", LOCK) == reference == tree_hashes(root / "own", LOCK)
        median = {name: statistics.median(values) for name, values in times.items()}

        print(f"{args.images} images x 2 copies, {args.cpus} CPUs, {args.rounds} rounds (medians, wall time)")
        rows = (
            ("local", "local pool (an idle cluster running)", "local", ""),
            ("attached", "Ray, a running cluster (--address)", "local", "  (goal >= 0.8x)"),
            ("local, no cluster", "local pool (no cluster)", "local, no cluster", ""),
            ("own", "Ray, starting its own local cluster", "local, no cluster", ""),
        )
        for name, label, against, goal in rows:
            ratio = median[against] / median[name]
            print(f"  {label:<38} {median[name]:6.2f} s  ratio {ratio:.2f}x the local pool{goal}")
        print(f"  Ray's fixed cost on a running cluster: {median['attached'] - median['local']:.2f} s")
        print(f"  Ray outputs byte-identical to the local pool's: {same}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
