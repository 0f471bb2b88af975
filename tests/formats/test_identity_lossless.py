"""The identity run is lossless whatever is missing (issue 9, item 7; docs/guarantees.md)."""

from __future__ import annotations

import json
import shutil

import pytest
from conformance import conformance

import augcli

IDENTITY = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}


@pytest.fixture
def official_slice(tmp_path):
    root = tmp_path / "coco"
    shutil.copytree(conformance("keras_retinanet_testdata/coco"), root)
    return root


def _damaged_slice(official_slice):
    """The val2017 slice with a missing image, an invalid annotation and an orphan one."""
    ann = official_slice / "annotations" / "instances_val2017.json"
    data = json.loads(ann.read_text())
    # a second val2017 image whose file did not come with the slice: it is missing
    missing = dict(data["images"][0], id=139, file_name="000000000139.jpg")
    data["images"].append(missing)
    data["annotations"] += [dict(a, id=a["id"] + 10**9, image_id=139) for a in data["annotations"][:3]]
    data["annotations"][0]["segmentation"] = [[1, 2, 3]]  # an invalid annotation elsewhere
    data["annotations"].append(dict(data["annotations"][0], id=999999, image_id=424242))  # unknown image
    ann.write_text(json.dumps(data))
    return ann, data


def test_keep_invalid_identity_keeps_the_missing_image_and_every_invalid_annotation(official_slice, tmp_path):
    ann, data = _damaged_slice(official_slice)
    report = augcli.expand(ann, IDENTITY, tmp_path / "out", workers=1, keep_invalid=True)
    assert len(report.skipped) == 3  # each problem is reported...
    written = json.loads((tmp_path / "out" / "annotations" / ann.name).read_text())
    assert written == data  # ...and nothing is lost


def test_invalid_entries_are_left_out_by_default_and_kept_raw_in_the_report(official_slice, tmp_path):
    ann, data = _damaged_slice(official_slice)
    augcli.expand(ann, IDENTITY, tmp_path / "out", workers=1)
    written = json.loads((tmp_path / "out" / "annotations" / ann.name).read_text())
    written_ids = {a["id"] for a in written["annotations"]}
    assert data["annotations"][0]["id"] not in written_ids  # the invalid polygon
    assert 999999 not in written_ids  # the orphan
    assert 139 not in {i["id"] for i in written["images"]}  # the missing image...
    assert not any(a["image_id"] == 139 for a in written["annotations"])  # ...with its annotations
    valid = [a for a in data["annotations"][1:] if a["image_id"] != 139 and a["id"] != 999999]
    assert written["annotations"] == valid  # every valid annotation as read, in input order
    rows = [
        json.loads(line) for line in (tmp_path / "out" / ".augcli" / "report.jsonl").read_text().splitlines()
    ]
    raws = [row.get("raw") for row in rows]
    assert data["annotations"][0] in raws and data["annotations"][-1] in raws  # nothing is lost
    assert missing_entry(data) in raws


def missing_entry(data):
    return next(i for i in data["images"] if i["id"] == 139)


def test_identity_keeps_unpaired_images_and_masks(tmp_path):
    from replicas import loveda

    source = loveda(tmp_path / "loveda")
    (source / "Train" / "Urban" / "masks_png" / "1366.png").unlink()  # an image without its mask
    report = augcli.expand(source, IDENTITY, tmp_path / "out", workers=1)
    assert len(report.skipped) == 1
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png"))
    assert written == sorted(p.relative_to(source).as_posix() for p in source.rglob("*.png"))
