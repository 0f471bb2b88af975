"""Memory and parent overhead at COCO scale (issue #14), every figure beside the command that reproduces it.

Run: python benchmarks/bench_scale.py [--images 2000] [--full] [--rounds 1] [--keep DIR]

The dataset is synthetic and annotation-heavy (``synthetic.make_scale_dataset``):
64x64 JPEGs with 50 polygons each; 2000 images (100k annotations) by default,
20000 (1M annotations, the issue's scale) with ``--full``. Each ``augcli
expand`` runs in its own process (``bench_scale.py measure ...``), so its
figures are its own:

  - parent peak RSS (VmHWM) and each worker's peak private RSS
    (``/proc/<pid>/smaps_rollup``, Private_Clean + Private_Dirty, sampled every
    0.1 s), with copies 1 and 4            (goals: parent <= 1.0 GB, worker <= 400 MB)
  - time to first image: from the start of the call to the first finished task,
    reading and indexing included                                (goal <= 6 s)
  - assembly: microseconds per output annotation of ``engine.assemble``
    (reading the parts back, ``finalize`` streaming the COCO file, the reports),
    wall clock and CPU; and the CPU of the parent over the whole run (reading the
    input included, the RSS sampler's thread excluded) and of its workers, per
    output annotation: steadier than wall clock on a shared machine
  - reading: ``CocoReader`` vs a plain ``json.load`` of the same file (and
    ``orjson.loads`` when installed), each in a fresh process
  - 2 workers vs 1 (copies 4), beside the machine's own ceiling: a trivial
    CPU-bound loop in 2 processes vs 1                         (goal >= 1.7x)

  - shards + merge vs a single run: 2 shards at once (``--workers 1`` each)
    plus ``augcli merge``, against one run with ``--workers 2``  (goal >= 0.9x;
    ``bench_shards.py`` has the same comparison on JPEG scenes)
  - Ray vs the local pool: ``--executor ray --address`` on a running 2-CPU
    cluster against ``--workers 2``                             (goal >= 0.8x;
    ``bench_ray.py`` has the same comparison on JPEG scenes)

Rounds are interleaved and medians shown. Other engines add their overhead
rows through ``OVERHEADS`` (see below).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_scale_dataset  # noqa: E402

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
RECIPE = {
    "version": 1,
    "seed": 0,
    "keep_original": True,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"rotate": [-10, 10], "scale": [0.9, 1.1], "p": 0.7}},
    ],
}
MB = 1024 * 1024

Row = tuple[str, str, str, str]  # (what, figure, goal, command)
# Overhead rows of other ways to run the same work (shards + merge, the Ray executor):
# each is called as fn(dataset, work_dir, args) and returns rows printed under "overhead".
OVERHEADS: list[Callable[[Path, Path, argparse.Namespace], list[Row]]] = []

from bench_shards import scale_rows  # noqa: E402

OVERHEADS.append(scale_rows)  # shards + merge vs a single run

from bench_ray import scale_rows as ray_rows  # noqa: E402

OVERHEADS.append(ray_rows)  # the Ray executor vs the local pool (skipped without Ray)


# -- one measured run (a subprocess of the benchmark) ------------------------------------------


def _private_kb(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return sum(int(fields.get(name, "0 kB").split()[0]) for name in ("Private_Clean", "Private_Dirty"))


def peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike getrusage's ru_maxrss it starts afresh at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(data: Path, out: Path, workers: int, copies: int) -> dict:
    import augcli
    import augcli.engine.runner as runner

    started = time.perf_counter()
    cpu_started = _cpu_seconds(resource.RUSAGE_SELF)
    first: list[float] = []
    assembly: list[float] = []
    assembly_cpu: list[float] = []
    workers_peak: dict[int, int] = {}
    stop = threading.Event()

    sampler_cpu: list[float] = []

    def sample() -> None:
        while not stop.wait(0.1):
            for child in mp.active_children():
                kb = _private_kb(child.pid)
                if kb is not None:
                    workers_peak[child.pid] = max(workers_peak.get(child.pid, 0), kb)
        sampler_cpu.append(time.thread_time())  # reading smaps costs CPU: not the run's

    def timed_assemble(*args, **kwargs):
        began, cpu_began = time.perf_counter(), time.process_time()
        try:
            return real_assemble(*args, **kwargs)
        finally:
            assembly.append(time.perf_counter() - began)
            assembly_cpu.append(time.process_time() - cpu_began)

    real_assemble = runner.assemble
    runner.assemble = timed_assemble
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    report = augcli.expand(
        data,
        dict(RECIPE, copies=copies),
        out,
        workers=workers,
        overwrite=True,
        on_result=lambda *_: first.append(time.perf_counter()) if not first else None,
    )
    total = time.perf_counter() - started
    stop.set()
    sampler.join()
    annotations = max(report.annotations_out, 1)
    parent_cpu = _cpu_seconds(resource.RUSAGE_SELF) - cpu_started - sum(sampler_cpu)
    return {
        "parent_peak_mb": peak_mb(),
        "worker_private_mb": sorted(kb / 1024 for kb in workers_peak.values()),
        "first_image_s": (first[0] - started) if first else None,
        "total_s": total,
        "assembly_us_per_annotation": 1e6 * sum(assembly) / annotations,
        "assembly_cpu_us_per_annotation": 1e6 * sum(assembly_cpu) / annotations,
        # the whole run's CPU in the parent (reading the input included) and in its workers
        "parent_cpu_us_per_annotation": 1e6 * parent_cpu / annotations,
        "workers_cpu_us_per_annotation": 1e6 * _cpu_seconds(resource.RUSAGE_CHILDREN) / annotations,
        "annotations_out": report.annotations_out,
    }


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def read_only(path: Path, how: str) -> dict:
    started = time.perf_counter()
    if how == "json":
        with open(path, "rb") as handle:
            json.load(handle)
    elif how == "orjson":
        import orjson

        orjson.loads(path.read_bytes())
    else:
        from augcli.formats.coco.reader import CocoReader

        CocoReader(path)
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_mb(),
    }


# -- the machine's ceiling -----------------------------------------------------------------------


def _spin(n: int) -> None:
    x = 0
    for i in range(n):
        x += i * i


def ceiling(n: int = 3_000_000) -> float:
    """Throughput of 2 processes running a CPU-bound loop vs 1 (2.0 on two idle cores)."""
    context = mp.get_context("fork")

    def run(count: int) -> float:
        began = time.perf_counter()
        procs = [context.Process(target=_spin, args=(n,)) for _ in range(count)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        return time.perf_counter() - began

    return 2 * run(1) / run(2)


# -- the benchmark -------------------------------------------------------------------------------


def _child(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, str(HERE), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bench_scale {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _command(*args: str) -> str:
    return "python benchmarks/bench_scale.py " + " ".join(args)


def main(args: argparse.Namespace) -> None:
    images = 20000 if args.full else args.images
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_scale_"))
    data = work / f"coco_{images}"
    if not (data / "annotations" / "instances.json").is_file():
        print(f"generating {images} images x 50 polygons in {data} ...", file=sys.stderr)
        make_scale_dataset(data, images=images)
    annotation_file = data / "annotations" / "instances.json"
    runs: dict[tuple[int, int], list[dict]] = {}
    reads: dict[str, list[dict]] = {}
    ceilings: list[float] = []
    readers = ["json", "coco"] + (["orjson"] if _has_orjson() else [])
    try:
        for round_number in range(args.rounds):
            print(f"round {round_number + 1}/{args.rounds}", file=sys.stderr)
            for how in readers:
                reads.setdefault(how, []).append(_child("read", str(annotation_file), how))
            for copies in (1, 4):
                for workers in (1, 2):
                    out = work / f"out_w{workers}_c{copies}"
                    row = _child("measure", str(data), str(out), str(workers), str(copies))
                    runs.setdefault((workers, copies), []).append(row)
                    shutil.rmtree(out, ignore_errors=True)
            ceilings.append(ceiling())
        rows: list[Row] = []
        for (workers, copies), found in sorted(runs.items(), key=lambda item: (item[0][1], item[0][0])):
            command = _command("measure", str(data), "OUT", str(workers), str(copies))
            private = [max(r["worker_private_mb"], default=0.0) for r in found]
            rows.append(
                (
                    f"parent peak RSS, {workers} worker(s), copies {copies}",
                    f"{_median(found, 'parent_peak_mb'):.0f} MB",
                    "<= 1024 MB",
                    command,
                )
            )
            rows.append(
                (
                    f"worker private RSS (largest), {workers} worker(s), copies {copies}",
                    f"{statistics.median(private):.0f} MB",
                    "<= 400 MB",
                    command,
                )
            )
            rows.append(
                (
                    f"time to first image, {workers} worker(s), copies {copies}",
                    f"{_median(found, 'first_image_s'):.2f} s",
                    "<= 6 s",
                    command,
                )
            )
            rows.append(
                (
                    f"assembly per output annotation, {workers} worker(s), copies {copies}",
                    f"{_median(found, 'assembly_us_per_annotation'):.1f} us",
                    "",
                    command,
                )
            )
            rows.append(
                (
                    f"parent CPU per output annotation (whole run), {workers} worker(s), copies {copies}",
                    f"{_median(found, 'parent_cpu_us_per_annotation'):.1f} us "
                    f"(assembly {_median(found, 'assembly_cpu_us_per_annotation'):.1f} us; "
                    f"workers {_median(found, 'workers_cpu_us_per_annotation'):.1f} us)",
                    "",
                    command,
                )
            )
            rows.append(
                (
                    f"total, {workers} worker(s), copies {copies}",
                    f"{_median(found, 'total_s'):.1f} s",
                    "",
                    command,
                )
            )
        json_s = _median(reads["json"], "seconds")
        for how in readers:
            seconds = _median(reads[how], "seconds")
            rows.append(
                (
                    f"read: {how}",
                    f"{seconds:.2f} s ({seconds / json_s:.2f}x json.load), peak {_median(reads[how], 'peak_mb'):.0f} MB",
                    "",
                    _command("read", str(annotation_file), how),
                )
            )
        for copies in (1, 4):
            one, two = _median(runs[(1, copies)], "total_s"), _median(runs[(2, copies)], "total_s")
            rows.append(
                (
                    f"2 workers vs 1, copies {copies}",
                    f"{one / two:.2f}x",
                    ">= 1.7x",
                    _command("measure", str(data), "OUT", "1|2", str(copies)),
                )
            )
        rows.append(
            (
                "machine ceiling (CPU loop, 2 processes vs 1)",
                f"{statistics.median(ceilings):.2f}x",
                "",
                "python -c 'import bench_scale; print(bench_scale.ceiling())'",
            )
        )
        for extra in OVERHEADS:
            rows.extend(extra(data, work, args))
        _print(rows, images, args.rounds)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(float(r[key]) for r in rows if r[key] is not None)


def _has_orjson() -> bool:
    try:
        import orjson  # noqa: F401
    except ImportError:
        return False
    return True


def _print(rows: list[Row], images: int, rounds: int) -> None:
    print(
        f"\nbench_scale: {images} images x 50 polygons ({images * 50} annotations), medians of {rounds} round(s)\n"
    )
    width = max(len(r[0]) for r in rows)
    fig = max(len(r[1]) for r in rows)
    for what, figure, goal, command in rows:
        goal = f"goal {goal}" if goal else ""
        print(f"{what:<{width}}  {figure:>{fig}}  {goal:<14}  {command}")


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--full", action="store_true", help="20000 images: 1M annotations")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--keep", help="work folder to keep (and reuse the dataset from)")
    return parser.parse_args()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        data, out, workers, copies = sys.argv[2:6]
        print(json.dumps(measure(Path(data), Path(out), int(workers), int(copies))))
    elif len(sys.argv) > 1 and sys.argv[1] == "read":
        print(json.dumps(read_only(Path(sys.argv[2]), sys.argv[3])))
    else:
        main(_parse())
