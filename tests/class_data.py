"""Generated class-imbalanced COCO datasets for the statistics and class-planning tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("common", "medium", "rare", "unused")


def make_imbalanced_coco(
    root: Path,
    images: int = 100,
    rare_images: int = 2,
    seed: int = 0,
    size: tuple[int, int] = (40, 30),
    shuffle: bool = False,
) -> Path:
    """COCO with ``common`` in most images, ``medium`` in about a quarter, ``rare`` in exactly
    ``rare_images`` images and ``unused`` in none; some crowd boxes and a few images without
    labels. ``shuffle`` writes the same images and annotations in another order. Returns the JSON.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    (root / "images").mkdir(parents=True, exist_ok=True)
    entries, annotations = [], []
    rare = set(rng.choice(images, size=rare_images, replace=False).tolist())
    for i in range(images):
        name = f"im_{i:04d}.png"
        pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "images" / name)
        entries.append({"id": i + 1, "file_name": name, "width": width, "height": height})
        labels = []
        if i % 10 != 0:  # every tenth image has no labels
            labels += [1] * int(rng.integers(1, 4))
            if rng.random() < 0.25:
                labels += [2] * int(rng.integers(1, 3))
        if i in rare:
            labels += [3] * int(rng.integers(1, 3))
        for label in labels:
            w, h = rng.uniform(3, width / 2), rng.uniform(3, height / 2)
            x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
            annotations.append(
                {
                    "image_id": i + 1,
                    "category_id": label,
                    "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                    "area": round(w * h, 2),
                    "iscrowd": int(label == 1 and rng.random() < 0.05),
                }
            )
    for number, ann in enumerate(annotations, 1):
        ann["id"] = number
    if shuffle:
        order = np.random.default_rng(seed + 1).permutation
        entries = [entries[i] for i in order(len(entries))]
        annotations = [annotations[i] for i in order(len(annotations))]
    doc = {
        "images": entries,
        "annotations": annotations,
        "categories": [{"id": i + 1, "name": name} for i, name in enumerate(CLASSES)],
    }
    path = root / "annotations.json"
    path.write_text(json.dumps(doc))
    return path


def count_from_json(path: Path) -> dict:
    """Per class name: instances, images holding it, crowd instances, straight from the JSON."""
    doc = json.loads(Path(path).read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    out = {name: {"instances": 0, "images": set(), "crowd": 0} for name in names.values()}
    for ann in doc["annotations"]:
        entry = out[names[ann["category_id"]]]
        entry["instances"] += 1
        entry["images"].add(ann["image_id"])
        entry["crowd"] += int(ann.get("iscrowd", 0))
    return {
        k: {"instances": v["instances"], "images": len(v["images"]), "crowd": v["crowd"]}
        for k, v in out.items()
    }
