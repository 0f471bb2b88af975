"""Format auto-detection: every conformance layout is recognised, ambiguity is an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conformance import conformance
from PIL import Image

from augcli.core.errors import DatasetError, UsageError
from augcli.formats.registry import detect_format, open_reader, open_writer

KNOWN = [
    ("keras_retinanet_testdata/coco/annotations/instances_train2017.json", "coco"),
    ("keras_retinanet_testdata/coco", "coco"),
    ("roboflow_chess", "coco"),
    ("datumaro/coco_dataset/coco_instances", "coco"),
    ("keras_retinanet_testdata/pascal", "voc"),
    ("review_od_metrics/data/database/gts/pascalvoc_format", "voc"),
    ("datumaro/voc_dataset/voc_dataset1", "voc"),
    ("datumaro/roboflow_dataset/voc", "voc"),
    ("datumaro/common_semantic_segmentation_dataset/dataset", "masks"),
    ("datumaro/common_semantic_segmentation_dataset/non_standard_dataset", "masks"),
]


@pytest.mark.parametrize("relpath, expected", KNOWN)
def test_conformance_layouts_are_recognised(relpath, expected):
    assert detect_format(conformance(relpath)) == expected


def _yolo(root: Path, with_yaml: bool) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", (8, 6)).save(root / "images" / "train" / "a.jpg")
    (root / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.25 0.5\n")
    if with_yaml:
        (root / "data.yaml").write_text("train: images/train\nval: images/train\nnames: [thing]\n")
    return root


@pytest.mark.parametrize("with_yaml", [True, False])
def test_yolo_layouts_are_recognised(tmp_path, with_yaml):
    root = _yolo(tmp_path / "y", with_yaml)
    assert detect_format(root) == "yolo"
    reader = open_reader(root)
    assert reader.keys() == ["images/train/a.jpg"]
    if with_yaml:
        assert detect_format(root / "data.yaml") == "yolo"


def test_ambiguous_source_names_the_evidence_and_asks_for_format(tmp_path):
    root = tmp_path / "both"
    root.mkdir()
    (root / "x.json").write_text(json.dumps({"images": [], "annotations": []}))
    (root / "a.xml").write_text("<annotation><filename>a.jpg</filename></annotation>")
    with pytest.raises(DatasetError) as caught:
        detect_format(root)
    message = str(caught.value)
    assert "coco (x.json)" in message and "voc (*.xml files)" in message
    assert "--format coco or --format voc" in message
    assert open_reader(root, fmt="coco").format_name == "coco"  # --format settles it


def test_unrecognised_folder_is_a_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="cannot tell the dataset format"):
        detect_format(tmp_path)


def test_unknown_format_names_are_usage_errors(tmp_path):
    root = _yolo(tmp_path / "y", True)
    with pytest.raises(UsageError, match="unknown dataset format"):
        open_reader(root, fmt="pascal")
    with pytest.raises(UsageError, match="unknown output format"):
        open_writer(open_reader(root), tmp_path / "out", to="tfrecord")


def test_dataset_meta_json_alone_does_not_look_like_coco(tmp_path):
    root = tmp_path / "m"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "dataset_meta.json").write_text("{}")
    Image.new("L", (2, 2)).save(root / "masks" / "a.png")
    assert detect_format(root) == "masks"


def test_voc_devkit_with_segmentation_is_not_a_mask_folder(tmp_path):
    root = tmp_path / "v"
    for folder in ("Annotations", "JPEGImages", "SegmentationClass"):
        (root / folder).mkdir(parents=True)
    (root / "Annotations" / "a.xml").write_text("<annotation/>")
    Image.new("P", (2, 2)).save(root / "SegmentationClass" / "a.png")
    assert detect_format(root) == "voc"
