"""What fold detection costs a grid warp that does not fold, side by side in one run.

Run: python benchmarks/bench_folds.py [--rounds 7] [--calls 10]

For each non-folding grid warp (the catalogue examples of the grid warps, on a
640x480 RGB image with eight polygon instances, eight box-only instances and
keypoints) it times ``apply_warp`` with fold detection and with detection
switched off (the vector path alone, as before folds were handled), alternating
the two in rounds so load from other processes hits both; the warp is built
once outside the timing. Printed: ms per call of each (median over rounds),
their ratio, the detection alone (``find_folds``), and the detection as a
share of the whole op (warp built from its parameters + applied). Single-threaded
OpenCV on both sides.
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
import yaml

import augcli.geometry.apply as apply_module
from augcli.core.sample import Instances, Sample
from augcli.geometry.folds import find_folds
from augcli.transforms.base import SampleContext
from augcli.transforms.catalog import load_all

WIDTH, HEIGHT = 640, 480
CASES = [
    "ElasticTransform: {alpha: 40, sigma: 6}",
    "GridDistortion: {num_steps: 5, distort_limit: 0.3}",
    "ThinPlateSpline: {scale_range: [0.05, 0.1]}",
    "OpticalDistortion: {distort_limit: 0.3}",
    "GridElasticDeform: {num_grid_xy: [4, 3], magnitude: 8}",
    "Corrupt: {name: elastic_transform, severity: 2}",
]


def scene() -> Sample:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    corners = rng.uniform([20, 20], [WIDTH - 120, HEIGHT - 120], (16, 2))
    sizes = rng.uniform(30, 100, (16, 2))
    boxes = np.hstack([corners, corners + sizes])
    polygons = [
        [np.array([[x0, y0], [x1, y0], [x1, y1], [(x0 + x1) / 2, (y0 + 2 * y1) / 3], [x0, y1]])]
        for x0, y0, x1, y1 in boxes[:8]
    ] + [None] * 8
    keypoints = np.zeros((16, 3, 3))
    keypoints[:, :, :2] = (boxes[:, None, :2] + boxes[:, None, 2:]) / 2 + rng.uniform(-10, 10, (16, 3, 2))
    keypoints[:, :, 2] = 2
    instances = Instances(
        labels=[1] * 16, boxes=boxes, polygons=polygons, masks=[None] * 16, keypoints=keypoints
    )
    return Sample(image=image, instances=instances, meta={})


def op_for(item: str, sample: Sample):
    ((name, cfg),) = yaml.safe_load(item).items()
    cls = load_all()[name]
    context = SampleContext(width=WIDTH, height=HEIGHT, get_sample=lambda: sample)
    return cls(**dict(cfg or {}, p=1.0)).sample(np.random.default_rng(0), context)


def timed(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1000.0


def measure(op, sample: Sample, rounds: int, calls: int) -> tuple[float, float, float, float]:
    """Median ms per call: apply_warp with detection, without, find_folds alone, the whole op."""
    warp = op.warp(WIDTH, HEIGHT)
    assert find_folds(warp) is None, f"{op.name} folds: not a case for this benchmark"
    settings = op.resampling()
    detect = apply_module.find_folds
    times: list[list[float]] = [[], [], [], []]
    try:
        for _ in range(rounds):
            apply_module.find_folds = detect
            times[0].append(timed(lambda: apply_module.apply_warp(sample, warp, **settings), calls))
            apply_module.find_folds = lambda _warp: None  # the vector path alone
            times[1].append(timed(lambda: apply_module.apply_warp(sample, warp, **settings), calls))
            apply_module.find_folds = detect
            times[2].append(timed(lambda: find_folds(warp), calls))
            times[3].append(timed(lambda: op.apply(sample), calls))
    finally:
        apply_module.find_folds = detect
    return tuple(statistics.median(t) for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    sample = scene()
    print(
        f"{'warp (640x480, 16 instances)':58} {'with':>8} {'without':>8} {'ratio':>6} {'detect':>7} {'of op':>6}"
    )
    for item in CASES:
        with_ms, without_ms, detect_ms, op_ms = measure(op_for(item, sample), sample, args.rounds, args.calls)
        print(
            f"{item:58} {with_ms:8.2f} {without_ms:8.2f} {with_ms / without_ms:6.3f} "
            f"{detect_ms:7.2f} {detect_ms / op_ms:6.1%}"
        )


if __name__ == "__main__":
    main()
