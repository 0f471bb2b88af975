"""YOLO datasets generated from the conformance COCO sets, read back, and round-tripped.

There is no YOLO conformance set, so each COCO set is written as YOLO
(detect, segment or pose as its labels ask) and read back: every non-crowd
annotation comes back in order with its category name, its polygon (one
ring; multi-part polygons joined), its traced mask (close to the pixels),
its keypoints and a box that matches its shape's bounds. Then the generated
YOLO set goes through a YOLO -> YOLO identity round trip: originals and
label files byte for byte, ``data.yaml`` equal in value (``path`` aside, see
the writer), untransformed copies with equal label values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from conformance import conformance_pair
from geometric_cases import iou, rasterise

from augcli.formats.registry import open_reader, open_writer
from augcli.formats.yolo.reader import YoloReader
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_area, polygon_bounds

SETS = {
    "keras_train2017": (
        "keras_retinanet_testdata/coco/annotations/instances_train2017.json",
        None,
        "segment",
    ),
    "keras_val2017": ("keras_retinanet_testdata/coco/annotations/instances_val2017.json", None, "segment"),
    "review_v1": (
        "review_od_metrics/data/database/gts/coco_format_v1/instances_default.json",
        "review_od_metrics/data/database/images",
        "detect",
    ),
    "datumaro_instances_val": (
        "datumaro/coco_dataset/coco_instances/annotations/instances_val.json",
        None,
        "segment",
    ),
    "datumaro_keypoints_val": (
        "datumaro/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json",
        None,
        "pose",
    ),
    "cvat_keypoints_train": (
        "datumaro_cvatfork/coco_person_keypoints/annotations/person_keypoints_train.json",
        None,
        "pose",
    ),
}
NORMALISED = 1e-6  # YOLO writes 6 decimals of a fraction of the image size


def generate(name: str, out: Path):
    source, images, _ = SETS[name]
    path, image_dir = conformance_pair(source, images)
    coco = open_reader(path, images=image_dir)
    writer = open_writer(coco, out, to="yolo")
    writer.finalize([writer.write_original(key) for key in coco.keys()])
    return coco, writer


@pytest.mark.parametrize("name", sorted(SETS))
def test_generated_yolo_reads_back_like_the_coco_source(name, tmp_path):
    coco, writer = generate(name, tmp_path / "yolo")
    assert writer.task == SETS[name][2]
    yolo = open_reader(tmp_path / "yolo")
    assert isinstance(yolo, YoloReader) and yolo.problems == []
    assert len(yolo.keys()) == len(coco.keys())
    names = coco.categories.names()
    for key in coco.keys():
        sample = coco.load(key)
        back = yolo.load(str(writer.image_relpath(key, 0)))
        assert back.image.shape == sample.image.shape
        inst, got = sample.instances, back.instances
        rows = [i for i in range(len(inst)) if not inst.crowd[i]]
        written_names = [yolo.categories.names()[int(v)] for v in got.labels]
        assert written_names == [names[int(inst.labels[i])] for i in rows]
        tolerance = NORMALISED * max(sample.width, sample.height) * 2
        for new, row in enumerate(rows):
            _compare(inst, row, got, new, writer.task, tolerance, sample.height, sample.width)


def _compare(inst, row, got, new, task, tolerance, height, width) -> None:
    polygon, mask = inst.polygons[row], inst.masks[row]
    if task == "segment":
        ring = got.polygons[new]
        assert ring is not None and len(ring) == 1
        if polygon:
            assert polygon_area(ring) == pytest.approx(polygon_area(polygon), rel=1e-4, abs=1e-3)
            np.testing.assert_allclose(got.boxes[new], polygon_bounds(polygon), atol=tolerance)
            if len(polygon) == 1:
                np.testing.assert_allclose(ring[0], polygon[0], atol=tolerance)
        elif mask is not None:
            np.testing.assert_allclose(got.boxes[new], rle.bounds(mask), atol=tolerance)
            assert iou(rasterise(ring, height, width), rle.decode(mask)) >= 0.6
        else:  # a box-only instance: its four corners
            np.testing.assert_allclose(got.boxes[new], inst.boxes[row], atol=tolerance)
        return
    np.testing.assert_allclose(got.boxes[new], inst.boxes[row], atol=tolerance)
    if task == "pose":
        count = int(inst.kp_count[row])
        old_points, new_points = inst.keypoints[row, :count], got.keypoints[new, :count]
        np.testing.assert_array_equal(new_points[:, 2], old_points[:, 2])
        np.testing.assert_allclose(new_points[:, :2], old_points[:, :2], atol=tolerance)


@pytest.mark.parametrize("name", sorted(SETS))
def test_yolo_identity_round_trip(name, tmp_path):
    generate(name, tmp_path / "yolo")
    reader = open_reader(tmp_path / "yolo")
    writer = open_writer(reader, tmp_path / "again")
    records = [writer.write_original(key) for key in reader.keys()]
    samples = {key: reader.load(key) for key in reader.keys()}
    records += [writer.write_item(key, 1, sample) for key, sample in samples.items()]
    stats = writer.finalize(records)
    assert stats["annotations"] == 2 * reader.annotation_count()
    for key in reader.keys():
        item = reader.item(key)
        assert (writer.out / key).read_bytes() == (reader.data_root / key).read_bytes()
        if item.label is not None:
            assert (writer.out / item.label).read_bytes() == (reader.data_root / item.label).read_bytes()
    source_yaml = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    written_yaml = yaml.safe_load((writer.out / "data.yaml").read_text())
    source_yaml.pop("path", None)
    assert written_yaml == source_yaml

    again = YoloReader(writer.out)
    assert again.problems == []
    for key, sample in samples.items():
        stem, ext = key.rsplit(".", 1)
        copy = again.load(f"{stem}__aug1.{ext}").instances
        tolerance = NORMALISED * max(sample.width, sample.height)
        np.testing.assert_array_equal(copy.labels, sample.instances.labels)
        np.testing.assert_allclose(copy.boxes, sample.instances.boxes, atol=tolerance)
        for a, b in zip(copy.polygons, sample.instances.polygons):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a[0], b[0], atol=tolerance)
        if sample.instances.keypoints is not None:
            np.testing.assert_allclose(copy.keypoints, sample.instances.keypoints, atol=tolerance)


def test_pose_flip_idx_comes_from_keypoint_names(tmp_path):
    _, writer = generate("datumaro_keypoints_val", tmp_path / "yolo")
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert data["kpt_shape"][1] == 3 and data["kpt_shape"][0] >= 1
    reader = open_reader(tmp_path / "yolo")
    assert reader.kpt_shape == tuple(data["kpt_shape"])
