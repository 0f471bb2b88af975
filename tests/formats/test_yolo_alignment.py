"""YOLO polygons and boxes still match their pixels after every geometric transform.

A YOLO segment dataset is painted on disk: a red L-shaped polygon (vertices
on pixel corners, so the painted pixels are exactly the polygon) and a blue
box written as a plain box line. Each registered geometric transform
(p = 1, nearest) is applied to the loaded sample, the YOLO writer writes it,
a fresh reader reads the output back, and then the polygon (joined into one
ring when the clip split it) must cover its colour's pixels (IoU), and the
box must hold its colour's pixels.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from geometric_cases import (
    GEOMETRIC,
    SEEDS,
    H,
    W,
    assert_box_holds,
    iou,
    is_grid,
    max_zoom,
    rasterise,
    transformed,
)
from PIL import Image

from augcli.formats.yolo.reader import YoloReader
from augcli.formats.yolo.writer import YoloWriter
from augcli.geometry.warp import MatrixWarp

RED, BLUE = (230, 30, 30), (40, 60, 230)
PAD_GREY = (114, 114, 114)  # LetterBox's fill: a colour of its own, never a label's
COLOURS = np.array([(0, 0, 0), RED, BLUE, PAD_GREY], dtype=np.float64)
L_SHAPE = np.array([[12, 12], [70, 12], [70, 34], [36, 34], [36, 90], [12, 90]], float)
BOX = (96, 50, 140, 104)
MATRIX_IOU, GRID_IOU = 0.98, 0.93


def build_dataset(root: Path) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    image = np.zeros((H, W, 3), np.uint8)
    image[rasterise([L_SHAPE], H, W)] = RED
    image[BOX[1] : BOX[3], BOX[0] : BOX[2]] = BLUE
    Image.fromarray(image).save(root / "images" / "train" / "scene.png")
    ring = " ".join(f"{x / W:.6f} {y / H:.6f}" for x, y in L_SHAPE)
    cx, cy = (BOX[0] + BOX[2]) / 2 / W, (BOX[1] + BOX[3]) / 2 / H
    bw, bh = (BOX[2] - BOX[0]) / W, (BOX[3] - BOX[1]) / H
    (root / "labels" / "train" / "scene.txt").write_text(f"0 {ring}\n1 {cx:.6f} {cy:.6f} {bw:.6f} {bh:.6f}\n")
    (root / "data.yaml").write_text("train: images/train\nval: images/train\nnames: [shape, box]\n")
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("yolo_scene"))


def colour_index(image: np.ndarray) -> np.ndarray:
    dist = ((image[:, :, None, :3].astype(np.float64) - COLOURS) ** 2).sum(-1)
    return dist.argmin(-1)


def round_trip(dataset: Path, out: Path, name: str, seed: int):
    reader = YoloReader(dataset)
    writer = YoloWriter(reader, out)
    key = reader.keys()[0]
    moved, warp = transformed(reader.load(key), name, seed)
    writer.write_item(key, 1, moved)
    writer.finalize([])
    again = YoloReader(out)
    assert again.problems == []
    return again.load("images/train/scene__aug1.png"), warp


def check(sample, warp, ious: list[float]) -> None:
    index = colour_index(sample.image)
    inst = sample.instances
    slack = 1.0 + 0.75 * max_zoom(warp)
    present = {int(label): row for row, label in enumerate(inst.labels)}
    for label, colour in ((0, 1), (1, 2)):
        pixels = index == colour
        if label not in present:
            assert pixels.sum() <= 40, f"class {label} dropped but still visible"
            continue
        row = present[label]
        assert_box_holds(inst.boxes[row], pixels, slack, f"class {label}")
        if label == 0:
            assert inst.polygons[row] is not None and len(inst.polygons[row]) == 1
            ious.append(iou(rasterise(inst.polygons[row], sample.height, sample.width), pixels))
        else:
            assert inst.polygons[row] is None, "a box line must stay a box line"


@pytest.mark.parametrize("name", GEOMETRIC)
def test_yolo_polygons_follow_pixels_through_the_files(name, dataset, tmp_path):
    ious: list[float] = []
    grid = False
    for seed in SEEDS:
        out = tmp_path / f"out{seed}"
        sample, warp = round_trip(dataset, out, name, seed)
        grid = grid or is_grid(warp)
        check(sample, warp, ious)
        shutil.rmtree(out)
    if ious:
        threshold = GRID_IOU if grid else MATRIX_IOU
        assert min(ious) >= threshold, f"{name}: polygon IoU {ious}"


def test_the_check_catches_a_shifted_polygon(dataset):
    sample = YoloReader(dataset).load("images/train/scene.png")
    ious: list[float] = []
    check(sample, MatrixWarp(np.eye(3), (W, H)), ious)
    assert ious == [pytest.approx(1.0)]
    shifted = sample.instances.replace(polygons=[[L_SHAPE + [3.0, 0.0]], None])
    ious = []
    check(sample.replace(instances=shifted), MatrixWarp(np.eye(3), (W, H)), ious)
    assert ious[0] < MATRIX_IOU
