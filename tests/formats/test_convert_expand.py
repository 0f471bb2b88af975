"""``augcli expand`` end to end on every format, with and without ``--to``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conformance import conformance
from typer.testing import CliRunner

import augcli
from augcli.cli.app import app
from augcli.formats.registry import open_reader, open_writer

GEOMETRIC_RECIPE = {
    "version": 1,
    "seed": 5,
    "copies": 2,
    "keep_original": True,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"rotate": [-25, 25], "scale": [0.7, 1.1], "translate_percent": [-0.2, 0.2], "p": 0.9}},
        {"RandomBrightnessContrast": {"p": 0.5}},
    ],
}
CONVERT_RECIPE = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}
VOC1 = "datumaro/voc_dataset/voc_dataset1"
MASKS = "datumaro/common_semantic_segmentation_dataset/dataset"
KERAS_COCO = "keras_retinanet_testdata/coco/annotations/instances_val2017.json"
KERAS_VOC = "keras_retinanet_testdata/pascal"


@pytest.fixture(scope="module")
def yolo_source(tmp_path_factory) -> Path:
    """A YOLO segment dataset generated from a real COCO slice."""
    out = tmp_path_factory.mktemp("yolo_source") / "yolo"
    coco = open_reader(conformance(KERAS_COCO))
    writer = open_writer(coco, out, to="yolo")
    writer.finalize([writer.write_original(key) for key in coco.keys()])
    return out


def sources(yolo_source: Path) -> dict[str, Path]:
    return {
        "coco": conformance(KERAS_COCO),
        "voc": conformance(VOC1),
        "masks": conformance(MASKS),
        "yolo": yolo_source,
    }


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parent.name != ".augcli"
    }


def expected_outputs(report, copies: int = 2) -> int:
    """Originals everywhere plus ``copies`` per image of the augmented splits only."""
    assert any(s["augmented"] for s in report.splits.values())
    return sum(s["images_in"] * (1 + copies * s["augmented"]) for s in report.splits.values())


@pytest.mark.parametrize("fmt", ["voc", "masks", "yolo"])
def test_expand_writes_the_same_format_and_reads_back(fmt, yolo_source, tmp_path):
    source = sources(yolo_source)[fmt]
    report = augcli.expand(source, GEOMETRIC_RECIPE, tmp_path / "out", workers=1)
    assert report.skipped == []
    assert report.images_out == expected_outputs(report)
    again = open_reader(tmp_path / "out")
    assert again.format_name == fmt and again.problems == []
    assert len(again.keys()) == report.images_out
    for key in again.keys():
        again.load(key)  # every output decodes and agrees with its labels


FORMATS = ["coco", "voc", "masks", "yolo"]


@pytest.mark.parametrize("fmt, to", [(a, b) for a in FORMATS for b in FORMATS if a != b])
def test_expand_converts_every_format_to_every_other(fmt, to, yolo_source, tmp_path):
    source = sources(yolo_source)[fmt]
    report = augcli.expand(source, GEOMETRIC_RECIPE, tmp_path / "out", workers=1, to=to)
    assert report.skipped == []
    assert report.images_out == expected_outputs(report)
    # COCO gets one annotation file per split (VOC's train and test, YOLO's train...)
    files = sorted((tmp_path / "out" / "annotations").glob("*.json")) if to == "coco" else [tmp_path / "out"]
    readers = [open_reader(f) for f in files]
    assert all(r.format_name == to and r.problems == [] for r in readers)
    assert sum(len(r.keys()) for r in readers) == report.images_out


@pytest.mark.parametrize("fmt", ["voc", "yolo"])
def test_workers_one_and_two_write_identical_trees(fmt, yolo_source, tmp_path):
    source = sources(yolo_source)[fmt]
    one = augcli.expand(source, GEOMETRIC_RECIPE, tmp_path / "w1", workers=1)
    two = augcli.expand(source, GEOMETRIC_RECIPE, tmp_path / "w2", workers=2)
    assert one.images_out == two.images_out
    assert digest(tmp_path / "w1") == digest(tmp_path / "w2")


def test_workers_one_and_two_agree_when_converting(tmp_path):
    one = augcli.expand(conformance(VOC1), GEOMETRIC_RECIPE, tmp_path / "w1", workers=1, to="coco")
    two = augcli.expand(conformance(VOC1), GEOMETRIC_RECIPE, tmp_path / "w2", workers=2, to="coco")
    assert one.images_out == two.images_out
    assert digest(tmp_path / "w1") == digest(tmp_path / "w2")


def test_empty_pipeline_converts_on_the_command_line(tmp_path):
    recipe = tmp_path / "convert.yaml"
    recipe.write_text(json.dumps(CONVERT_RECIPE))
    result = CliRunner().invoke(
        app,
        [
            "expand",
            str(conformance(KERAS_VOC)),
            "--recipe",
            str(recipe),
            "--out",
            str(tmp_path / "out"),
            "--format",
            "voc",
            "--to",
            "yolo",
            "--json",
            "--quiet",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["images_out"] == summary["images_in"] == 1
    assert summary["annotations_out"] == summary["annotations_in"] == 2
    assert any("part boxes are dropped" in w for w in summary["warnings"])
    labels = (tmp_path / "out" / "labels" / "train" / "000001.txt").read_text().splitlines()
    assert [line.split()[0] for line in labels] == ["11", "14"]  # dog, person (no background)


def test_validate_lists_what_a_conversion_would_drop(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(json.dumps(CONVERT_RECIPE))
    result = CliRunner().invoke(
        app, ["validate", str(recipe), "--dataset", str(conformance(VOC1)), "--to", "coco"]
    )
    assert result.exit_code == 0, result.output
    assert "semantic maps are dropped" in result.output
    bad = CliRunner().invoke(
        app, ["validate", str(recipe), "--dataset", str(conformance(VOC1)), "--to", "tfrecord"]
    )
    assert bad.exit_code == 2 and "unknown output format" in bad.output


def test_ambiguous_source_exits_with_the_dataset_code(tmp_path):
    root = tmp_path / "both"
    root.mkdir()
    (root / "x.json").write_text(json.dumps({"images": [], "annotations": []}))
    (root / "a.xml").write_text("<annotation/>")
    recipe = tmp_path / "r.yaml"
    recipe.write_text(json.dumps(CONVERT_RECIPE))
    result = CliRunner().invoke(
        app, ["expand", str(root), "--recipe", str(recipe), "--out", str(tmp_path / "out"), "--quiet"]
    )
    assert result.exit_code == 4 and "--format coco or --format voc" in result.output
