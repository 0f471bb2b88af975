"""COCO labels through the reader and writer: encodings, crowd, keypoints, ids, problems.

The dataset is painted: each object's pixels carry its own colour, so after
a (hand-made, exact) horizontal flip the written labels can be checked
against the written pixels.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from augcli.core.errors import AnnotationError, ImageReadError
from augcli.core.sample import Instances, Sample
from augcli.formats.base import WriteOptions
from augcli.formats.coco import CocoReader, CocoWriter
from augcli.formats.coco.emit import annotation_dict

W, H = 40, 30
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def rect_mask(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[y0:y1, x0:x1] = 1
    return mask


def uncompressed_runs(mask: np.ndarray) -> list[int]:
    flat = mask.flatten(order="F")
    runs, value, count = [], 0, 0
    for pixel in flat:
        if pixel == value:
            count += 1
        else:
            runs.append(count)
            value, count = pixel, 1
    runs.append(count)
    return runs


CROWD_MASK = rect_mask(30, 15, 36, 28)  # compressed RLE, crowd
BLOB_MASK = rect_mask(3, 18, 9, 26)  # uncompressed RLE, not crowd


def painted_dataset(make_coco, **overrides) -> Path:
    image = np.zeros((H, W, 3), dtype=np.uint8)
    image[2:8, 2:10] = RED  # polygon part 1
    image[2:10, 20:28] = RED  # polygon part 2
    image[CROWD_MASK == 1] = GREEN
    image[BLOB_MASK == 1] = BLUE
    crowd_rle = mask_utils.encode(np.asfortranarray(CROWD_MASK))
    coco = {
        "info": {"description": "painted"},
        "licenses": [{"id": 1, "name": "x"}],
        "categories": [
            {"id": 1, "name": "shape", "supercategory": "thing"},
            {"id": 2, "name": "crowd", "supercategory": "thing"},
            {
                "id": 7,
                "name": "person",
                "keypoints": ["nose", "left_eye", "right_eye"],
                "skeleton": [[1, 2], [1, 3]],
            },
        ],
        "images": [{"id": 10, "file_name": "scene.png", "width": W, "height": H, "custom": {"k": 1}}],
        "annotations": [
            {
                "id": 100,
                "image_id": 10,
                "category_id": 1,
                "iscrowd": 0,
                "area": 112.0,
                "bbox": [2, 2, 26, 8],
                "attributes": {"occluded": True},
                "score": 0.5,
                "segmentation": [[2, 2, 10, 2, 10, 8, 2, 8], [20, 2, 28, 2, 28, 10, 20, 10]],
            },
            {
                "id": 101,
                "image_id": 10,
                "category_id": 2,
                "iscrowd": 1,
                "area": 78.0,
                "bbox": [30, 15, 6, 13],
                "segmentation": {"size": [H, W], "counts": crowd_rle["counts"].decode("ascii")},
            },
            {
                "id": 102,
                "image_id": 10,
                "category_id": 1,
                "iscrowd": 0,
                "area": 48.0,
                "bbox": [3, 18, 6, 8],
                "segmentation": {"counts": uncompressed_runs(BLOB_MASK), "size": [H, W]},
            },
            {
                "id": 103,
                "image_id": 10,
                "category_id": 7,
                "iscrowd": 0,
                "area": 40.0,
                "bbox": [12, 12, 8, 5],
                "num_keypoints": 3,
                "keypoints": [15, 14, 2, 13.5, 13, 1, 17.5, 13, 2],
            },
            {"id": 104, "image_id": 10, "category_id": 1, "iscrowd": 0, "area": 12.0, "bbox": [0, 0, 4, 3]},
        ],
        "top_level_extra": [1, 2, 3],
    }
    coco.update(overrides)
    return make_coco(coco, {"scene.png": image})


def hflip(sample: Sample) -> Sample:
    """An exact horizontal flip of every target (x -> W - x), for testing the writer."""
    inst = sample.instances
    boxes = inst.boxes.copy()
    boxes[:, [0, 2]] = W - inst.boxes[:, [2, 0]]
    polygons = [
        None if p is None else [np.column_stack([W - r[:, 0], r[:, 1]]) for r in p] for p in inst.polygons
    ]
    masks = []
    for rle in inst.masks:
        if rle is None:
            masks.append(None)
            continue
        flipped = np.asfortranarray(mask_utils.decode(rle)[:, ::-1])
        masks.append(dict(mask_utils.encode(flipped), size=list(rle["size"])))
    keypoints = inst.keypoints.copy()
    for row, label in enumerate(inst.labels):
        perm = sample.meta["flip_perm"][int(label)]
        keypoints[row] = keypoints[row][perm]
        labeled = keypoints[row, :, 2] > 0
        keypoints[row, labeled, 0] = W - keypoints[row, labeled, 0]
    flipped = inst.replace(boxes=boxes, polygons=polygons, masks=masks, keypoints=keypoints)
    return sample.replace(image=np.ascontiguousarray(sample.image[:, ::-1]), instances=flipped)


def write_run(reader: CocoReader, out: Path, transform=lambda s: s, copies=(1,), originals=True):
    writer = CocoWriter(reader, out)
    records = [writer.write_original(k) for k in reader.keys()] if originals else []
    for key in reader.keys():
        for copy in copies:
            records.append(writer.write_item(key, copy, transform(reader.load(key))))
    writer.finalize(records)
    return writer, json.loads(writer.annotation_path.read_bytes())


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


def test_copy_zero_goes_through_write_original(make_coco, tmp_path: Path) -> None:
    reader = CocoReader(painted_dataset(make_coco))
    writer = CocoWriter(reader, tmp_path / "out")
    with pytest.raises(ValueError):
        writer.write_item("scene.png", 0, reader.load("scene.png"))


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
