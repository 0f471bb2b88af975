"""The identity run is lossless whatever is missing (issue 9, item 7; docs/guarantees.md)."""

from __future__ import annotations

import json
import shutil

import pytest
from format_helpers import CONFORMANCE

import augcli

KERAS = CONFORMANCE / "keras_retinanet_testdata" / "coco"
IDENTITY = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}


@pytest.fixture
def official_slice(tmp_path):
    if not KERAS.is_dir():
        pytest.skip(f"conformance data not found: {KERAS}")
    root = tmp_path / "coco"
    shutil.copytree(KERAS, root)
    return root


def test_identity_keeps_the_entry_of_a_missing_image_and_every_invalid_annotation(official_slice, tmp_path):
    ann = official_slice / "annotations" / "instances_val2017.json"
    data = json.loads(ann.read_text())
    # the train slice's image, listed here too, went missing
    train = json.loads((official_slice / "annotations" / "instances_train2017.json").read_text())
    data["images"].append(train["images"][0])
    data["annotations"] += [dict(a, id=a["id"] + 10**9) for a in train["annotations"]]
    next(official_slice.rglob(train["images"][0]["file_name"])).unlink()
    data["annotations"][0]["segmentation"] = [[1, 2, 3]]  # an invalid annotation elsewhere
    data["annotations"].append(dict(data["annotations"][0], id=999999, image_id=424242))  # unknown image
    ann.write_text(json.dumps(data))
    report = augcli.expand(ann, IDENTITY, tmp_path / "out", workers=1)
    assert len(report.skipped) == 3  # each problem is reported...
    written = json.loads((tmp_path / "out" / "annotations" / ann.name).read_text())
    assert written == data  # ...and nothing is lost


def test_identity_keeps_unpaired_images_and_masks(tmp_path):
    from replicas import loveda

    source = loveda(tmp_path / "loveda")
    (source / "Train" / "Urban" / "masks_png" / "1366.png").unlink()  # an image without its mask
    report = augcli.expand(source, IDENTITY, tmp_path / "out", workers=1)
    assert len(report.skipped) == 1
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png"))
    assert written == sorted(p.relative_to(source).as_posix() for p in source.rglob("*.png"))
