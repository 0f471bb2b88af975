"""VOC layouts beyond the devkit (issue 9, item 4): an ``annotations/`` + ``images/``
repository, labelme's segmentation-only export, and augcli's own output from COCO
file names with folders."""

from __future__ import annotations

import json

import numpy as np
import replicas
from PIL import Image

import augcli
from augcli.formats.registry import open_reader
from augcli.formats.voc.reader import VocReader
from augcli.geometry import rle

FLIP = {"version": 1, "seed": 2, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}
CONVERT = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}


def test_annotations_beside_images_repository_reads_and_augments(tmp_path):
    source = replicas.voc_repository(tmp_path / "masks_dataset")
    reader = open_reader(source)
    assert isinstance(reader, VocReader) and reader.problems == []
    assert reader.keys() == ["maksssksksss0", "maksssksksss1"]
    report = augcli.expand(source, FLIP, tmp_path / "out", workers=1)
    assert report.images_out == 4 and report.skipped == []
    again = open_reader(tmp_path / "out")
    for key in reader.keys():
        box = reader.load(key).instances.boxes[0]
        flipped = again.load(f"{key}__aug1").instances.boxes[0]
        np.testing.assert_allclose(flipped, [48 - box[2], box[1], 48 - box[0], box[3]])
    assert (tmp_path / "out" / "annotations" / "maksssksksss0__aug1.xml").is_file()


def test_labelme_segmentation_export_reads_as_voc_with_instance_masks(tmp_path):
    source = replicas.labelme_instances(tmp_path / "data_dataset_voc")
    reader = open_reader(source)
    assert isinstance(reader, VocReader) and reader.problems == []
    assert reader.categories.names() == {0: "_background_", 1: "cat", 2: "dog"}
    objects = np.asarray(Image.open(source / "SegmentationObject" / "2011_000003.png"))
    sample = reader.load("2011_000003")
    assert sample.instances.labels.tolist() == [1, 2, 1]
    for row, value in enumerate((1, 2, 3)):
        np.testing.assert_array_equal(rle.decode(sample.instances.masks[row]), objects == value)
    report = augcli.expand(source, FLIP, tmp_path / "out", workers=1)
    assert report.skipped == []
    copy = open_reader(tmp_path / "out").load("2011_000003__aug1")
    for row in range(3):
        np.testing.assert_array_equal(
            rle.decode(copy.instances.masks[row]), rle.decode(sample.instances.masks[row])[:, ::-1]
        )
    augcli.expand(source, CONVERT, tmp_path / "coco", to="coco", workers=1)
    data = json.loads(next((tmp_path / "coco").rglob("*.json")).read_text())
    names = {c["id"]: c["name"] for c in data["categories"]}
    assert sorted(names[a["category_id"]] for a in data["annotations"]) == ["cat"] * 4 + ["dog"] * 2


def test_augcli_voc_output_from_coco_folders_is_detected(make_coco, tmp_path):
    images = {f"site_{k}/cam0/{k:03d}.png": np.full((20, 30, 3), 40 * k, np.uint8) for k in range(3)}
    coco = {
        "images": [
            {"id": k + 1, "file_name": name, "width": 30, "height": 20} for k, name in enumerate(images)
        ],
        "annotations": [
            {
                "id": k + 1,
                "image_id": k + 1,
                "category_id": 1,
                "bbox": [2, 2, 10, 8],
                "area": 80,
                "iscrowd": 0,
            }
            for k in range(3)
        ],
        "categories": [{"id": 1, "name": "cone"}],
    }
    source = make_coco(coco, images)
    augcli.expand(source, CONVERT, tmp_path / "voc", to="voc", workers=1)
    assert any((tmp_path / "voc" / "Annotations").glob("*/*.xml")) or any(
        (tmp_path / "voc" / "Annotations").glob("*/*/*.xml")
    )
    reader = open_reader(tmp_path / "voc")
    assert isinstance(reader, VocReader) and len(reader.keys()) == 3 and reader.problems == []
