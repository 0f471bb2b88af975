"""COCO labels through the reader and writer: encodings, crowd, keypoints, ids.

The dataset is painted (``coco_painted``): after an exact horizontal flip the
written labels are checked against the written pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from coco_painted import BLOB_MASK, BLUE, CROWD_MASK, GREEN, RED, H, W, hflip, painted_dataset, write_run
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from augcli.core.sample import Instances, Sample
from augcli.formats.base import ItemRecord, RawPayload
from augcli.formats.coco import CocoReader, CocoWriter
from augcli.formats.coco.emit import annotation_dict


def test_reader_builds_every_target(make_coco) -> None:
    reader = CocoReader(painted_dataset(make_coco))
    sample = reader.load("scene.png")
    inst = sample.instances
    assert reader.problems == []
    assert inst.labels.tolist() == [1, 2, 1, 7, 1]
    assert np.allclose(inst.boxes[0], [2, 2, 28, 10])
    assert [r.shape for r in inst.polygons[0]] == [(4, 2), (4, 2)]
    assert np.array_equal(mask_utils.decode(inst.masks[1]), CROWD_MASK)
    assert np.array_equal(mask_utils.decode(inst.masks[2]), BLOB_MASK)
    assert all(isinstance(inst.masks[i]["counts"], bytes) for i in (1, 2))
    assert inst.crowd.tolist() == [False, True, False, False, False]
    assert inst.keypoints.shape == (5, 3, 3) and inst.kp_count.tolist() == [0, 0, 0, 3, 0]
    assert inst.extra["coco_ann_id"] == [100, 101, 102, 103, 104]
    assert inst.extra["coco_seg"] == ["polygon", "rle", "rle_uncompressed", "absent", "absent"]
    assert sample.meta["flip_perm"][7].tolist() == [0, 2, 1]
    assert sample.meta["image_id"] == 10 and sample.meta["mode"] == "RGB"
    assert reader.targets() == ("image", "boxes", "polygons", "masks", "keypoints")


def test_flipped_labels_match_flipped_pixels(make_coco, tmp_path: Path) -> None:
    reader = CocoReader(painted_dataset(make_coco))
    writer, coco = write_run(reader, tmp_path / "out", transform=hflip)
    again = CocoReader(writer.annotation_path)
    flipped = again.load("scene__aug1.png")
    pixels = flipped.image
    polygon_ann, crowd_ann, blob_ann, person_ann, box_ann = coco["annotations"][5:]

    # multi-part polygon: still two parts, and they cover exactly the red pixels
    assert len(polygon_ann["segmentation"]) == 2
    drawn = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygon_ann["segmentation"], H, W)))
    assert np.array_equal(drawn == 1, np.all(pixels == RED, axis=2))
    assert polygon_ann["area"] == pytest.approx(112.0)
    assert polygon_ann["bbox"] == [12, 2, 26, 8]

    # compressed RLE stays a string, crowd stays crowd, mask covers the green pixels
    assert isinstance(crowd_ann["segmentation"]["counts"], str) and crowd_ann["iscrowd"] == 1
    assert np.array_equal(mask_utils.decode(crowd_ann["segmentation"]) == 1, np.all(pixels == GREEN, axis=2))
    assert crowd_ann["area"] == int(CROWD_MASK.sum())

    # uncompressed RLE stays a list, in its original key order, covering the blue pixels
    seg = blob_ann["segmentation"]
    assert isinstance(seg["counts"], list) and list(seg) == ["counts", "size"]
    assert sum(seg["counts"]) == H * W
    blob = mask_utils.decode(mask_utils.frPyObjects(seg, H, W))
    assert np.array_equal(blob == 1, np.all(pixels == BLUE, axis=2))
    assert blob_ann["iscrowd"] == 0

    # keypoints mirrored and left/right swapped
    kps = np.reshape(person_ann["keypoints"], (3, 3))
    assert kps.tolist() == [[25, 14, 2], [22.5, 13, 2], [26.5, 13, 1]]
    assert person_ann["num_keypoints"] == 3
    # box-only annotation stays box-only: no segmentation key appears
    assert "segmentation" not in box_ann and box_ann["bbox"] == [36, 0, 4, 3] and box_ann["area"] == 12


def test_unknown_fields_survive_at_every_level(make_coco, tmp_path: Path) -> None:
    reader = CocoReader(painted_dataset(make_coco))
    _, coco = write_run(reader, tmp_path / "out")
    assert coco["top_level_extra"] == [1, 2, 3] and coco["info"] == {"description": "painted"}
    assert list(coco) == ["info", "licenses", "categories", "images", "annotations", "top_level_extra"]
    new_image = coco["images"][1]
    assert new_image["custom"] == {"k": 1} and new_image["file_name"] == "scene__aug1.png"
    first = coco["annotations"][5]
    assert first["attributes"] == {"occluded": True} and first["score"] == 0.5
    assert list(first) == list(coco["annotations"][0])  # same field order as read


def test_keypoints_recounted_and_dropped_instances_vanish(make_coco, tmp_path: Path) -> None:
    reader = CocoReader(painted_dataset(make_coco))

    def occlude_and_drop(sample: Sample) -> Sample:
        inst = sample.instances[[1, 3]]  # keep the crowd and the person only
        keypoints = inst.keypoints.copy()
        keypoints[1, 1] = 0  # left_eye left the canvas: v=0, x=y=0
        return sample.replace(instances=inst.replace(keypoints=keypoints))

    _, coco = write_run(reader, tmp_path / "out", transform=occlude_and_drop)
    crowd_ann, person_ann = coco["annotations"][5:]
    assert crowd_ann["id"] == 105 and person_ann["id"] == 106
    assert person_ann["num_keypoints"] == 2
    assert person_ann["keypoints"] == [15, 14, 2, 0, 0, 0, 17.5, 13, 2]
    assert "keypoints" not in crowd_ann


def test_empty_instances_write_an_image_without_annotations(make_coco, tmp_path: Path) -> None:
    reader = CocoReader(painted_dataset(make_coco))
    _, coco = write_run(
        reader,
        tmp_path / "out",
        originals=False,
        transform=lambda s: s.replace(instances=s.instances[np.zeros(5, bool)]),
    )
    assert [img["id"] for img in coco["images"]] == [11]
    assert coco["annotations"] == []


def test_ids_are_fresh_and_records_out_of_task_order_are_refused(make_coco, tmp_path: Path) -> None:
    reader = CocoReader(painted_dataset(make_coco))
    writer = CocoWriter(reader, tmp_path / "out")
    key = reader.keys()[0]
    records = [writer.write_original(key)] + [writer.write_item(key, c, reader.load(key)) for c in (1, 2, 3)]
    writer.finalize(iter(records))  # streamed: one pass, in task order
    expected = writer.annotation_path.read_bytes()
    swapped = [records[0], records[2], records[1], records[3]]
    with pytest.raises(ValueError, match="task order"):
        writer.finalize(swapped)
    assert writer.annotation_path.read_bytes() == expected  # the refused call wrote nothing
    coco = json.loads(expected)
    assert [img["id"] for img in coco["images"]] == [10, 11, 12, 13]
    assert [img["file_name"] for img in coco["images"][1:]] == [f"scene__aug{c}.png" for c in (1, 2, 3)]
    assert [a["id"] for a in coco["annotations"]] == list(range(100, 120))
    assert [a["image_id"] for a in coco["annotations"][5:]] == [11] * 5 + [12] * 5 + [13] * 5


def test_originals_serialised_by_write_original_are_the_bytes_finalize_writes(
    make_coco, tmp_path: Path
) -> None:
    path = painted_dataset(make_coco)
    coco = json.loads(path.read_text())
    coco["annotations"].insert(1, {"id": 555, "image_id": 10, "category_id": 99, "bbox": [1, 1, 2, 2]})
    coco["images"].append({"id": 11, "file_name": "other.png", "width": W, "height": H})
    coco["annotations"] += [dict(a, id=a["id"] + 100, image_id=11) for a in coco["annotations"][2:4]]
    path.write_text(json.dumps(coco, indent=1))  # not the writer's spacing: re-serialised
    images = path.parents[1] / "images" / "train"
    (images / "other.png").write_bytes((images / "scene.png").read_bytes())
    reader = CocoReader(path)
    writer = CocoWriter(reader, tmp_path / "out")
    first, second = reader.keys()
    records = [writer.write_original(first), writer.write_original(second)]
    assert all(isinstance(r.payload.get("annotations"), RawPayload) for r in records)  # in the worker
    augmented = writer.write_item(second, 1, reader.load(second))
    writer.finalize([*records, augmented])
    spooled = writer.annotation_path.read_bytes()
    writer.finalize([records[1], records[0], augmented])  # out of order: serialised in finalize
    assert writer.annotation_path.read_bytes() == spooled
    bare = [ItemRecord(r.key, 0, {"image_index": r.payload["image_index"]}) for r in records]
    writer.finalize([*bare, augmented])  # records of an older part: serialised in finalize
    assert writer.annotation_path.read_bytes() == spooled
    written = json.loads(spooled)
    assert written["annotations"][:7] == [a for a in coco["annotations"] if a["id"] != 555]
    assert len(written["annotations"]) == 7 + 2  # then the copy's


def test_copy_zero_goes_through_write_original(make_coco, tmp_path: Path) -> None:
    reader = CocoReader(painted_dataset(make_coco))
    writer = CocoWriter(reader, tmp_path / "out")
    with pytest.raises(ValueError):
        writer.write_item("scene.png", 0, reader.load("scene.png"))


coordinates = st.floats(0, 500, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(coordinates, coordinates), min_size=3, max_size=12),
    st.lists(st.tuples(coordinates, coordinates, st.sampled_from([1, 2])), min_size=2, max_size=2),
)
def test_written_box_contains_written_polygon_and_keypoints(points, keypoints) -> None:
    ring = np.array(points)
    kps = np.array(keypoints, dtype=np.float64)
    everything = np.concatenate([ring, kps[:, :2]])
    box = np.concatenate([everything.min(axis=0), everything.max(axis=0)])
    instances = Instances(
        labels=[1], boxes=[box], polygons=[[ring]], keypoints=kps[None], extra={"coco_seg": ["polygon"]}
    )
    ann = annotation_dict(instances, 0, 501, 501)
    x, y, w, h = ann["bbox"]
    xs = ann["segmentation"][0][0::2] + ann["keypoints"][0::3]
    ys = ann["segmentation"][0][1::2] + ann["keypoints"][1::3]
    slack = 1e-9  # float noise of x + w only
    assert min(xs) >= x and max(xs) <= x + w + slack
    assert min(ys) >= y and max(ys) <= y + h + slack
    assert ann["num_keypoints"] == 2 and ann["area"] >= 0


def test_labels_without_listed_categories_get_identity_flip(make_coco) -> None:
    path = painted_dataset(make_coco)
    coco = json.loads(path.read_text())
    coco["categories"] = []
    path.write_text(json.dumps(coco))
    reader = CocoReader(path)
    assert reader.problems == []
    assert {k: v.tolist() for k, v in reader.load("scene.png").meta["flip_perm"].items()} == {
        1: [0, 1, 2],
        2: [0, 1, 2],
        7: [0, 1, 2],
    }
