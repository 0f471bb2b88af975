"""Small datasets of every format for the shard tests, built in code (a few 40x32 images each)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

W, H = 40, 32
CLASSES = ("cat", "dog")


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file below ``root``, and "dir" for each folder."""
    digest = {}
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root).as_posix()
        digest[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def _image(path: Path, seed: int) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def _box(i: int) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of image ``i``'s object."""
    return 2 + i % 5, 3 + i % 4, 22 + i % 7, 18 + i % 6


def _coco_doc(names: list[str]) -> dict:
    images, annotations = [], []
    for i, name in enumerate(names):
        x0, y0, x1, y1 = _box(i)
        images.append({"id": i + 1, "file_name": name, "width": W, "height": H})
        polygon = [x0, y0, x1, y0, x1, y1, x0, y1]
        annotations.append(
            {
                "id": i + 1,
                "image_id": i + 1,
                "category_id": 1 + i % 2,
                "bbox": [x0, y0, x1 - x0, y1 - y0],
                "segmentation": [polygon],
                "area": (x1 - x0) * (y1 - y0),
                "iscrowd": 0,
            }
        )
    categories = [{"id": k + 1, "name": name} for k, name in enumerate(CLASSES)]
    return {"images": images, "annotations": annotations, "categories": categories}


def coco(root: Path, count: int = 7) -> Path:
    names = [f"img_{i}.png" for i in range(count)]
    for i, name in enumerate(names):
        _image(root / "images" / name, i)
    path = root / "annotations" / "instances_train.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_coco_doc(names)))
    return root


def split_tree(root: Path, count: int = 7) -> Path:
    """A Roboflow-style COCO export: train/, valid/ and test/, each with its _annotations.coco.json."""
    for offset, (split, size) in enumerate((("train", count), ("valid", 3), ("test", 2))):
        names = [f"{split}_{i}.png" for i in range(size)]
        for i, name in enumerate(names):
            _image(root / split / name, 100 * offset + i)
        (root / split / "_annotations.coco.json").write_text(json.dumps(_coco_doc(names)))
    return root


def voc(root: Path, count: int = 7) -> Path:
    (root / "Annotations").mkdir(parents=True)
    (root / "ImageSets" / "Main").mkdir(parents=True)
    for i in range(count):
        name = f"v{i}"
        _image(root / "JPEGImages" / f"{name}.png", i)
        x0, y0, x1, y1 = _box(i)
        (root / "Annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.png</filename><size><width>{W}</width><height>{H}</height>"
            f"<depth>3</depth></size><object><name>{CLASSES[i % 2]}</name><bndbox><xmin>{x0}</xmin>"
            f"<ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object></annotation>"
        )
    (root / "ImageSets" / "Main" / "train.txt").write_text("".join(f"v{i}\n" for i in range(count)))
    return root


def yolo(root: Path, count: int = 7) -> Path:
    """train/ (augmented) and val/ (copied) splits, a data.yaml naming them."""
    for split, size in (("train", count), ("val", 2)):
        (root / "labels" / split).mkdir(parents=True)
        for i in range(size):
            _image(root / "images" / split / f"{split}{i}.png", i + (50 if split == "val" else 0))
            x0, y0, x1, y1 = _box(i)
            line = f"{i % 2} {(x0 + x1) / 2 / W:.6f} {(y0 + y1) / 2 / H:.6f} {(x1 - x0) / W:.6f} {(y1 - y0) / H:.6f}"
            (root / "labels" / split / f"{split}{i}.txt").write_text(line + "\n")
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/val\nnames: [cat, dog]\n")
    return root / "data.yaml"


def masks(root: Path, count: int = 7) -> Path:
    for i in range(count):
        _image(root / "images" / f"m{i}.png", i)
        values = np.zeros((H, W), dtype=np.uint8)
        x0, y0, x1, y1 = _box(i)
        values[y0:y1, x0:x1] = 1 + i % 2
        (root / "masks").mkdir(exist_ok=True)
        Image.fromarray(values).save(root / "masks" / f"m{i}.png")
    (root / "classes.txt").write_text("background\ncat\ndog\n")
    return root


TREES = {"coco": coco, "split_tree": split_tree, "voc": voc, "yolo": yolo, "masks": masks}
