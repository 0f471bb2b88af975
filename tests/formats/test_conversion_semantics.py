"""Conversions and label semantics on replicated public layouts (issue 9, items 3, 6, 8)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from PIL import Image
from replicas import facade_coco, index_masks, roboflow_yolo
from typer.testing import CliRunner

import augcli
from augcli.cli.app import app

CONVERT = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}


def test_to_voc_paints_small_objects_over_the_facade_drawn_after_them(tmp_path):
    source = facade_coco(tmp_path / "facade")
    report = augcli.expand(source, CONVERT, tmp_path / "voc", to="voc", workers=1)
    classes = np.asarray(Image.open(next((tmp_path / "voc" / "SegmentationClass").glob("*.png"))))
    objects = np.asarray(Image.open(next((tmp_path / "voc" / "SegmentationObject").glob("*.png"))))
    names = [line.split(":")[0] for line in (tmp_path / "voc" / "labelmap.txt").read_text().splitlines()[1:]]
    window = names.index("window")
    for k in range(15):  # every window keeps its own pixels, none erased by the facade
        x, y = 8 + (k % 5) * 17, 6 + (k // 5) * 18
        assert (classes[y : y + 10, x : x + 9] == window).all()
        assert (objects[y : y + 10, x : x + 9] == k + 1).all()
    assert (classes[3, 3] == names.index("facade")) and objects[3, 3] == 16
    lost = [w for w in report.warnings if "painted over" in w]
    hidden = [w for w in report.warnings if "more than half" in w]
    assert lost and lost[0].startswith(
        str(15 * 90 + 90 + 56)
    )  # facade under windows + balcony, balcony under sign
    assert hidden and hidden[0].startswith("1 ")  # the balcony under the sign


def test_to_masks_paints_largest_first_too(tmp_path):
    source = facade_coco(tmp_path / "facade")
    augcli.expand(source, CONVERT, tmp_path / "masks", to="masks", workers=1)
    meta = json.loads((tmp_path / "masks" / "dataset_meta.json").read_text())
    value = {name: int(v) for v, name in meta["label_map"].items()}
    mask = np.asarray(Image.open(next((tmp_path / "masks" / "masks").rglob("*.png"))))
    assert (mask[6:16, 8:17] == value["window"]).all()
    assert (mask[53:60, 60:68] == value["sign"]).all() and mask[61, 69] == value["balcony"]


@pytest.mark.parametrize("to", ["yolo", "voc"])
def test_unnamed_classes_are_written_as_class_id(to, tmp_path):
    source = index_masks(tmp_path / "camvid_like", values=[3, 5])
    report = augcli.expand(source, CONVERT, tmp_path / "out", to=to, workers=1)
    out = tmp_path / "out"
    assert report.skipped == []
    assert any("class_5" in w for w in report.warnings)
    if to == "yolo":
        names = yaml.safe_load((out / "data.yaml").read_text())["names"]
        assert names[5] == "class_5" and names[2] == "class_2"
        lines = [line for p in out.rglob("*.txt") for line in p.read_text().splitlines()]
        assert sorted({int(line.split()[0]) for line in lines}) == [2, 3, 4, 5]
    elif to == "voc":
        names = [line.split(":")[0] for line in (out / "labelmap.txt").read_text().splitlines()[1:]]
        assert names[:1] == ["background"] and names[5] == "class_5" and len(names) == 6


def test_sixteen_bit_masks_to_voc_never_leave_an_xml_without_its_image(tmp_path):
    source = index_masks(tmp_path / "sixteen", values=[7, 300], bits=16)
    report = augcli.expand(source, CONVERT, tmp_path / "voc", to="voc", workers=1)
    xml = {p.stem for p in (tmp_path / "voc" / "Annotations").glob("*.xml")}
    images = {p.stem for p in (tmp_path / "voc" / "JPEGImages").iterdir()}
    assert xml == images == {"0000"}  # the item with class 300 cannot be a VOC class map
    assert len(report.skipped) == 1 and "300" in report.skipped[0]["message"]
    classes = np.asarray(Image.open(tmp_path / "voc" / "SegmentationClass" / "0000.png"))
    assert set(np.unique(classes)) == {0, 6, 7}


def test_yolo_coordinates_are_clipped_to_the_unit_square(tmp_path):
    source = roboflow_yolo(tmp_path / "rf", ["0 0.5005 0.5 1.001 0.4", "1 0.999 0.2 0.01 0.1"])
    recipe = {"version": 1, "copies": 1, "pipeline": [{"RandomBrightnessContrast": {"p": 1.0}}]}
    augcli.expand(source, recipe, tmp_path / "out", workers=1)
    written = [p for p in (tmp_path / "out").rglob("*__aug1.txt")]
    assert written
    for path in written:
        for line in path.read_text().splitlines():
            values = [float(v) for v in line.split()[1:]]
            assert all(0.0 <= v <= 1.0 for v in values), line
            cx, _, w, _ = values
            assert cx - w / 2 >= -1e-6 and cx + w / 2 <= 1 + 1e-6


def _sliver_coco(make_coco):
    # a polygon whose left edge is 0.0001 px left of a crop border: clipped, it is a sliver
    ring = [9.9999, 10, 20, 10, 20, 20, 9.9999, 20]
    return make_coco(
        {
            "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
            "annotations": [
                {
                    "id": 1,
                    "image_id": 1,
                    "category_id": 1,
                    "bbox": [9.9999, 10, 10.0001, 10],
                    "segmentation": [ring],
                    "area": 100,
                    "iscrowd": 0,
                },
                {
                    "id": 2,
                    "image_id": 1,
                    "category_id": 1,
                    "bbox": [1, 1, 5, 5],
                    "segmentation": [[1, 1, 6, 1, 6, 6, 1, 6]],
                    "area": 25,
                    "iscrowd": 0,
                },
            ],
            "categories": [{"id": 1, "name": "thing"}],
        },
        {"a.png": np.zeros((30, 40, 3), np.uint8)},
    )


def test_min_area_zero_drops_slivers_that_cover_no_pixel(make_coco, tmp_path):
    source = _sliver_coco(make_coco)
    recipe = {
        "version": 1,
        "copies": 1,
        "labels": {"min_area": 0},
        "pipeline": [{"Crop": {"x_min": 0, "y_min": 0, "x_max": 10, "y_max": 30}}],
    }
    report = augcli.expand(source, recipe, tmp_path / "out", workers=1)
    data = json.loads(next((tmp_path / "out").rglob("*.json")).read_text())
    augmented = [a for a in data["annotations"] if a["image_id"] != 1]
    assert [a["bbox"] for a in augmented] == [[1, 1, 5, 5]]
    assert report.dropped.get("empty") == 1


def test_validate_exits_4_for_dataset_problems_and_3_for_recipe_problems(make_coco, tmp_path):
    source = _sliver_coco(make_coco)
    (source.parent.parent / "images" / "train" / "a.png").unlink()
    data = json.loads(source.read_text())
    data["images"].append({"id": 2, "file_name": "b.png", "width": 40, "height": 30})
    source.write_text(json.dumps(data))
    from format_helpers import save_image

    save_image(source.parent.parent / "images" / "train" / "b.png", np.zeros((30, 40, 3), np.uint8))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("version: 1\npipeline: [{HorizontalFlip: {p: 0.5}}]\n")
    result = CliRunner().invoke(app, ["validate", str(recipe), "--dataset", str(source)])
    assert result.exit_code == 4, result.output
    assert "a.png" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\npipeline: [{HorizontalFlip: {p: 2}}]\n")
    assert CliRunner().invoke(app, ["validate", str(bad), "--dataset", str(source)]).exit_code == 3


def test_compressed_crowd_rle_stays_compressed(make_coco, tmp_path):
    from pycocotools import mask as mask_utils

    region = np.zeros((30, 40), np.uint8, order="F")
    region[5:20, 8:30] = 1
    rle = mask_utils.encode(np.asfortranarray(region))
    source = make_coco(
        {
            "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
            "annotations": [
                {
                    "id": 1,
                    "image_id": 1,
                    "category_id": 1,
                    "bbox": [8, 5, 22, 15],
                    "area": 330,
                    "iscrowd": 1,
                    "segmentation": {"size": [30, 40], "counts": rle["counts"].decode()},
                }
            ],
            "categories": [{"id": 1, "name": "people"}],
        },
        {"a.png": np.zeros((30, 40, 3), np.uint8)},
    )
    recipe = {"version": 1, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}
    augcli.expand(source, recipe, tmp_path / "out", workers=1)
    data = json.loads(next((tmp_path / "out").rglob("*.json")).read_text())
    flipped = [a for a in data["annotations"] if a["image_id"] != 1][0]
    assert isinstance(flipped["segmentation"]["counts"], str) and flipped["iscrowd"] == 1
    decoded = mask_utils.decode({"size": [30, 40], "counts": flipped["segmentation"]["counts"].encode()})
    np.testing.assert_array_equal(decoded, region[:, ::-1])
