"""Class plans per split: only augmented splits get copies, each planned from its own frequencies."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from class_data import lvis_copies
from PIL import Image

import augcli

PIPELINE = [{"HorizontalFlip": {"p": 0.5}}]
BLOCK = {"mode": "repeat_factor", "threshold": 0.3}


def yolo_splits(root: Path) -> dict[str, dict[str, Counter]]:
    """YOLO train (40 images, ``rare`` in 2) and val (20 images, ``rare`` in 10); returns the truth
    per split: image key -> class name -> instances."""
    rng = np.random.default_rng(4)
    truth: dict[str, dict[str, Counter]] = {}
    for split, count, rare in (("train", 40, {3, 17}), ("val", 20, set(range(0, 20, 2)))):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        truth[split] = {}
        for i in range(count):
            name = f"{split}{i:02d}"
            Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(
                root / "images" / split / f"{name}.png"
            )
            lines = ["0 0.5 0.5 0.3 0.3"] + (["1 0.25 0.25 0.2 0.2"] if i in rare else [])
            (root / "labels" / split / f"{name}.txt").write_text("\n".join(lines) + "\n")
            truth[split][f"images/{split}/{name}.png"] = Counter({"common": 1, "rare": int(i in rare)})
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/val\nnames: [common, rare]\n")
    return truth


def copies_written(out: Path) -> Counter:
    rows = (json.loads(line) for line in (out / ".augcli" / "provenance.jsonl").read_text().splitlines())
    return Counter(row["key"] for row in rows)


def test_only_the_training_split_is_planned_and_from_its_own_frequencies(tmp_path):
    truth = yolo_splits(tmp_path / "data")
    recipe = {"version": 1, "seed": 5, "copies": BLOCK, "pipeline": PIPELINE}
    report = augcli.expand(tmp_path / "data", recipe, tmp_path / "out", workers=1)
    written = copies_written(tmp_path / "out")
    expected = lvis_copies({k: +c for k, c in truth["train"].items()}, 0.3, 0.5, 1.0, seed=5, name="train")
    assert {k: written[k] for k in truth["train"]} == expected
    assert max(expected.values()) >= 2  # rare in 5 % of train: boosted
    assert not any(written[k] for k in truth["val"])  # val is written unchanged
    assert set(report.class_plan) == {"train"}


def test_each_augmented_split_has_its_own_frequencies(tmp_path):
    truth = yolo_splits(tmp_path / "data")
    recipe = {"version": 1, "seed": 5, "copies": BLOCK, "pipeline": PIPELINE, "splits": ["train", "val"]}
    report = augcli.expand(tmp_path / "data", recipe, tmp_path / "out", workers=2)
    written = copies_written(tmp_path / "out")
    for split in ("train", "val"):
        images = {k: +c for k, c in truth[split].items()}
        assert {k: written[k] for k in images} == lvis_copies(images, 0.3, 0.5, 1.0, seed=5, name=split)
    # rare is in half of val: not rare there, so val is not boosted at all
    assert {written[k] for k in truth["val"]} == {1}
    assert set(report.class_plan) == {"train", "val"}
