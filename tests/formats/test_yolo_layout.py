"""YOLO layouts: YAML fields, split lists, label files, bad lines, flips, EXIF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from augcli.core.errors import DatasetError
from augcli.formats.registry import open_reader, open_writer
from augcli.formats.yolo.layout import label_relpath
from augcli.geometry.apply import apply_warp
from augcli.geometry.warp import MatrixWarp


def dataset(root: Path, yaml_text: str, labels: dict[str, str], size=(20, 10)) -> Path:
    for name, text in labels.items():
        image = root / "images" / name
        image.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, (20, 40, 60)).save(image.with_suffix(".png"))
        if text is not None:
            label = root / "labels" / Path(name).with_suffix(".txt")
            label.parent.mkdir(parents=True, exist_ok=True)
            label.write_text(text)
    (root / "data.yaml").write_text(yaml_text)
    return root


def test_label_paths_follow_the_ultralytics_rule():
    assert label_relpath("images/train/a.jpg") == "labels/train/a.txt"
    assert label_relpath("data/images/x/images/b.png") == "data/images/x/labels/b.txt"
    assert label_relpath("flat/c.jpg") == "flat/c.txt"


def test_names_mapping_missing_labels_and_bad_lines(tmp_path):
    root = dataset(
        tmp_path / "d",
        "path: /no/such/folder\ntrain: images/train\nnames: {0: cat, 1: dog}\n",
        {"train/a": "0 0.5 0.5 0.5 0.5\n7 0.5 0.5 0.1 0.1\n1 0.5 0.5\n\n1 0.25 0.5 0.5 1\n", "train/b": None},
    )
    reader = open_reader(root)
    assert reader.categories.names() == {0: "cat", 1: "dog"}
    assert any("does not exist here" in n for n in reader.notes)
    assert reader.keys() == ["images/train/a.png", "images/train/b.png"]
    assert [p.annotation for p in reader.problems] == ["line 2", "line 3"]
    assert "not in names" in reader.problems[0].message
    sample = reader.load("images/train/a.png")
    assert sample.instances.labels.tolist() == [0, 1]
    np.testing.assert_allclose(sample.instances.boxes, [[5, 2.5, 15, 7.5], [0, 0, 10, 10]])
    assert len(reader.load("images/train/b.png").instances) == 0


def test_split_lists_are_read_and_rewritten_with_copies(tmp_path):
    root = dataset(
        tmp_path / "d",
        "train: train.txt\nval: images/val\nnames: [thing]\n",
        {"train/a": "0 0.5 0.5 0.2 0.2\n", "train/b": "0 0.5 0.5 0.2 0.2\n", "val/c": ""},
    )
    (root / "train.txt").write_text("./images/train/b.png\nimages/train/a.png\n")
    reader = open_reader(root)
    assert reader.keys() == ["images/train/b.png", "images/train/a.png", "images/val/c.png"]
    assert reader.split_of("images/train/a.png") == "train" and reader.split_of("images/val/c.png") == "val"
    writer = open_writer(reader, tmp_path / "out")
    records = [writer.write_original(k) for k in reader.keys()]
    records += [writer.write_item("images/train/a.png", 1, reader.load("images/train/a.png"))]
    writer.finalize(records)
    assert (writer.out / "train.txt").read_text().splitlines() == [
        "./images/train/b.png",
        "./images/train/a.png",
        "./images/train/a__aug1.png",
    ]
    written = yaml.safe_load((writer.out / "data.yaml").read_text())
    assert written == {"train": "train.txt", "val": "images/val", "names": ["thing"]}
    assert open_reader(writer.out).problems == []


def test_pose_flip_idx_swaps_keypoints_on_a_mirror(tmp_path):
    text = "0 0.5 0.5 0.5 0.5 0.25 0.5 2 0.75 0.5 1\n"
    root = dataset(
        tmp_path / "d",
        "train: images/train\nnames: [person]\nkpt_shape: [2, 3]\nflip_idx: [1, 0]\n",
        {"train/a": text},
    )
    sample = open_reader(root).load("images/train/a.png")
    np.testing.assert_allclose(sample.instances.keypoints[0], [[5, 5, 2], [15, 5, 1]])
    flip = MatrixWarp(np.array([[-1.0, 0, 20], [0, 1, 0], [0, 0, 1]]), (20, 10))
    flipped = apply_warp(sample, flip).instances.keypoints[0]
    np.testing.assert_allclose(flipped, [[5, 5, 1], [15, 5, 2]])  # left stays left, visibility moves


def test_invalid_pose_fields_are_dataset_errors(tmp_path):
    with pytest.raises(DatasetError, match="flip_idx"):
        open_reader(
            dataset(
                tmp_path / "a",
                "train: images/train\nnames: [p]\nkpt_shape: [2, 3]\nflip_idx: [0, 0]\n",
                {"train/a": ""},
            )
        )
    with pytest.raises(DatasetError, match="kpt_shape"):
        open_reader(
            dataset(tmp_path / "b", "train: images/train\nnames: [p]\nkpt_shape: [2, 4]\n", {"train/a": ""})
        )


def test_exif_rotated_photos_are_turned_like_ultralytics_does(tmp_path):
    root = tmp_path / "d"
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    image = Image.new("RGB", (30, 10), (200, 10, 10))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    image.save(root / "images" / "train" / "a.jpg", exif=exif)
    (root / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 1 1\n")
    (root / "data.yaml").write_text("train: images/train\nnames: [x]\n")
    sample = open_reader(root).load("images/train/a.jpg")
    assert sample.image.shape[:2] == (30, 10)
    np.testing.assert_allclose(sample.instances.boxes[0], [0, 0, 10, 30])
