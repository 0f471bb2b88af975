"""A generated JPEG COCO dataset for benchmarks: smooth scenes with polygons and boxes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def make_dataset(
    root: Path,
    count: int = 120,
    size: tuple[int, int] = (640, 480),
    objects: int = 6,
    seed: int = 0,
    polygons: bool = True,
) -> Path:
    """Write ``root/images/*.jpg`` and ``root/annotations/instances.json``; return the JSON path.

    ``polygons=False`` leaves the segmentation out: a box-only detection dataset."""
    rng = np.random.default_rng(seed)
    width, height = size
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:height, 0:width]
    images, annotations = [], []
    for i in range(count):
        base = rng.integers(40, 200, size=3)
        sky = (base[None, None, :] + 0.15 * yy[..., None] + 0.05 * xx[..., None]) % 256
        canvas = Image.fromarray(sky.astype(np.uint8))
        draw = ImageDraw.Draw(canvas)
        for _ in range(objects):
            cx, cy = rng.uniform(60, width - 60), rng.uniform(60, height - 60)
            radius = rng.uniform(20, 55)
            angles = np.sort(rng.uniform(0, 2 * np.pi, size=8))
            ring = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], 1)
            draw.polygon([tuple(p) for p in ring], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
            x0, y0 = ring.min(0)
            x1, y1 = ring.max(0)
            annotation = {
                "id": len(annotations) + 1,
                "image_id": i + 1,
                "category_id": int(rng.integers(1, 4)),
                "segmentation": [np.round(ring, 2).ravel().tolist()],
                "bbox": [round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)],
                "area": round(float((x1 - x0) * (y1 - y0)) * 0.7, 2),
                "iscrowd": 0,
            }
            if not polygons:
                del annotation["segmentation"]
            annotations.append(annotation)
        name = f"img_{i:05d}.jpg"
        canvas.save(root / "images" / name, quality=90)
        images.append({"id": i + 1, "file_name": name, "width": width, "height": height})
    doc = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": k, "name": f"class{k}"} for k in (1, 2, 3)],
    }
    path = root / "annotations" / "instances.json"
    path.write_text(json.dumps(doc))
    return path


def make_scale_dataset(
    root: Path, images: int = 2000, polygons: int = 50, size: int = 64, seed: int = 0
) -> Path:
    """An annotation-heavy COCO: ``images`` small JPEGs (``size`` px square, one shared picture)
    with ``polygons`` 8-vertex polygons each; returns the annotation JSON path (memory and
    parent-overhead benchmarks, where pixels are not the point)."""
    import io

    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    picture = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(picture, "JPEG", quality=90)
    entries, annotations = [], []
    angles = np.sort(rng.uniform(0, 2 * np.pi, size=(images * polygons, 8)), axis=1)
    centres = rng.uniform(size * 0.25, size * 0.75, size=(images * polygons, 2))
    radii = rng.uniform(size * 0.05, size * 0.2, size=(images * polygons, 1))
    rings = np.round(
        np.stack([centres[:, :1] + radii * np.cos(angles), centres[:, 1:] + radii * np.sin(angles)], 2), 2
    )
    labels = rng.integers(1, 4, size=images * polygons)
    for i in range(images):
        name = f"img_{i:06d}.jpg"
        (root / "images" / name).write_bytes(picture.getvalue())
        entries.append({"id": i + 1, "file_name": name, "width": size, "height": size})
        for j in range(i * polygons, (i + 1) * polygons):
            ring = rings[j]
            x0, y0 = ring.min(0)
            x1, y1 = ring.max(0)
            annotations.append(
                {
                    "id": j + 1,
                    "image_id": i + 1,
                    "category_id": int(labels[j]),
                    "segmentation": [ring.ravel().tolist()],
                    "bbox": [float(x0), float(y0), round(float(x1 - x0), 2), round(float(y1 - y0), 2)],
                    "area": round(float((x1 - x0) * (y1 - y0)) * 0.7, 2),
                    "iscrowd": 0,
                }
            )
    doc = {
        "images": entries,
        "annotations": annotations,
        "categories": [{"id": k, "name": f"c{k}"} for k in (1, 2, 3)],
    }
    path = root / "annotations" / "instances.json"
    path.write_text(json.dumps(doc))
    return path


# The light recipe the scale rows (shards, Ray) run on the annotation-heavy dataset.
SCALE_RECIPE = """version: 1
seed: 0
copies: 1
keep_original: true
pipeline:
  - HorizontalFlip: {p: 0.5}
  - Affine: {rotate: [-10, 10], scale: [0.9, 1.1], p: 0.7}
"""


def tree_hashes(root: Path, skip_names: frozenset[str] = frozenset()) -> dict[str, str]:
    """relative path -> sha256 of every file below ``root``: two runs are byte-identical
    when these are equal."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip_names
    }
