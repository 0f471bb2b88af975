"""The pieces conversions are made of: tracing, joining, naming, classes, losses."""

from __future__ import annotations

from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from geometric_cases import iou, rasterise
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.formats.convert.classes import class_table
from augcli.formats.convert.losses import Losses, summarise, upfront_warnings
from augcli.formats.convert.names import OutputNames
from augcli.formats.convert.semantic import semantic_to_instances
from augcli.formats.convert.trace import mask_to_rings
from augcli.formats.masks.writer import paint_semantic
from augcli.formats.yolo import labels as yolo_labels
from augcli.geometry import rle
from augcli.geometry.polygons import polygon_area


@settings(max_examples=30)
@given(st.integers(0, 20), st.integers(0, 20), st.integers(1, 15), st.integers(1, 15))
def test_traced_rectangles_are_exact(x, y, w, h):
    mask = np.zeros((40, 40), bool)
    mask[y : y + h, x : x + w] = True
    rings = mask_to_rings(rle.encode(mask))
    assert len(rings) == 1
    assert polygon_area(rings) == w * h
    assert np.array_equal(rasterise(rings, 40, 40), mask)


def test_traced_blobs_cover_their_pixels():
    mask = np.zeros((80, 90), np.uint8)
    cv2.ellipse(mask, (40, 40), (30, 18), 35, 0, 360, 1, -1)
    cv2.circle(mask, (75, 70), 6, 1, -1)
    rings = mask_to_rings(rle.encode(mask.astype(bool)))
    assert len(rings) == 2 and polygon_area([rings[0]]) > polygon_area([rings[1]])
    assert iou(rasterise(rings, 80, 90), mask.astype(bool)) > 0.95


def test_joined_parts_keep_area_and_pixels_whatever_their_orientation():
    a = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    b = np.array([[20, 20], [20, 30], [35, 30], [35, 20]], float)  # turned the other way
    joined = yolo_labels.join_parts([a, b])
    assert polygon_area([joined]) == pytest.approx(100 + 150)
    assert np.array_equal(rasterise([joined], 40, 40), rasterise([a, b], 40, 40))
    assert np.array_equal(yolo_labels.join_parts([a]), a)  # one part: untouched


def test_yolo_lines_parse_and_refuse():
    line = yolo_labels.parse_line("2 0.5 0.5 0.5 0.25", 100, 40, None)
    assert line.kind == "box" and line.box.tolist() == [25, 15, 75, 25]
    seg = yolo_labels.parse_line("0 0 0 1 0 1 1", 10, 10, None)
    assert seg.kind == "segment" and seg.ring.tolist() == [[0, 0], [10, 0], [10, 10]]
    pose = yolo_labels.parse_line("0 .5 .5 .2 .2 .1 .2 2 0 0 0", 10, 10, (2, 3))
    assert pose.keypoints.tolist() == [[1, 2, 2], [0, 0, 0]]
    for bad in ("x 0 0 1 1", "0 0.5 0.5 0.2", "1.5 0 0 1 1", "0 0 0 1 1 1 1 1", "0 .5 .5 -1 1"):
        with pytest.raises(ValueError):
            yolo_labels.parse_line(bad, 10, 10, None)
    with pytest.raises(ValueError, match="kpt_shape"):
        yolo_labels.parse_line("0 .5 .5 .2 .2 .1 .2", 10, 10, (2, 3))


def test_yolo_lines_write_what_they_read():
    box = np.array([12.5, 3.0, 40.25, 17.0])
    line = yolo_labels.box_line(3, box, 64, 20)
    np.testing.assert_allclose(yolo_labels.parse_line(line, 64, 20, None).box, box, atol=1e-4)
    assert yolo_labels.number(0.1234567) == "0.123457" and yolo_labels.number(-0.0) == "0"


def reader_with(keys_names: dict[str, str], fmt: str = "voc"):
    return SimpleNamespace(keys=lambda: list(keys_names), item_name=lambda k: keys_names[k], format_name=fmt)


def test_output_names_are_unique_and_stable():
    names = OutputNames(
        reader_with({"a": "x/img.jpg", "b": "y/img.jpg", "c": "y/IMG.png", "d": "z.png"}), flatten=True
    )
    assert [names.name(k) for k in "abcd"] == ["img.jpg", "img__2.jpg", "IMG__3.png", "z.png"]
    assert names.name("a", 2) == "img__aug2.jpg" and names.stem("b", 1) == "img__2__aug1"


def test_class_tables():
    cats = Categories([Category(0, "cat"), Category(5, "dog")])
    names, index = class_table(cats, has_semantic=False)
    assert names == ["background", "cat", "dog"] and index == {0: 1, 5: 2}  # YOLO 0 is not background
    names, index = class_table(cats, has_semantic=True)
    assert names == ["cat", "class_1", "class_2", "class_3", "class_4", "dog"] and index == {0: 0, 5: 5}


def test_semantic_regions_become_instances():
    semantic = np.array([[0, 1, 1, 255], [2, 2, 1, 0]], np.uint8)
    sample = Sample(image=np.zeros((2, 4, 3), np.uint8), instances=Instances.empty(), semantic=semantic)
    out = semantic_to_instances(sample, background=0)
    assert out.semantic is None and out.instances.labels.tolist() == [1, 2]
    assert rle.decode(out.instances.masks[0]).tolist() == [
        [False, True, True, False],
        [False, False, True, False],
    ]
    assert out.instances.boxes.tolist() == [[1, 0, 3, 2], [0, 1, 2, 2]]


def test_painting_instances_into_a_semantic_map():
    mask = np.zeros((4, 6), bool)
    mask[1:3, 1:3] = True
    instances = Instances(
        labels=[7, 9, 7],
        boxes=[[0, 0, 1, 1], [3, 0, 6, 4], [4, 0, 6, 2]],
        masks=[rle.encode(mask), None, None],
        polygons=[None, None, [np.array([[4, 0], [6, 0], [6, 2], [4, 2]], float)]],
        crowd=[False, False, True],
    )
    losses = Losses()
    painted = paint_semantic(Sample(np.zeros((4, 6, 3), np.uint8), instances), {7: 1, 9: 2}, losses)
    assert painted[1:3, 1:3].tolist() == [[1, 1], [1, 1]]
    assert (painted[0:2, 4:6] == 255).all()  # the crowd polygon is ignore
    assert losses["box_only_dropped"] == 1 and int((painted == 2).sum()) == 0


def test_warnings_say_what_each_conversion_loses():
    def reader(fmt, targets):
        return SimpleNamespace(format_name=fmt, targets=lambda: targets)

    coco = reader("coco", ("image", "boxes", "masks", "keypoints"))
    assert any("keypoints are dropped" in w for w in upfront_warnings(coco, "voc"))
    assert any("RLE masks become polygons" in w for w in upfront_warnings(coco, "yolo"))
    assert upfront_warnings(coco, "coco") == []
    masks = reader("masks", ("image", "semantic"))
    assert any("class region" in w for w in upfront_warnings(masks, "coco"))
    assert summarise([{"crowd_dropped": 2}, {}, {"crowd_dropped": 1}], "yolo") == [
        "3 crowd regions dropped (YOLO has no crowd regions) (writing yolo)"
    ]
