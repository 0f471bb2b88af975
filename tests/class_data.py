"""Generated class-imbalanced COCO datasets for the statistics and class-planning tests."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
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


def uniform(seed: int, split: str, key: str) -> float:
    """The documented draw: SeedSequence(seed, spawn_key=(h("copies"), h(split), h(key))), h = sha256[:8] >> 1."""

    def h(text: str) -> int:
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(h("copies"), h(split), h(key))))
    return rng.random()


def imbalanced_split(images: int = 500, rare_share: float = 0.02, seed: int = 0) -> dict[str, Counter]:
    """``common`` nearly everywhere, ``medium`` in ~30 %, ``rare`` in exactly rare_share of the images."""
    rng = np.random.default_rng(seed)
    rare = set(rng.choice(images, size=round(rare_share * images), replace=False).tolist())
    split = {}
    for i in range(images):
        classes = Counter()
        if i % 20:
            classes["common"] = int(rng.integers(1, 4))
        if rng.random() < 0.3:
            classes["medium"] = int(rng.integers(1, 3))
        if i in rare:
            classes["rare"] = int(rng.integers(1, 3))
        split[f"img_{i:04d}.jpg"] = classes
    return split


def lvis_copies(split, threshold, exponent, base, seed, name, cap=math.inf) -> dict[str, int]:
    """LVIS repeat factors with stochastic rounding, written out from the paper's formula."""
    total = len(split)
    frequency = {
        c: sum(1 for cl in split.values() if cl.get(c, 0) > 0) / total for c in ("common", "medium", "rare")
    }
    out = {}
    for key, classes in split.items():
        factors = [
            max(1.0, math.sqrt(threshold / frequency[c]))
            if exponent == 0.5
            else max(1.0, (threshold / frequency[c]) ** exponent)
            for c in classes
            if classes[c] > 0
        ]
        value = min(cap, base * (max(factors) if factors else 1.0))
        whole = math.floor(value)
        out[key] = whole + (1 if uniform(seed, name, key) < value - whole else 0)
    return out


def naive_greedy(split, target, cap=math.inf, limit=math.inf) -> dict[str, int]:
    """The greedy rule, one full scan per step: the copy that brings the most missing instances."""
    counts = Counter()
    for classes in split.values():
        counts.update(classes)
    goal = max(counts.values(), default=0) if target == "max" else target
    copies = dict.fromkeys(split, 0)
    while sum(copies.values()) < limit:

        def gain(key):
            return sum(min(n, max(0, goal - counts[c])) for c, n in split[key].items())

        options = [(-gain(k), k) for k in sorted(split) if copies[k] < cap and gain(k) > 0]
        if not options:
            break
        _, best = min(options)
        copies[best] += 1
        counts.update(split[best])
    return copies
