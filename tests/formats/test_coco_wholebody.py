"""COCO-WholeBody: extra boxes and keypoint sets move with the image; unknown
coordinate fields are dropped from augmented copies (or kept on request);
133-point files with confidence visibilities are read whole (issue 9, items 1-2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from replicas import coco_wholebody

import augcli

FLIP = {"version": 1, "seed": 1, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}


def _run(tmp_path, source, recipe=FLIP, **options):
    out = tmp_path / "out"
    # mmpose's layout: annotations/coco_wholebody_train_v1.0.json beside train2017/
    images = source.parent.parent / "train2017"
    report = augcli.expand(source, recipe, out, workers=1, images=images, **options)
    data = json.loads(next(out.rglob(source.name)).read_text())
    by_image = {}
    for ann in data["annotations"]:
        by_image.setdefault(ann["image_id"], []).append(ann)
    original, augmented = (by_image[i["id"]] for i in data["images"])
    return report, original, augmented


def _flip_box(box, width):
    x, y, w, h = box
    return [width - x - w, y, w, h]


def _flip_points(flat, width):
    points = np.asarray(flat, dtype=float).reshape(-1, 3)
    labelled = points[:, 2] > 0
    points[labelled, 0] = width - points[labelled, 0]
    return points


def test_flip_moves_and_swaps_every_wholebody_field(tmp_path):
    source = coco_wholebody(tmp_path / "wb")
    report, original, augmented = _run(tmp_path, source)
    src = json.loads(source.read_text())["annotations"]
    assert original == src  # originals keep every field as read
    first, second = augmented
    assert first["face_box"] == pytest.approx(_flip_box(src[0]["face_box"], 64))
    # the left hand of the mirrored person is the right hand of the source, mirrored
    assert first["lefthand_box"] == pytest.approx(_flip_box(src[0]["righthand_box"], 64))
    assert first["righthand_box"] == pytest.approx(_flip_box(src[0]["lefthand_box"], 64))
    np.testing.assert_allclose(
        np.asarray(first["lefthand_kpts"]).reshape(-1, 3),
        _flip_points(src[0]["righthand_kpts"], 64),
        atol=0.01,
    )
    foot = _flip_points(src[0]["foot_kpts"], 64)
    np.testing.assert_allclose(
        np.asarray(first["foot_kpts"]).reshape(-1, 3), foot[[3, 4, 5, 0, 1, 2]], atol=0.01
    )
    face = _flip_points(src[0]["face_kpts"], 64)
    moved_face = np.asarray(first["face_kpts"]).reshape(-1, 3)
    np.testing.assert_allclose(moved_face[0], face[16], atol=0.01)  # jaw ends swap
    np.testing.assert_allclose(moved_face[36], face[45], atol=0.01)  # outer eye corners swap
    np.testing.assert_allclose(moved_face[30], face[30], atol=0.01)  # nose tip stays
    # the second person had only a left hand: after the flip only a right hand
    assert second["righthand_valid"] is True and second["lefthand_valid"] is False
    assert second["lefthand_box"] == [0, 0, 0, 0] and not any(second["lefthand_kpts"])
    assert second["face_box"] == [0, 0, 0, 0] and second["face_valid"] is False
    # coordinates nobody can move are not carried into the copy, and that is said
    assert "head_box" not in first and "head_box" in original[0]
    assert any("'head_box'" in w for w in report.warnings)


def test_recipe_switch_keeps_unknown_coordinates_as_read(tmp_path):
    source = coco_wholebody(tmp_path / "wb")
    recipe = dict(FLIP, labels={"unknown_fields": "keep"})
    _, _, augmented = _run(tmp_path, source, recipe)
    assert augmented[0]["head_box"] == [18.0, 2.0, 16.0, 16.0]


def test_box_leaving_the_image_is_written_invalid(tmp_path):
    source = coco_wholebody(tmp_path / "wb")
    crop = {
        "version": 1,
        "copies": 1,
        "pipeline": [{"Crop": {"x_min": 0, "y_min": 0, "x_max": 30, "y_max": 48}}],
    }
    _, _, augmented = _run(tmp_path, source, crop)
    first = augmented[0]
    assert first["lefthand_box"] == [0, 0, 0, 0] and first["lefthand_valid"] is False  # x 36..46 is gone
    assert first["righthand_valid"] is True and first["righthand_box"] == pytest.approx([9, 22, 10, 8])


def test_merged_133_points_with_confidences_are_kept_and_mirrored(tmp_path):
    source = coco_wholebody(tmp_path / "wb", merged=True)
    report, original, augmented = _run(tmp_path, source)
    assert report.skipped == []
    src = np.asarray(json.loads(source.read_text())["annotations"][0]["keypoints"]).reshape(-1, 3)
    moved = np.asarray(augmented[0]["keypoints"]).reshape(-1, 3)
    assert moved.shape == (133, 3)
    flipped = _flip_points(src.ravel(), 64)
    # body 0-16, foot 17-22, face 23-90, left hand 91-111, right hand 112-132
    pairs = {1: 2, 15: 16, 17: 20, 19: 22, 23: 39, 23 + 36: 23 + 45, 91: 112, 111: 132}
    for a, b in pairs.items():
        np.testing.assert_allclose(moved[a], flipped[b], atol=0.01)
        np.testing.assert_allclose(moved[b], flipped[a], atol=0.01)
    for same in (0, 23 + 30, 23 + 8):  # nose, nose tip, chin
        np.testing.assert_allclose(moved[same], flipped[same], atol=0.01)
    assert sorted(moved[:, 2].tolist()) == sorted(src[:, 2].tolist())  # v as read (0.5 stays 0.5)
    assert any(not float(v).is_integer() for v in moved[:, 2])
    assert augmented[0]["num_keypoints"] == 133
    assert any("more or fewer keypoints" in w for w in report.warnings)
    assert any("confidence" in w for w in report.warnings)
