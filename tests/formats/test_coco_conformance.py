"""COCO read -> write round trips on public datasets nobody on the team made.

Every set below ships its image files, so the round trip runs end to end:
read every image, write the originals and finalize the JSON (identity), and
write an untransformed copy as if augmented (labels must come back within
rounding, in the same encodings, with fresh ids).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conformance import conformance_pair
from format_helpers import image_entry
from PIL import Image
from pycocotools import mask as mask_utils

from augcli.formats.registry import open_reader, open_writer

# (annotation file or folder, --images folder or None), relative to the conformance root
SETS = {
    "keras_train2017": ("keras_retinanet_testdata/coco/annotations/instances_train2017.json", None),
    "keras_val2017": ("keras_retinanet_testdata/coco/annotations/instances_val2017.json", None),
    "review_v1": (
        "review_od_metrics/data/database/gts/coco_format_v1/instances_default.json",
        "review_od_metrics/data/database/images",
    ),
    "review_v2": (
        "review_od_metrics/data/database/gts/coco_format_v2/instances_v2.json",
        "review_od_metrics/data/database/images",
    ),
    "roboflow_chess": ("roboflow_chess/test", None),
    "datumaro_instances_train": (
        "datumaro/coco_dataset/coco_instances/annotations/instances_train.json",
        None,
    ),
    "datumaro_instances_val": ("datumaro/coco_dataset/coco_instances/annotations/instances_val.json", None),
    "datumaro_keypoints_train": (
        "datumaro/coco_dataset/coco_person_keypoints/annotations/person_keypoints_train.json",
        None,
    ),
    "datumaro_keypoints_val": (
        "datumaro/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json",
        None,
    ),
    "cvat_keypoints_train": (
        "datumaro_cvatfork/coco_person_keypoints/annotations/person_keypoints_train.json",
        None,
    ),
    "cvat_keypoints_val": (
        "datumaro_cvatfork/coco_person_keypoints/annotations/person_keypoints_val.json",
        None,
    ),
}
TOLERANCE = 0.0051  # labels are written with 2 decimals


def open_set(name: str):
    source, images = SETS[name]
    path, image_dir = conformance_pair(source, images)
    return open_reader(path, images=image_dir)


@pytest.mark.parametrize("name", sorted(SETS))
def test_identity_round_trip(name: str, tmp_path: Path) -> None:
    reader = open_set(name)
    assert reader.problems == []
    writer = open_writer(reader, tmp_path / "out")
    records = []
    for key in reader.keys():
        sample = reader.load(key)  # every image decodes and agrees with its labels
        assert sample.image.shape[:2] == (sample.meta["height"], sample.meta["width"])
        records.append(writer.write_original(key))
    stats = writer.finalize(records)

    source = json.loads(reader.annotation_file.read_bytes())
    written = json.loads(writer.annotation_path.read_bytes())
    assert written == source
    assert list(written) == list(source)
    assert stats["images"] == len(source["images"])
    assert stats["annotations"] == len(source.get("annotations", []))
    assert writer.annotation_path.relative_to(writer.out) == reader.annotation_relpath
    for key in reader.keys():
        copied = writer.out / writer.output_relpath(key, 0)
        assert copied.read_bytes() == reader.source_path(key).read_bytes()
        assert copied.relative_to(writer.out) == reader.source_path(key).resolve().relative_to(reader.root)


# re-encoding 29 photos of 2048x1371 takes seconds; the small sets cover the same label kinds
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n == "roboflow_chess" else n for n in sorted(SETS)]
)
def test_untransformed_copy_reproduces_labels(name: str, tmp_path: Path) -> None:
    reader = open_set(name)
    writer = open_writer(reader, tmp_path / "out")
    records = [writer.write_original(key) for key in reader.keys()]
    samples = {key: reader.load(key) for key in reader.keys()}
    records += [writer.write_item(key, 1, sample) for key, sample in samples.items()]
    writer.finalize(records)

    source = json.loads(reader.annotation_file.read_bytes())
    written = json.loads(writer.annotation_path.read_bytes())
    n_images, n_anns = len(source["images"]), len(source.get("annotations", []))
    assert written["images"][:n_images] == source["images"]
    new_images = written["images"][n_images:]
    new_anns = written["annotations"][n_anns:]
    assert len(new_images) == n_images and len(new_anns) == n_anns

    max_image = max(img["id"] for img in source["images"])
    max_ann = max((a["id"] for a in source.get("annotations", [])), default=0)
    assert [img["id"] for img in new_images] == list(range(max_image + 1, max_image + 1 + n_images))
    assert [a["id"] for a in new_anns] == list(range(max_ann + 1, max_ann + 1 + n_anns))

    by_image = {img["id"]: img for img in source["images"]}
    new_id_of = {}
    for old, new in zip(source["images"], new_images):
        new_id_of[old["id"]] = new["id"]
        stem, ext = old["file_name"].rsplit(".", 1)
        assert new["file_name"] == f"{stem}__aug1.{ext}"
        assert {k: v for k, v in new.items() if k not in ("id", "file_name")} == {
            k: v for k, v in old.items() if k not in ("id", "file_name")
        }
    # annotations come out grouped by image, in input order within each image
    order = sorted(
        source["annotations"], key=lambda a: [i["id"] for i in source["images"]].index(a["image_id"])
    )
    for old, new in zip(order, new_anns):
        assert new["image_id"] == new_id_of[old["image_id"]]
        image = by_image[old["image_id"]]
        assert_same_annotation(old, new, image["height"], image["width"])

    # the new file names resolve the way the old ones did: read the output back
    again = open_reader(
        writer.annotation_path, images=(writer.out / reader.image_dir_relpath) if SETS[name][1] else None
    )
    assert again.problems == []
    assert len(again.keys()) == 2 * n_images
    for key, sample in samples.items():
        stem, ext = key.rsplit(".", 1)
        copy = again.load(f"{stem}__aug1.{ext}")
        assert copy.image.shape == sample.image.shape
        difference = np.abs(copy.image.astype(int) - sample.image.astype(int)).mean()
        assert difference < 3.0  # JPEG at quality 95


def assert_same_annotation(old: dict, new: dict, height: int, width: int) -> None:
    assert set(new) == set(old)
    for field in set(old) - {"id", "image_id", "bbox", "area", "segmentation", "keypoints"}:
        assert new[field] == old[field], field
    assert np.allclose(new["bbox"], old["bbox"], atol=TOLERANCE)
    assert new["area"] == pytest.approx(old["area"], abs=0.011)
    seg_old, seg_new = old.get("segmentation"), new.get("segmentation")
    if isinstance(seg_old, list):
        assert isinstance(seg_new, list) and len(seg_new) == len(seg_old)  # parts stay parts
        for ring_old, ring_new in zip(seg_old, seg_new):
            assert np.allclose(ring_new, ring_old, atol=TOLERANCE)
    elif isinstance(seg_old, dict):
        assert type(seg_new["counts"]) is type(seg_old["counts"])  # same encoding
        assert seg_new["size"] == seg_old["size"]
        assert np.array_equal(decode_mask(seg_new), decode_mask(seg_old))
    if "keypoints" in old:
        kp_old = np.reshape(old["keypoints"], (-1, 3))
        kp_new = np.reshape(new["keypoints"], (-1, 3))
        assert np.allclose(kp_new[:, :2], kp_old[:, :2], atol=TOLERANCE)
        assert np.array_equal(kp_new[:, 2], kp_old[:, 2])
        assert all(isinstance(v, int) for v in new["keypoints"][2::3])
        assert new["num_keypoints"] == int((kp_old[:, 2] > 0).sum())


def decode_mask(seg: dict) -> np.ndarray:
    height, width = seg["size"]
    rle = mask_utils.frPyObjects(seg, height, width) if isinstance(seg["counts"], list) else seg
    return mask_utils.decode(rle)


def test_output_image_has_source_format(tmp_path: Path) -> None:
    reader = open_set("datumaro_instances_val")
    writer = open_writer(reader, tmp_path / "out")
    key = reader.keys()[0]
    record = writer.write_item(key, 3, reader.load(key))
    written = writer.out / writer.output_relpath(key, 3)
    assert written.name == "b__aug3.jpg"
    assert image_entry(record)["file_name"] == "b__aug3.jpg"
    with Image.open(written) as image:
        assert image.format == "JPEG" and image.size == (5, 10)
