"""COCO -> VOC -> COCO and COCO -> YOLO -> COCO on the conformance COCO sets.

Every box comes back within 0.5 px (VOC stores whole pixels; YOLO stores 6
decimals of a fraction) and every annotation keeps its category by name,
in the same order per image. What a format cannot hold is documented and
tested here too: crowd regions become VOC difficult objects and are
dropped by YOLO; keypoints are dropped by VOC (a warning says so).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conformance import conformance_pair

from augcli.formats.base import WriteOptions
from augcli.formats.registry import open_reader, open_writer
from augcli.geometry.polygons import polygon_area

COCO_SETS = {
    "keras_train2017": ("keras_retinanet_testdata/coco/annotations/instances_train2017.json", None),
    "keras_val2017": ("keras_retinanet_testdata/coco/annotations/instances_val2017.json", None),
    "review_v1": (
        "review_od_metrics/data/database/gts/coco_format_v1/instances_default.json",
        "review_od_metrics/data/database/images",
    ),
    "datumaro_instances_train": (
        "datumaro/coco_dataset/coco_instances/annotations/instances_train.json",
        None,
    ),
    "datumaro_instances_val": ("datumaro/coco_dataset/coco_instances/annotations/instances_val.json", None),
    "datumaro_keypoints_train": (
        "datumaro/coco_dataset/coco_person_keypoints/annotations/person_keypoints_train.json",
        None,
    ),
    "cvat_keypoints_val": (
        "datumaro_cvatfork/coco_person_keypoints/annotations/person_keypoints_val.json",
        None,
    ),
}
HALF_PIXEL = 0.5 + 1e-9


def open_coco(name: str):
    source, images = COCO_SETS[name]
    path, image_dir = conformance_pair(source, images)
    return open_reader(path, images=image_dir)


def convert(reader, out: Path, to: str, options: WriteOptions | None = None):
    """Write every original of ``reader`` in format ``to``; returns (writer, stats)."""
    writer = open_writer(reader, out, options, to=to)
    stats = writer.finalize([writer.write_original(key) for key in reader.keys()])
    return writer, stats


def annotations_by_image(coco_json: Path) -> dict[str, list[tuple[str, list, int]]]:
    """file stem -> [(category name, bbox, iscrowd)] in file order."""
    data = json.loads(coco_json.read_bytes())
    names = {c["id"]: c["name"] for c in data["categories"]}
    stems = {img["id"]: Path(img["file_name"]).stem for img in data["images"]}
    out: dict[str, list] = {stem: [] for stem in stems.values()}
    for ann in data.get("annotations") or []:
        entry = (names[ann["category_id"]], ann["bbox"], int(ann.get("iscrowd", 0)))
        out[stems[ann["image_id"]]].append(entry)
    return out


def back_to_coco(source, tmp_path: Path, to: str, options: WriteOptions | None = None):
    """``source`` written as ``to``, read, written as COCO: (first stats, the final JSON)."""
    _, stats = convert(source, tmp_path / to, to, options)
    again = open_reader(tmp_path / to)
    assert again.format_name == to and again.problems == []
    convert(again, tmp_path / "coco", "coco")
    files = sorted((tmp_path / "coco" / "annotations").glob("*.json"))
    assert len(files) == 1
    return stats, files[0]


@pytest.mark.parametrize("to", ["voc", "yolo"])
@pytest.mark.parametrize("name", sorted(COCO_SETS))
def test_boxes_and_categories_survive_the_trip(name, to, tmp_path):
    source = open_coco(name)
    stats, final_json = back_to_coco(source, tmp_path, to)
    before = annotations_by_image(source.annotation_file)
    after = annotations_by_image(final_json)
    assert set(after) == set(before)
    for stem, anns in before.items():
        kept = [a for a in anns if not (to == "yolo" and a[2])]  # YOLO has no crowd regions
        got = after[stem]
        assert [a[0] for a in got] == [a[0] for a in kept], stem
        for (_, old, _), (_, new, _) in zip(kept, got):
            x, y, w, h = old
            nx, ny, nw, nh = new
            assert np.allclose([nx, ny, nx + nw, ny + nh], [x, y, x + w, y + h], atol=HALF_PIXEL), (old, new)
    crowd = sum(a[2] for anns in before.values() for a in anns)
    if to == "yolo" and crowd:
        assert any("crowd regions dropped" in w for w in stats["warnings"])
    if to == "voc" and crowd:
        assert any("difficult objects" in w for w in stats["warnings"])


@pytest.mark.parametrize("name", sorted(COCO_SETS))
def test_categories_keep_their_names(name, tmp_path):
    source = open_coco(name)
    names = [c.name for c in source.categories.items]
    for to in ("voc", "yolo"):
        _, final_json = back_to_coco(source, tmp_path / to, to)
        written = [c["name"] for c in json.loads(final_json.read_bytes())["categories"]]
        assert written == names


def test_keypoints_to_voc_are_announced_and_dropped(tmp_path):
    source = open_coco("datumaro_keypoints_train")
    _, stats = convert(source, tmp_path / "voc", "voc")
    assert any("keypoints are dropped" in w for w in stats["warnings"])
    assert any("lost their keypoints" in w for w in stats["warnings"])


def test_keypoints_survive_coco_to_yolo_to_coco(tmp_path):
    source = open_coco("cvat_keypoints_val")  # category b has no keypoints: pose only when asked
    _, final_json = back_to_coco(source, tmp_path, "yolo", WriteOptions(yolo_task="pose"))
    final = open_reader(final_json)
    for key in source.keys():
        before = source.load(key).instances
        after = final.load(Path(key).name).instances
        rows = [i for i in range(len(before)) if not before.crowd[i]]
        for row_after, row in enumerate(rows):
            count = int(before.kp_count[row])
            old, new = before.keypoints[row, :count], after.keypoints[row_after, :count]
            np.testing.assert_array_equal(new[:, 2], old[:, 2])
            np.testing.assert_allclose(new[:, :2], old[:, :2], atol=1e-3)


def test_polygons_survive_coco_to_yolo_to_coco(tmp_path):
    source = open_coco("keras_train2017")
    _, final_json = back_to_coco(source, tmp_path, "yolo")
    final = open_reader(final_json)

    for key in source.keys():
        before, after = source.load(key).instances, final.load(key).instances
        for row in range(len(before)):
            old, new = before.polygons[row], after.polygons[row]
            assert len(new) == 1  # one ring: parts joined by bridges
            assert polygon_area(new) == pytest.approx(polygon_area(old), rel=1e-4)
            if len(old) == 1:
                np.testing.assert_allclose(new[0], old[0], atol=1e-3)
