"""The Ray tests' dataset, recipe and cluster handle (used by conftest.py and the tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

MOSAIC_RECIPE = {
    "version": 1,
    "seed": 5,
    "copies": 2,
    "keep_original": True,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Mosaic": {"grid": [2, 2], "output_size": [64, 56], "p": 0.7}},
        {"Affine": {"rotate": [-20, 20], "p": 0.6}},
        {"RandomBrightnessContrast": {"p": 0.5}},
    ],
}
CONVERT = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}
IMAGES = 12


def make_coco(root: Path, count: int = IMAGES, width: int = 48, height: int = 40) -> Path:
    """A COCO dataset of ``count`` noise images, each with a box and a polygon of two classes."""
    images, annotations = [], []
    (root / "images").mkdir(parents=True)
    for i in range(count):
        rng = np.random.default_rng(i)
        name = f"img_{i:02d}.{'jpg' if i % 2 else 'png'}"
        pixels = (rng.integers(0, 256, (height, width, 3), dtype=np.uint8) // 4 + 96).astype(np.uint8)
        Image.fromarray(pixels).save(root / "images" / name, quality=90)
        images.append({"id": i + 1, "file_name": name, "width": width, "height": height})
        x, y = 3 + i % 7, 2 + i % 5
        annotations.append(
            {
                "id": 2 * i + 1,
                "image_id": i + 1,
                "category_id": 1,
                "iscrowd": 0,
                "bbox": [x, y, 14, 11],
                "area": 154.0,
            }
        )
        annotations.append(
            {
                "id": 2 * i + 2,
                "image_id": i + 1,
                "category_id": 2,
                "iscrowd": 0,
                "segmentation": [[20, 10, 40, 12, 36, 30, 22, 28]],
                "bbox": [20, 10, 20, 20],
                "area": 300.0,
            }
        )
    coco = {
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
        "images": images,
        "annotations": annotations,
    }
    path = root / "annotations" / "instances_train.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(coco))
    return path


@dataclass
class RayCluster:
    address: str
    runtime_env: dict
    fault_file: Path
    datasets: dict[str, Path]  # format -> source
    references: dict[str, Path]  # format -> the local pool's output of MOSAIC_RECIPE

    def faults(self, spec: dict | None) -> None:
        """Install (or, with None, remove) the faults every Ray worker reads per task."""
        if spec is None:
            self.fault_file.unlink(missing_ok=True)
        else:
            self.fault_file.write_text(json.dumps(spec))
