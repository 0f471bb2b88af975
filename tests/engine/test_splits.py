"""Datasets are trees of splits: one run over every split, only the chosen ones augmented."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import augcli
from augcli.cli.app import app
from augcli.core.errors import UsageError
from augcli.engine.plan import augmented_splits, plan_tasks
from augcli.engine.seeds import task_rng
from augcli.formats.registry import open_reader

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO.parent / "shared" / "conformance"
KERAS_COCO = CONFORMANCE / "keras_retinanet_testdata" / "coco"

RECIPE = {
    "version": 1,
    "seed": 3,
    "copies": 2,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"rotate": [-20, 20], "p": 0.9}},
        {"RandomBrightnessContrast": {"p": 0.5}},
    ],
}


def needs_conformance(path: Path):
    return pytest.mark.skipif(not path.exists(), reason=f"conformance data not present: {path}")


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".augcli" not in p.relative_to(root).parts
    }


def noise(seed: int, size=(24, 16)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)


def coco_split(folder: Path, json_path: Path, names: list[str], seed: int) -> None:
    """Images ``names`` in ``folder`` and their COCO file at ``json_path`` (one box each)."""
    folder.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for number, name in enumerate(names, 1):
        Image.fromarray(noise(seed + number)).save(folder / name)
        images.append({"id": number, "file_name": name, "width": 24, "height": 16})
        annotations.append(
            {
                "id": number,
                "image_id": number,
                "category_id": 1,
                "bbox": [2, 2, 8, 6],
                "area": 48,
                "iscrowd": 0,
            }
        )
    json_path.parent.mkdir(parents=True, exist_ok=True)
    data = {"categories": [{"id": 1, "name": "thing"}], "images": images, "annotations": annotations}
    json_path.write_text(json.dumps(data, indent=2))


@pytest.fixture
def roboflow_export(tmp_path: Path) -> Path:
    """A Roboflow-style COCO export: train/ valid/ test/, each with _annotations.coco.json."""
    root = tmp_path / "export"
    for seed, (split, count) in enumerate((("train", 3), ("valid", 2), ("test", 2))):
        names = [f"{split}_{i}.png" for i in range(count)]
        coco_split(root / split, root / split / "_annotations.coco.json", names, seed * 10)
    return root


def test_roboflow_export_expands_train_and_copies_valid_and_test(roboflow_export, tmp_path):
    out = tmp_path / "out"
    report = augcli.expand(roboflow_export, RECIPE, out, workers=1)
    assert report.splits == {
        "train": {"augmented": True, "images_in": 3, "images_out": 9, "annotations_out": 9},
        "val": {"augmented": False, "images_in": 2, "images_out": 2, "annotations_out": 2},
        "test": {"augmented": False, "images_in": 2, "images_out": 2, "annotations_out": 2},
    }
    for split in ("valid", "test"):  # unchanged splits: the same files, byte for byte
        assert digest(out / split) == digest(roboflow_export / split)
    train = json.loads((out / "train" / "_annotations.coco.json").read_text())
    assert len(train["images"]) == 9 and len(train["annotations"]) == 9
    assert {p.name for p in (out / "train").glob("*.png")} == {e["file_name"] for e in train["images"]}
    again = open_reader(out)
    assert again.split_names() == ["train", "val", "test"] and len(again.keys()) == 13


def test_splits_option_chooses_what_is_augmented(roboflow_export, tmp_path):
    report = augcli.expand(roboflow_export, RECIPE, tmp_path / "out", workers=1, splits="valid,test")
    assert {n: s["augmented"] for n, s in report.splits.items()} == {
        "train": False,
        "val": True,
        "test": True,
    }
    assert digest(tmp_path / "out" / "train") == digest(roboflow_export / "train")
    recipe = dict(RECIPE, splits=["test"])
    report = augcli.expand(roboflow_export, recipe, tmp_path / "out2", workers=1)
    assert [n for n, s in report.splits.items() if s["augmented"]] == ["test"]


def test_splits_naming_a_missing_split_is_a_usage_error(roboflow_export, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(json.dumps(RECIPE))
    result = CliRunner().invoke(
        app,
        ["expand", str(roboflow_export), "-r", str(recipe), "-o", str(tmp_path / "o"), "--splits", "dev"],
    )
    assert result.exit_code == 2
    assert "dev" in result.stderr and "train, val, test" in result.stderr
    assert not (tmp_path / "o").exists()


def test_without_a_train_split_every_split_is_augmented_with_a_warning(roboflow_export, tmp_path):
    shutil.rmtree(roboflow_export / "train")
    report = augcli.expand(roboflow_export, RECIPE, tmp_path / "out", workers=1)
    assert all(s["augmented"] for s in report.splits.values())
    assert any("no split named train" in w and "val, test" in w for w in report.warnings)


def test_an_image_in_two_splits_is_reported_as_leakage(tmp_path):
    root = tmp_path / "data"
    coco_split(root / "images", root / "annotations" / "instances_train.json", ["a.png", "b.png"], 0)
    coco_split(root / "images", root / "annotations" / "instances_val.json", ["a.png"], 0)
    report = augcli.expand(root, RECIPE, tmp_path / "out", workers=1, splits="train,val")
    leaks = [w for w in report.warnings if "leakage" in w]
    assert len(leaks) == 1 and "a.png" in leaks[0] and "b.png" not in leaks[0]
    # both splits augmented into one images folder: no copy lands on another
    entries = []
    for split in ("train", "val"):
        data = json.loads((tmp_path / "out" / "annotations" / f"instances_{split}.json").read_text())
        entries += [e["file_name"] for e in data["images"]]
    copies = [name for name in entries if "__aug" in name]
    assert len(copies) == 3 * 2 and len(set(copies)) == len(copies)
    assert set(entries) == {p.name for p in (tmp_path / "out" / "images").iterdir()}


@needs_conformance(KERAS_COCO)
def test_keras_coco_train2017_and_val2017_in_one_run(tmp_path):
    one = augcli.expand(KERAS_COCO, RECIPE, tmp_path / "w1", workers=1)
    augcli.expand(KERAS_COCO, RECIPE, tmp_path / "w2", workers=2)
    assert digest(tmp_path / "w1") == digest(tmp_path / "w2")
    assert {n: s["augmented"] for n, s in one.splits.items()} == {"train2017": True, "val2017": False}
    out = tmp_path / "w1"
    for rel in ("annotations/instances_val2017.json", "images/val2017/000000397133.jpg"):
        assert (out / rel).read_bytes() == (KERAS_COCO / rel).read_bytes()
    train = json.loads((out / "annotations/instances_train2017.json").read_text())
    source = json.loads((KERAS_COCO / "annotations/instances_train2017.json").read_text())
    assert len(train["images"]) == 3 * len(source["images"])
    assert train["categories"] == source["categories"]


def test_plan_gives_unaugmented_splits_their_originals_only():
    items = [("train", "a"), ("val", "b"), ("train", "c")]
    tasks = plan_tasks(items, 2, keep_original=False, augmented=["train"])
    assert [(t.split, t.key, t.copies) for t in tasks] == [
        ("train", "a", (1, 2)),
        ("val", "b", (0,)),
        ("train", "c", (1, 2)),
    ]
    assert [t.index for t in tasks] == [0, 1, 2]
    per_image = plan_tasks(items, lambda split, key: 1 if key == "a" else 3, True, ["train"])
    assert [t.copies for t in per_image] == [(0, 1), (0,), (0, 1, 2, 3)]


def test_default_split_choice():
    assert augmented_splits(["train", "val"], None).augmented == ("train",)
    assert augmented_splits(["train2017", "val2017"], None).augmented == ("train2017",)
    assert augmented_splits(["default"], None).warning is None
    with pytest.raises(UsageError, match="its splits: train, val"):
        augmented_splits(["train", "val"], ["test"])


def test_the_split_is_part_of_every_output_seed():
    a = task_rng(0, "train", "x.jpg", 1).random(4)
    assert np.array_equal(a, task_rng(0, "train", "x.jpg", 1).random(4))
    assert not np.array_equal(a, task_rng(0, "val", "x.jpg", 1).random(4))


def test_stats_and_labels_of_a_split_tree(roboflow_export):
    from augcli.engine.stats import dataset_stats

    reader = open_reader(roboflow_export)
    stats = dataset_stats(reader).to_dict()["splits"]
    assert {name: split["images"] for name, split in stats.items()} == {"train": 3, "val": 2, "test": 2}
    assert reader.labels("val/valid_0.png").boxes.tolist() == [[2.0, 2.0, 10.0, 8.0]]


def test_class_aware_copies_are_planned_for_augmented_splits_only(roboflow_export, tmp_path):
    block = {"mode": "per_class", "classes": {"thing": 2}, "default": 1}
    report = augcli.expand(roboflow_export, dict(RECIPE, copies=block), tmp_path / "out", workers=1)
    assert list(report.class_plan) == ["train"]
    assert {n: s["images_out"] for n, s in report.splits.items()} == {"train": 9, "val": 2, "test": 2}
