"""Split layouts of every format, and conversions that keep split names."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from conformance import conformance
from PIL import Image

import augcli
from augcli.core.errors import DatasetError
from augcli.formats.registry import open_reader
from augcli.formats.splits import split_names_of, split_of

VOC_SETS = "datumaro/voc_dataset"
CHESS = "roboflow_chess"

RECIPE = {
    "version": 1,
    "seed": 1,
    "copies": 2,
    "pipeline": [{"HorizontalFlip": {"p": 0.5}}, {"Affine": {"rotate": [-10, 10], "p": 0.8}}],
}
CONVERT = {"version": 1, "copies": 0, "pipeline": []}


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (20, 30, 3), dtype=np.uint8)


@pytest.fixture
def yolo_splits(tmp_path: Path) -> Path:
    """A YOLO detect set with train, val and test folders (one box per image)."""
    root = tmp_path / "yolo"
    for seed, (split, count) in enumerate((("train", 3), ("val", 2), ("test", 2))):
        for i in range(count):
            (root / "images" / split).mkdir(parents=True, exist_ok=True)
            (root / "labels" / split).mkdir(parents=True, exist_ok=True)
            Image.fromarray(noise(10 * seed + i)).save(root / "images" / split / f"{split}{i}.png")
            (root / "labels" / split / f"{split}{i}.txt").write_text("0 0.5 0.5 0.4 0.3\n")
    data = {"train": "images/train", "val": "images/val", "test": "images/test", "names": ["thing"]}
    (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def test_yolo_val_and_test_come_out_byte_identical(yolo_splits, tmp_path):
    out = tmp_path / "out"
    report = augcli.expand(yolo_splits, RECIPE, out, workers=1)
    assert {n: (s["augmented"], s["images_out"]) for n, s in report.splits.items()} == {
        "train": (True, 9),
        "val": (False, 2),
        "test": (False, 2),
    }
    for folder in ("images/val", "labels/val", "images/test", "labels/test"):
        assert files(out / folder) == files(yolo_splits / folder)
    assert len(list((out / "images" / "train").iterdir())) == 9
    assert len(list((out / "labels" / "train").iterdir())) == 9
    assert yaml.safe_load((out / "data.yaml").read_text()) == yaml.safe_load(
        (yolo_splits / "data.yaml").read_text()
    )


def test_yolo_split_missing_on_disk_is_a_dataset_error(yolo_splits, tmp_path):
    shutil.rmtree(yolo_splits / "images" / "test")
    with pytest.raises(DatasetError, match="split test: images/test not found"):
        augcli.expand(yolo_splits, RECIPE, tmp_path / "out", workers=1)


def test_yolo_empty_split_and_val_equal_to_train_are_warned(yolo_splits, tmp_path):
    for path in (yolo_splits / "images" / "test").iterdir():
        path.unlink()
    data = yaml.safe_load((yolo_splits / "data.yaml").read_text())
    (yolo_splits / "data.yaml").write_text(yaml.safe_dump(dict(data, val="images/train")))
    report = augcli.expand(yolo_splits, RECIPE, tmp_path / "out", workers=1)
    assert "split test has no images" in report.warnings
    assert any("leakage" in w and "train0.png" in w for w in report.warnings)
    assert any("val is its train" in w for w in report.warnings)


def roboflow(root: Path) -> Path:
    for seed, (split, count) in enumerate((("train", 2), ("valid", 1), ("test", 1))):
        (root / split).mkdir(parents=True)
        images, anns = [], []
        for i in range(count):
            name = f"{split}{i}.jpg"
            Image.fromarray(noise(seed * 10 + i)).save(root / split / name)
            images.append({"id": i + 1, "file_name": name, "width": 30, "height": 20})
            anns.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [3, 3, 9, 7], "area": 63})
        data = {"categories": [{"id": 1, "name": "piece"}], "images": images, "annotations": anns}
        (root / split / "_annotations.coco.json").write_text(json.dumps(data))
    return root


def test_roboflow_export_converted_to_yolo_keeps_its_splits(tmp_path):
    source = roboflow(tmp_path / "export")
    out = tmp_path / "yolo"
    report = augcli.expand(source, RECIPE, out, workers=1, to="yolo")
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert {k: data[k] for k in ("train", "val", "test")} == {
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
    }
    assert sorted(p.name for p in (out / "images" / "val").iterdir()) == ["valid0.jpg"]
    assert len(list((out / "images" / "train").iterdir())) == 6
    assert not [w for w in report.warnings if "data.yaml" in w]
    back = open_reader(out)
    assert split_names_of(back) == ["train", "val", "test"]


def test_one_validation_file_never_becomes_train(tmp_path):
    source = roboflow(tmp_path / "export")
    report = augcli.expand(source / "valid", CONVERT, tmp_path / "yolo", workers=1, to="yolo")
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert data["val"] == "images/val" and "train" not in data
    assert any("no training split" in w for w in report.warnings)
    assert list(report.splits) == ["val"]


@pytest.mark.parametrize("name, splits", [("voc_dataset1", ["train", "test"]), ("voc_dataset3", ["train"])])
def test_datumaro_voc_image_sets_give_the_splits(name, splits, tmp_path):
    source = conformance(f"{VOC_SETS}/{name}")
    reader = open_reader(source)
    assert split_names_of(reader) == splits
    out = tmp_path / "out"
    report = augcli.expand(source, RECIPE, out, workers=1)
    assert [n for n, s in report.splits.items() if s["augmented"]] == ["train"]
    again = open_reader(out)
    unchanged = [k for k in reader.keys() if split_of(reader, k) != "train"]
    for key in unchanged:  # copied as it was: image, and XML when there is one
        xml = Path("Annotations") / f"{key}.xml"
        assert (out / xml).is_file() == (source / xml).is_file()
        if (source / xml).is_file():
            assert (out / xml).read_bytes() == (source / xml).read_bytes()
        image = reader.source_path(key).relative_to(source)
        assert (out / image).read_bytes() == (source / image).read_bytes()
    assert len(unchanged) == len(reader.keys()) - report.splits["train"]["images_in"]
    trains = [k for k in again.keys() if split_of(again, k) == "train"]
    assert len(trains) == 3 * report.splits["train"]["images_in"]


def test_datumaro_voc_set_without_images(tmp_path):
    report = augcli.expand(
        conformance(f"{VOC_SETS}/voc_dataset2"), RECIPE, tmp_path / "out", workers=1, dry_run=True
    )
    assert report.images_in == 0 and report.splits == {}


@pytest.mark.slow
def test_roboflow_chess_test_split_alone(tmp_path):
    chess = conformance(CHESS)
    report = augcli.expand(chess, dict(RECIPE, copies=1), tmp_path / "out", workers=2)
    assert list(report.splits) == ["test"] and report.splits["test"]["augmented"]
    assert any("no split named train" in w and "(test)" in w for w in report.warnings)
    assert report.images_out == 2 * report.images_in
    out = json.loads((tmp_path / "out" / "test" / "_annotations.coco.json").read_text())
    assert len(out["images"]) == report.images_out
    converted = augcli.expand(chess / "test", CONVERT, tmp_path / "yolo", workers=2, to="yolo")
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert data["test"] == "images/test" and "val" not in data and "train" not in data
    assert converted.images_out == report.images_in


def test_yolo_list_file_of_an_unchanged_split_is_copied(yolo_splits, tmp_path):
    listed = "".join(f"images/val/val{i}.png\n" for i in range(2))  # no "./": kept as written
    (yolo_splits / "val.txt").write_text(listed)
    data = yaml.safe_load((yolo_splits / "data.yaml").read_text())
    (yolo_splits / "data.yaml").write_text(yaml.safe_dump(dict(data, val="val.txt", train="train.txt")))
    (yolo_splits / "train.txt").write_text("".join(f"images/train/train{i}.png\n" for i in range(3)))
    augcli.expand(yolo_splits, RECIPE, tmp_path / "out", workers=1)
    assert (tmp_path / "out" / "val.txt").read_text() == listed
    train = (tmp_path / "out" / "train.txt").read_text().splitlines()
    assert len(train) == 9 and train[0] == "./images/train/train0.png"


def voc_devkit(root: Path) -> Path:
    """A VOC devkit: a in train, b in val (one box each)."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for seed, item in enumerate("ab"):
        Image.fromarray(noise(seed)).save(root / "JPEGImages" / f"{item}.jpg")
        (root / "Annotations" / f"{item}.xml").write_text(
            f"<annotation><filename>{item}.jpg</filename><size><width>30</width><height>20</height>"
            "<depth>3</depth></size><object><name>dog</name><bndbox><xmin>3</xmin><ymin>3</ymin>"
            "<xmax>12</xmax><ymax>10</ymax></bndbox></object></annotation>"
        )
    (root / "ImageSets/Main/train.txt").write_text("# written by a tool\na\n")
    (root / "ImageSets/Main/val.txt").write_text("b\nghost\n")
    return root


def test_voc_split_listing_an_item_that_does_not_exist_is_reported(tmp_path):
    source = voc_devkit(tmp_path / "voc")
    report = augcli.expand(source, RECIPE, tmp_path / "out", workers=1)
    assert list(report.splits) == ["train", "val"]  # the comment is no item
    assert [s["image"] for s in report.skipped] == ["ghost"]
    assert "ImageSets/Main/val.txt" in report.skipped[0]["message"]
    assert (tmp_path / "out" / "Annotations" / "b.xml").read_bytes() == (
        source / "Annotations" / "b.xml"
    ).read_bytes()
    assert len(list((tmp_path / "out" / "JPEGImages").iterdir())) == 3 + 1
