"""Small datasets of every format, built in code, with the list of files a reader opens.

Each builder returns ``(source, label_files)``: what to pass as SOURCE, and the
non-image files (relative to the dataset folder) whose bytes the reader reads
or the writer copies: the files a hostile dataset could swap for symlinks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from reliability_helpers import encode, make_dataset, pixels

W, H = 40, 32


def _image(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode(pixels(W, H, seed), "PNG"))


def _mask(path: Path, seed: int) -> None:
    values = np.zeros((H, W), dtype=np.uint8)
    values[4 : 10 + seed, 3:20] = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode(values, "PNG"))


def voc_tree(root: Path) -> tuple[Path, list[str]]:
    for i, name in enumerate(("a", "b")):
        _image(root / "JPEGImages" / f"{name}.png", i)
        _mask(root / "SegmentationClass" / f"{name}.png", i)
        (root / "Annotations").mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.png</filename><size><width>{W}</width><height>{H}</height>"
            "<depth>3</depth></size><object><name>cat</name><bndbox><xmin>2</xmin><ymin>3</ymin>"
            "<xmax>20</xmax><ymax>15</ymax></bndbox></object></annotation>"
        )
    (root / "ImageSets" / "Main").mkdir(parents=True)
    (root / "ImageSets" / "Main" / "train.txt").write_text("a\nb\n")
    (root / "labelmap.txt").write_text("background:0,0,0::\ncat:128,0,0::\n")
    files = ["Annotations/a.xml", "ImageSets/Main/train.txt", "labelmap.txt", "SegmentationClass/a.png"]
    return root, files


def yolo_tree(root: Path) -> tuple[Path, list[str]]:
    for i, name in enumerate(("a", "b")):
        _image(root / "images" / "train" / f"{name}.png", i)
        (root / "labels" / "train").mkdir(parents=True, exist_ok=True)
        (root / "labels" / "train" / f"{name}.txt").write_text(f"{i} 0.5 0.5 0.25 0.25\n")
    _image(root / "images" / "val" / "c.png", 5)
    (root / "val.txt").write_text("./images/val/c.png\n")
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nval: val.txt\nnames: [cat, dog]\n")
    return root / "data.yaml", ["labels/train/a.txt", "val.txt"]


def masks_tree(root: Path) -> tuple[Path, list[str]]:
    for i, name in enumerate(("a", "b")):
        _image(root / "images" / f"{name}.png", i)
        _mask(root / "masks" / f"{name}.png", i)
    (root / "classes.txt").write_text("background\ncat\n")
    return root, ["classes.txt", "masks/a.png"]


def coco_tree(root: Path) -> tuple[Path, list[str]]:
    return make_dataset(root, count=2), ["annotations/instances_train.json"]


TREES = {"voc": voc_tree, "yolo": yolo_tree, "masks": masks_tree, "coco": coco_tree}


def first_image(root: Path) -> Path:
    images = sorted(p for p in root.rglob("*") if p.suffix in (".png", ".jpg") and "mask" not in str(p))
    return next(p for p in images if "Segmentation" not in str(p))


def coco_text(path: Path) -> dict:
    return json.loads(path.read_text())
