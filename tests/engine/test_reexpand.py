"""Expanding an expanded dataset: unique names, labels on their own pixels, any worker count.

Regression: names ending in ``__aug1`` used to make copies overwrite inputs
(8 file names used twice in the re-expanded sample data, YOLO boxes on empty
squares, 34 files differing between 1 and 2 workers).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augcli
from augcli.formats.naming import fold
from augcli.formats.registry import open_reader

W, H = 64, 48
RECIPE = {
    "version": 1,
    "seed": 11,
    "copies": 2,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"scale": [0.85, 1.1], "translate_percent": [-0.1, 0.1], "p": 0.9}},
    ],
}


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".augcli" not in p.relative_to(root).parts
    }


@pytest.fixture
def boxes_dataset(tmp_path: Path) -> Path:
    """COCO images each holding one white rectangle, exactly its box, at its own place."""
    root = tmp_path / "boxes"
    (root / "images").mkdir(parents=True)
    images, annotations = [], []
    for number in range(1, 7):
        x0, y0 = 4 + 6 * number, 3 + 4 * number
        w, h = 14 + number, 10
        pixels = np.zeros((H, W, 3), np.uint8)
        pixels[y0 : y0 + h, x0 : x0 + w] = 255
        name = f"obj_{number}.png"
        Image.fromarray(pixels).save(root / "images" / name)
        images.append({"id": number, "file_name": name, "width": W, "height": H})
        annotations.append(
            {
                "id": number,
                "image_id": number,
                "category_id": 1,
                "bbox": [x0, y0, w, h],
                "area": w * h,
                "iscrowd": 0,
            }
        )
    data = {"categories": [{"id": 1, "name": "box"}], "images": images, "annotations": annotations}
    (root / "annotations").mkdir()
    (root / "annotations" / "instances_train.json").write_text(json.dumps(data))
    return root


def pixel_box(image: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(image.max(axis=-1) > 127)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], float)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    inter = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None).prod()
    area = lambda box: (box[2:] - box[:2]).prod()  # noqa: E731
    return float(inter / (area(a) + area(b) - inter))


def assert_labels_on_their_pixels(out: Path, originals: frozenset[str] = frozenset()) -> int:
    """Every output's one box lies on its own rectangle, and no two images share a name
    ignoring case (except ``originals``, names as the input had them); returns how many
    outputs were checked."""
    reader = open_reader(out)
    assert reader.problems == []
    keys = reader.keys()
    names = [reader.source_path(k).relative_to(out).as_posix() for k in keys]
    assert len(set(names)) == len(names)
    copies = [fold(n) for n in names if n not in originals]
    assert len(set(copies)) == len(copies)
    assert not set(copies) & {fold(n) for n in originals}
    for key in keys:
        sample = reader.load(key)
        assert len(sample.instances) == 1, key
        assert box_iou(sample.instances.boxes[0], pixel_box(sample.image)) > 0.85, key
    return len(keys)


def test_re_expanding_coco_gives_unique_names_on_their_pixels(boxes_dataset, tmp_path):
    augcli.expand(boxes_dataset, RECIPE, tmp_path / "once", workers=1)
    assert assert_labels_on_their_pixels(tmp_path / "once") == 18
    one = augcli.expand(tmp_path / "once", RECIPE, tmp_path / "twice1", workers=1)
    augcli.expand(tmp_path / "once", RECIPE, tmp_path / "twice2", workers=2)
    assert digest(tmp_path / "twice1") == digest(tmp_path / "twice2")
    assert one.images_out == 54
    assert assert_labels_on_their_pixels(tmp_path / "twice1") == 54
    files = list((tmp_path / "twice1" / "images").iterdir())
    assert len(files) == 54  # nothing overwritten


def test_re_expanding_yolo_keeps_each_label_file_with_its_picture(boxes_dataset, tmp_path):
    convert = {"version": 1, "copies": 0, "pipeline": []}
    augcli.expand(boxes_dataset, convert, tmp_path / "yolo", workers=1, to="yolo")
    augcli.expand(tmp_path / "yolo", RECIPE, tmp_path / "once", workers=1)
    one = augcli.expand(tmp_path / "once", RECIPE, tmp_path / "twice1", workers=1)
    augcli.expand(tmp_path / "once", RECIPE, tmp_path / "twice2", workers=2)
    assert digest(tmp_path / "twice1") == digest(tmp_path / "twice2")
    assert one.images_out == 54
    assert assert_labels_on_their_pixels(tmp_path / "twice1") == 54


def test_re_expanding_the_sample_data(sample_dataset, tmp_path):
    recipe = dict(RECIPE, copies=1)
    augcli.expand(sample_dataset, recipe, tmp_path / "once", workers=1)
    augcli.expand(tmp_path / "once", recipe, tmp_path / "twice1", workers=1)
    augcli.expand(tmp_path / "once", recipe, tmp_path / "twice2", workers=2)
    assert digest(tmp_path / "twice1") == digest(tmp_path / "twice2")
    data = json.loads(next((tmp_path / "twice1" / "annotations").glob("*.json")).read_text())
    used = Counter(fold(e["file_name"]) for e in data["images"])
    assert max(used.values()) == 1
    on_disk = {fold(p.name) for p in (tmp_path / "twice1" / "images").iterdir()}
    assert on_disk == set(used)
