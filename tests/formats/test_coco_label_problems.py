"""COCO label problems: a bad annotation is reported with its id and image and left out, never fatal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from coco_painted import H, W, painted_dataset, write_run
from pycocotools import mask as mask_utils

from augcli.core.errors import AnnotationError, ImageReadError
from augcli.formats.base import WriteOptions
from augcli.formats.coco import CocoReader, CocoWriter

BAD_ANNOTATIONS = {
    "runs do not cover the mask": {"segmentation": {"size": [H, W], "counts": [5, 10]}},
    "compressed runs for another size": {
        "segmentation": {
            "size": [H, W],
            "counts": mask_utils.encode(np.asfortranarray(np.ones((10, 10), np.uint8)))["counts"].decode(
                "ascii"
            ),
        }
    },
    "compressed runs garbled": {"segmentation": {"size": [H, W], "counts": "\x7f\x7f"}},
    "RLE size differs from image": {"segmentation": {"size": [H + 1, W], "counts": [(H + 1) * W]}},
    "odd polygon": {"segmentation": [[1, 2, 3, 4, 5, 6, 7]]},
    "flat polygon": {"segmentation": [1, 2, 3, 4, 5, 6]},
    "unknown category": {"category_id": 99},
    "negative box": {"bbox": [1, 1, -3, 2]},
    "keypoints not triples": {"keypoints": [1, 2, 2, 3]},
}


@pytest.mark.parametrize("problem", sorted(BAD_ANNOTATIONS))
def test_bad_annotation_is_reported_and_skipped(problem: str, make_coco, tmp_path: Path) -> None:
    bad = {"id": 555, "image_id": 10, "category_id": 1, "iscrowd": 0, "bbox": [1, 1, 3, 3], "area": 9}
    bad.update(BAD_ANNOTATIONS[problem])
    path = painted_dataset(make_coco)
    coco = json.loads(path.read_text())
    coco["annotations"].insert(2, bad)
    path.write_text(json.dumps(coco))

    reader = CocoReader(path)
    assert len(reader.problems) == 1
    error = reader.problems[0]
    assert isinstance(error, AnnotationError) and error.annotation == 555 and error.image == 10
    assert 555 not in reader.load("scene.png").instances.extra["coco_ann_id"]
    assert reader.problems[0].to_record()["raw"] == bad  # reported with the annotation as read
    _, written = write_run(reader, tmp_path / "out")
    valid = [a for a in coco["annotations"] if a["id"] != 555]
    assert written["annotations"][:5] == valid  # the original's valid annotations as they were
    assert len(written["annotations"]) == 5 + 5
    kept = CocoWriter(reader, tmp_path / "kept", WriteOptions(keep_invalid=True))
    kept.finalize([kept.write_original(k) for k in reader.keys()])
    assert json.loads(kept.annotation_path.read_bytes())["annotations"] == coco["annotations"]


def test_orphan_annotation_is_reported(make_coco) -> None:
    path = painted_dataset(make_coco)
    coco = json.loads(path.read_text())
    coco["annotations"].append({"id": 9, "image_id": 12345, "category_id": 1, "bbox": [0, 0, 1, 1]})
    path.write_text(json.dumps(coco))
    reader = CocoReader(path)
    assert [type(p) for p in reader.problems] == [AnnotationError]
    assert "12345" in str(reader.problems[0])


def test_missing_box_is_derived_from_geometry(make_coco) -> None:
    path = painted_dataset(make_coco)
    coco = json.loads(path.read_text())
    for ann in coco["annotations"][:3]:
        del ann["bbox"]
    path.write_text(json.dumps(coco))
    boxes = CocoReader(path).load("scene.png").instances.boxes
    assert np.allclose(boxes[:3], [[2, 2, 28, 10], [30, 15, 36, 28], [3, 18, 9, 26]])


def test_dataset_without_keypoints_has_no_keypoint_column(make_coco) -> None:
    path = painted_dataset(make_coco)
    coco = json.loads(path.read_text())
    coco["annotations"] = coco["annotations"][:3]
    coco["categories"] = coco["categories"][:2]
    path.write_text(json.dumps(coco))
    reader = CocoReader(path)
    sample = reader.load("scene.png")
    assert sample.instances.keypoints is None and sample.meta["flip_perm"] == {}
    assert "keypoints" not in reader.targets()


def test_image_size_disagreeing_with_labels_is_an_item_error(make_coco) -> None:
    path = painted_dataset(make_coco)
    coco = json.loads(path.read_text())
    coco["images"][0]["width"] = W + 5
    coco["annotations"] = [coco["annotations"][0]]
    path.write_text(json.dumps(coco))
    reader = CocoReader(path)
    with pytest.raises(ImageReadError) as caught:
        reader.load("scene.png")
    assert caught.value.image == 10 and "45x30" in str(caught.value)
