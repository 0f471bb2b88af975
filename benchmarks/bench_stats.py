"""``augcli stats`` on a big COCO file against a bare ``json.load`` of the same file.

Run: python benchmarks/bench_stats.py [--annotations 1000000] [--per-image 50] [--repeat 3]

Generates a COCO file (polygons of 8 points, boxes, areas; the images are
empty files, since stats never reads pixels), then times, interleaved and
best of ``--repeat``: ``json.load`` of the file, and ``augcli stats --json``
in-process (reader indexing and validation plus the statistics). Prints
both, wall and CPU time, and their ratios (target < 2x).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from augcli.cli.stats_command import read_stats, stats_json  # noqa: E402


def make_coco(root: Path, annotations: int, per_image: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    images = max(1, annotations // per_image)
    (root / "images").mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(images):
        name = f"img_{i:07d}.jpg"
        (root / "images" / name).touch()
        entries.append({"id": i + 1, "file_name": name, "width": 640, "height": 480})
    cx, cy = rng.uniform(50, 590, annotations), rng.uniform(50, 430, annotations)
    radius = rng.uniform(3, 80, annotations)
    angles = np.sort(rng.uniform(0, 2 * np.pi, (annotations, 8)), axis=1)
    xs = np.round(cx[:, None] + radius[:, None] * np.cos(angles), 2)
    ys = np.round(cy[:, None] + radius[:, None] * np.sin(angles), 2)
    labels = rng.integers(1, 81, annotations)
    anns = []
    for k in range(annotations):
        x0, y0, x1, y1 = xs[k].min(), ys[k].min(), xs[k].max(), ys[k].max()
        anns.append(
            {
                "id": k + 1,
                "image_id": k % images + 1,
                "category_id": int(labels[k]),
                "segmentation": [np.stack([xs[k], ys[k]], 1).ravel().tolist()],
                "bbox": [float(x0), float(y0), round(float(x1 - x0), 2), round(float(y1 - y0), 2)],
                "area": round(float((x1 - x0) * (y1 - y0)) * 0.7, 2),
                "iscrowd": int(k % 97 == 0),
            }
        )
    doc = {
        "images": entries,
        "annotations": anns,
        "categories": [{"id": c, "name": f"c{c}"} for c in range(1, 81)],
    }
    path = root / "annotations" / "instances.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def timed(work) -> tuple[float, float]:
    """(wall, CPU) seconds; CPU time is the fairer measure on a machine shared with other jobs."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--per-image", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="augcli-bench-stats-") as tmp:
        path = make_coco(Path(tmp), args.annotations, args.per_image)
        size = path.stat().st_size / 2**20
        print(
            f"{args.annotations} annotations, {args.annotations // args.per_image} images, {size:.0f} MiB JSON"
        )
        bare, stats = [], []
        for _ in range(args.repeat):  # interleaved, so load on the machine hits both alike
            bare.append(timed(lambda: json.load(open(path, encoding="utf-8"))))
            stats.append(timed(lambda: json.dumps(stats_json(read_stats(path)[0], None))))
        for name, index in (("wall", 0), ("CPU", 1)):
            a, b = min(t[index] for t in bare), min(t[index] for t in stats)
            print(
                f"{name:4}  json.load {a:7.2f} s   augcli stats {b:7.2f} s   ratio {b / a:5.2f}x (target < 2x)"
            )


if __name__ == "__main__":
    main()
