"""Awkward input names end to end: 250 and 255 bytes, case twins, non-ASCII."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_reexpand import assert_labels_on_their_pixels, digest

import augcli
from augcli.formats.atomic import NAME_MAX

W, H = 48, 40
NAMES = [
    "x" * 246 + ".png",  # 250 bytes
    "é" * 125 + "y.png",  # 255 bytes, two-byte characters
    "Cat.png",
    "cat.png",  # differs from Cat.png only in case
    "臉書 photo.png",
]
RECIPE = {
    "version": 1,
    "seed": 2,
    "copies": 2,
    "pipeline": [{"HorizontalFlip": {"p": 0.5}}, {"Affine": {"translate_percent": [-0.1, 0.1], "p": 0.9}}],
}


@pytest.fixture
def awkward(tmp_path: Path) -> Path:
    root = tmp_path / "awkward"
    (root / "images").mkdir(parents=True)
    images, annotations = [], []
    for number, name in enumerate(NAMES, 1):
        assert len(name.encode()) <= NAME_MAX
        x0, y0, w, h = 4 + 4 * number, 3 + 3 * number, 12, 9
        pixels = np.zeros((H, W, 3), np.uint8)
        pixels[y0 : y0 + h, x0 : x0 + w] = 255
        Image.fromarray(pixels).save(root / "images" / name)
        images.append({"id": number, "file_name": name, "width": W, "height": H})
        annotations.append(
            {"id": number, "image_id": number, "category_id": 1, "bbox": [x0, y0, w, h], "area": w * h}
        )
    data = {"categories": [{"id": 1, "name": "box"}], "images": images, "annotations": annotations}
    (root / "annotations").mkdir()
    (root / "annotations" / "instances_train.json").write_text(json.dumps(data, ensure_ascii=False))
    return root


@pytest.mark.parametrize("to", ["same", "yolo"])
def test_awkward_names_all_come_out_unique_and_on_their_pixels(awkward, to, tmp_path):
    one = augcli.expand(awkward, RECIPE, tmp_path / "w1", workers=1, to=to)
    augcli.expand(awkward, RECIPE, tmp_path / "w2", workers=2, to=to)
    assert one.skipped == [] and one.images_out == 3 * len(NAMES)
    assert digest(tmp_path / "w1") == digest(tmp_path / "w2")
    # the same format keeps the input's names; a conversion makes even originals case-unique
    originals = frozenset(f"images/{name}" for name in NAMES) if to == "same" else frozenset()
    assert assert_labels_on_their_pixels(tmp_path / "w1", originals) == 3 * len(NAMES)
    written = [p for p in (tmp_path / "w1").rglob("*") if p.is_file()]
    assert all(len(p.name.encode()) <= NAME_MAX for p in written)
    images = {p.name for p in (tmp_path / "w1").rglob("*.png")}
    kept = NAMES if to == "same" else [n.replace("cat.png", "cat__2.png") for n in NAMES]
    assert set(kept) <= images  # every original kept
