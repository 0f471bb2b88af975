"""The parent's memory while a run works does not grow with the dataset or the copies.

Each run is a fresh process: once the dataset is read and the plan made
(``on_start``), its peak RSS is reset (``/proc/self/clear_refs``) and what it
grows by until the run ends is what running, journaling and assembling cost.
Records are held nowhere (they go to part files and are streamed back one
task at a time), so that growth is about one task's worth however many tasks
there are. Before part files it was ~0.8 KB per output annotation (this test
measured 1.9 MB and 28 MB for the two runs below); the reader's parsed input,
read before the reset, is not measured here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc peak-RSS reset"),
]

MEASURE = r"""
import json, sys
from pathlib import Path
import augcli

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

start = {}

def on_start(_count):
    Path("/proc/self/clear_refs").write_text("5")  # the peak restarts here: reading is not measured
    start["rss"] = status("VmRSS")

data, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
recipe = {"version": 1, "seed": 0, "copies": copies, "keep_original": True,
          "pipeline": [{"HorizontalFlip": {"p": 0.5}}]}
report = augcli.expand(data, recipe, out, workers=1, on_start=on_start)
print(json.dumps({"growth_kb": status("VmHWM") - start["rss"], "annotations_out": report.annotations_out}))
"""


def make_coco(root: Path, images: int, polygons: int, size: int = 32) -> Path:
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(root / "picture.png")
    picture = (root / "picture.png").read_bytes()
    entries, annotations = [], []
    for i in range(images):
        name = f"img_{i:05d}.png"
        (root / "images" / name).write_bytes(picture)
        entries.append({"id": i + 1, "file_name": name, "width": size, "height": size})
        for _ in range(polygons):
            x, y = rng.uniform(4, size - 12, 2).round(2)
            ring = [x, y, x + 8, y, x + 8, y + 6, x, y + 6]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": 1,
                    "segmentation": [[float(v) for v in ring]],
                    "bbox": [float(x), float(y), 8.0, 6.0],
                    "area": 48.0,
                    "iscrowd": 0,
                }
            )
    doc = {"images": entries, "annotations": annotations, "categories": [{"id": 1, "name": "thing"}]}
    (root / "annotations" / "instances.json").write_text(json.dumps(doc))
    return root


def growth(data: Path, out: Path, copies: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(data), str(out), str(copies)],
        env=env,
        cwd=out.parent,  # not the repository: PYTHONPATH decides which augcli runs
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_run_memory_does_not_grow_with_the_dataset_or_the_copies(tmp_path):
    small = growth(make_coco(tmp_path / "small", images=40, polygons=30), tmp_path / "out_small", copies=1)
    large = growth(make_coco(tmp_path / "large", images=240, polygons=30), tmp_path / "out_large", copies=4)
    assert large["annotations_out"] == 30 * 240 * 5 and small["annotations_out"] == 30 * 40 * 2
    # 15x the output annotations (6x the images, 2.5x the outputs per image); generous: 12 MB
    assert large["growth_kb"] < small["growth_kb"] + 12 * 1024, (small, large)
