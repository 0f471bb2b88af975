"""Per-transform speed: augcli vs its Albumentations 2.0.8 twin, ms per 640x480 RGB image.

Run: python benchmarks/bench_transforms.py [--only NAME ...] [--rounds 9] [--calls N] [--json out.json] [--wall]

Both sides run single-threaded (cv2.setNumThreads(1)) on the same uint8
image, with p = 1. augcli times ``transform.sample(rng, ctx)`` plus
``op.apply(sample)``, drawing fresh parameters from one generator per row;
Albumentations times one call of the transform (its parameter draw included). Pixel transforms get
the image only. Geometric and dropout transforms get the image plus eight
boxes on both sides (Albumentations through ``A.Compose`` with
``BboxParams``); rows marked ``mask`` also carry a semantic mask. The two
contenders alternate in rounds, so load from other processes hits both, and
the clock is the process's CPU time (``--wall``: wall clock), which a busy
shared machine distorts far less.
Each round makes enough calls to last 40 ms (``--calls`` fixes the number), and a
row above the limit is timed a second time with the rounds pooled, so a burst
of load from other processes does not flag it.
The ratio is augcli / Albumentations (below 1: augcli is faster); the
closing list names every transform more than 1.3x slower than its twin.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import yaml

from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.transforms.base import SampleContext
from augcli.transforms.catalog import load_all

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transform_twins import TWINS  # noqa: E402

WIDTH, HEIGHT = 640, 480
SLOWER_LIMIT = 1.3  # issue #15: no transform more than 1.3x slower than its twin
IMAGE_FILE = Path(__file__).resolve().parents[1] / "sample_data" / "images" / "street_01.jpg"

BOXES = np.array(
    [
        [40, 60, 160, 200],
        [200, 80, 300, 300],
        [320, 200, 420, 330],
        [450, 40, 600, 180],
        [60, 300, 220, 440],
        [250, 340, 380, 460],
        [420, 260, 620, 420],
        [300, 20, 380, 110],
    ],
    dtype=np.float64,
)
LABELS = np.array([1, 2, 1, 2, 1, 2, 1, 2])
CATEGORIES = Categories([Category(1, "person"), Category(2, "car")])


def test_image() -> np.ndarray:
    if IMAGE_FILE.exists():
        image = cv2.cvtColor(cv2.imread(str(IMAGE_FILE)), cv2.COLOR_BGR2RGB)
        return cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    return np.stack([(xx * 0.3 + yy * 0.1) % 256, (yy * 0.4) % 256, (xx * 0.2 + 60) % 256], 2).astype(
        np.uint8
    )


def semantic_mask() -> np.ndarray:
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    for (x0, y0, x1, y1), label in zip(BOXES.astype(int), LABELS):
        mask[y0 + 10 : y1 - 10, x0 + 10 : x1 - 10] = label
    return mask


def augcli_runner(name: str, config: dict, kind: str, image: np.ndarray, mask: bool) -> Callable:
    registry = load_all()
    transform = registry[name](**{**config, "p": 1.0})
    with_labels = kind != "pixel"
    instances = Instances(labels=LABELS, boxes=BOXES) if with_labels else Instances.empty(None)
    sample = Sample(image=image, instances=instances, semantic=semantic_mask() if mask else None)
    ctx = SampleContext(width=WIDTH, height=HEIGHT, get_sample=lambda: sample, categories=CATEGORIES)
    # One stream for every call, as Albumentations keeps one: fresh parameters each call,
    # and no generator construction timed (a run makes one per output, not per transform).
    rng = np.random.default_rng(0)

    def call():
        op = transform.sample(rng, ctx)
        return op.apply(sample) if op is not None else sample

    return call


def albumentations_runner(constructor: str, kind: str, image: np.ndarray, options: dict) -> Callable:
    import albumentations as A

    # Append p=1.0 as the last keyword of the constructor call.
    call = constructor[:-1] + ("p=1.0)" if constructor.endswith("()") else ", p=1.0)")
    transform = eval(call, {"A": A, "cv2": cv2})  # the TWINS table (transform_twins.py), nothing else
    if kind == "pixel":
        return lambda: transform(image=image)
    pipeline = A.Compose(
        [transform],
        bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"], min_visibility=0.0),
        seed=0,
        strict=False,
    )
    names = ["person" if v == 1 else "car" for v in LABELS]
    inputs = {"image": image, "bboxes": BOXES, "labels": names, **options.get("alb_inputs", {})}
    if options.get("mask"):
        inputs["mask"] = semantic_mask()
    return lambda: pipeline(**inputs)


CLOCK = time.process_time  # CPU time: a shared machine's load does not count; --wall for wall time


ROUND_SECONDS = 0.04  # each contender's round lasts at least this long (clock granularity, noise)
MAX_CALLS = 200


def time_pair(first: Callable, second: Callable, rounds: int, calls: int = 0) -> tuple[list, list]:
    """Each round's ms per call of each, alternating in rounds; two warm-up calls each.

    A round's mean covers the parameters it drew: the cost of a call often
    depends on them (Blur's kernel of 7 costs 4x one of 5), and a median of single
    calls would jump between those costs with the draws. Each contender makes
    ``calls`` calls per round, or (0) as many as fill ROUND_SECONDS, at least 8,
    so a fast transform's round is not one clock tick. A contender slower than a
    quarter of a second per call (Albumentations' PiecewiseAffine takes seconds)
    gets one round of two calls.
    """
    costs = []
    for fn in (first, second):
        fn()
        start = CLOCK()
        fn()
        costs.append(CLOCK() - start)
    if max(costs) > 0.25:
        rounds, per_fn = 1, [2, 2]
    elif calls:
        per_fn = [calls, calls]
    else:
        per_fn = [min(MAX_CALLS, max(8, int(np.ceil(ROUND_SECONDS / max(c, 1e-6))))) for c in costs]
    times: tuple[list, list] = ([], [])
    for _ in range(rounds):
        for fn, n, bucket in zip((first, second), per_fn, times):
            start = CLOCK()
            for _ in range(n):
                fn()
            bucket.append((CLOCK() - start) * 1000 / n)
    return times


def measure(first: Callable, second: Callable, rounds: int, calls: int) -> tuple[float, float]:
    """ms per call of each (medians of the rounds); a pair above SLOWER_LIMIT is timed
    again and both runs' rounds pooled, so one burst of load does not flag a row."""
    ours, theirs = time_pair(first, second, rounds, calls)
    if statistics.median(ours) > SLOWER_LIMIT * statistics.median(theirs):
        again = time_pair(first, second, rounds, calls)
        ours, theirs = ours + again[0], theirs + again[1]
    return statistics.median(ours), statistics.median(theirs)


def parse_item(item: str) -> tuple[str, dict]:
    ((name, config),) = yaml.safe_load(item).items()
    return name, dict(config or {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="transform names to run (default: all rows)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=0, help="calls per round (default: enough for 40 ms)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--wall", action="store_true", help="time wall clock instead of CPU time")
    args = parser.parse_args(argv)
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    try:
        import albumentations as A
    except ImportError:
        print("albumentations is not installed: pip install -e .[bench]")
        return 1
    cv2.setNumThreads(1)
    warnings.filterwarnings("ignore", category=UserWarning, module="albumentations")
    registry = load_all()
    image = test_image()
    rows, failures = [], []
    for entry in TWINS:
        item, constructor, options = entry[0], entry[1], (entry[2] if len(entry) > 2 else {})
        name, config = parse_item(item)
        if name not in registry or (args.only and name not in args.only):
            continue
        kind = registry[name].kind
        try:
            ours = augcli_runner(name, config, kind, image, bool(options.get("mask")))
            theirs = albumentations_runner(constructor, kind, image, options)
            ms_ours, ms_theirs = measure(ours, theirs, args.rounds, args.calls)
        except Exception as err:  # a broken row must not hide the others
            failures.append((item, f"{type(err).__name__}: {err}"))
            continue
        rows.append(
            {
                "item": item,
                "name": name,
                "kind": kind,
                "augcli_ms": ms_ours,
                "albumentations_ms": ms_theirs,
                "ratio": ms_ours / ms_theirs,
            }
        )
        print(
            f"{kind:9s} {item[:78]:78s} {ms_ours:8.2f} {ms_theirs:8.2f} {ms_ours / ms_theirs:6.2f}x",
            flush=True,
        )
    report(rows, failures, registry, A)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "failures": failures}, indent=2))
    return 0


def report(rows: list[dict], failures: list, registry: dict, albumentations: Any) -> None:
    print(
        f"\n{len(rows)} rows; ms per {WIDTH}x{HEIGHT} RGB uint8 image, single thread; "
        "ratio = augcli / Albumentations 2.0.8 (< 1 means augcli is faster)"
    )
    if rows:
        ratios = [r["ratio"] for r in rows]
        print(
            f"median ratio {statistics.median(ratios):.2f}x; geometric mean "
            f"{float(np.exp(np.mean(np.log(ratios)))):.2f}x"
        )
    covered = {parse_item(entry[0])[0] for entry in TWINS}
    missing = sorted(n for n in registry if hasattr(albumentations, n) and n not in covered)
    if missing:
        print("registry transforms with an Albumentations twin but no row here: " + ", ".join(missing))
    for item, error in failures:
        print(f"row failed: {item}: {error}")
    slow = sorted((r for r in rows if r["ratio"] > SLOWER_LIMIT), key=lambda r: -r["ratio"])
    print(
        f"\nmore than {SLOWER_LIMIT}x slower than Albumentations: "
        + (", ".join(f"{r['item']} ({r['ratio']:.2f}x)" for r in slow) if slow else "none")
    )


if __name__ == "__main__":
    sys.exit(main())
