"""VOC at the boundary: box conventions, odd files, truncation, parts, object ids."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from augcli.core.sample import Instances
from augcli.formats.labelmaps import voc_palette_bytes
from augcli.formats.voc.reader import VocReader
from augcli.formats.voc.writer import VocWriter
from augcli.formats.voc.xml_doc import box_texts, parse_box
from augcli.geometry.apply import apply_warp
from augcli.geometry.warp import MatrixWarp, translation


def bndbox(texts) -> ET.Element:
    element = ET.Element("bndbox")
    for tag, text in zip(("xmin", "ymin", "xmax", "ymax"), texts):
        ET.SubElement(element, tag).text = str(text)
    return element


@given(st.integers(1, 500), st.integers(1, 500), st.integers(0, 300), st.integers(0, 300))
def test_integer_boxes_round_trip_exactly(xmin, ymin, width, height):
    texts = [str(v) for v in (xmin, ymin, xmin + width, ymin + height)]
    box, floats = parse_box(bndbox(texts))
    assert not floats
    assert box.tolist() == [xmin - 1, ymin - 1, xmin + width, ymin + height]  # 1-based inclusive
    assert box_texts(box, floats, 1000, 1000) == texts


@given(st.lists(st.integers(0, 100000), min_size=4, max_size=4))
def test_float_boxes_round_trip_exactly(hundredths):
    xmin, ymin = hundredths[0] / 100 + 1, hundredths[1] / 100 + 1
    xmax, ymax = xmin + hundredths[2] / 100 + 0.5, ymin + hundredths[3] / 100 + 0.5
    texts = [f"{v:.2f}" for v in (xmin, ymin, xmax, ymax)]
    box, floats = parse_box(bndbox(texts))
    assert floats
    assert [float(t) for t in box_texts(box, floats, 5000, 5000)] == [float(t) for t in texts]


@given(st.floats(0, 400), st.floats(0, 400), st.floats(1, 200), st.floats(1, 200))
def test_written_integer_boxes_stay_within_half_a_pixel(x0, y0, width, height):
    box = np.array([x0, y0, x0 + width, y0 + height])
    back, _ = parse_box(bndbox(box_texts(box, False, 1000, 1000)))
    assert np.abs(back - box).max() <= 0.5 + 1e-9


def test_a_box_thinner_than_a_pixel_becomes_the_pixel_under_its_centre():
    texts = box_texts(np.array([9.6, 3.0, 9.9, 8.0]), False, 20, 20)
    assert texts == ["10", "4", "10", "8"]


def test_inverted_or_incomplete_boxes_are_refused():
    with pytest.raises(ValueError, match="inverted"):
        parse_box(bndbox(["5", "5", "3", "9"]))
    with pytest.raises(ValueError, match="lacks"):
        parse_box(bndbox(["5", "5", "9"]))


# -- files --------------------------------------------------------------------------------------


def make_voc(root: Path, xml: str, image_name: str = "a.png", size=(40, 30)) -> Path:
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    Image.new("RGB", size, (50, 60, 70)).save(root / "JPEGImages" / image_name)
    (root / "Annotations" / "a.xml").write_text(xml)
    return root


OBJECT = (
    "<object><name>dog</name><pose>Left</pose><truncated>0</truncated><difficult>1</difficult>"
    "<custom_tag>kept</custom_tag><bndbox><xmin>11</xmin><ymin>6</ymin><xmax>30</xmax>"
    "<ymax>25</ymax></bndbox><part><name>head</name><bndbox><xmin>26</xmin><ymin>6</ymin>"
    "<xmax>30</xmax><ymax>10</ymax></bndbox></part></object>"
)


SIZE = "<size><width>40</width><height>30</height><depth>3</depth></size>"


def doc(objects: str = OBJECT, size: str = SIZE, filename: str = "a.png") -> str:
    return f"<annotation><filename>{filename}</filename>{size}<segmented>0</segmented>{objects}</annotation>"


def test_missing_size_empty_depth_and_other_filename_are_handled_and_noted(tmp_path):
    reader = VocReader(make_voc(tmp_path / "a", doc(size="")))
    assert reader.load("a").image.shape == (30, 40, 3)
    assert any("no <size>" in n for n in reader.notes)
    reader = VocReader(
        make_voc(tmp_path / "b", doc(size="<size><width>40</width><height>30</height><depth></depth></size>"))
    )
    assert any("empty <depth>" in n for n in reader.notes)
    writer = VocWriter(reader, tmp_path / "out_b")
    writer.write_item("a", 1, reader.load("a"))
    written = ET.fromstring((writer.out / "Annotations" / "a__aug1.xml").read_bytes())
    assert written.find("size/depth").text is None  # still empty, as read
    reader = VocReader(make_voc(tmp_path / "c", doc(filename="other.png")))
    assert reader.source_path("a").name == "a.png"
    assert any("<filename> disagrees" in n for n in reader.notes)


def test_image_found_by_filename_when_the_names_differ(tmp_path):
    root = make_voc(tmp_path / "d", doc(filename="photo.png"), image_name="photo.png")
    reader = VocReader(root)
    assert reader.source_path("a").name == "photo.png"


def test_filename_escaping_the_dataset_is_refused(tmp_path):
    root = make_voc(tmp_path / "e", doc(filename="../../etc/passwd"), image_name="zzz.png")
    reader = VocReader(root)
    assert reader.keys() == [] and "'..'" in reader.problems[0].message


def test_entity_expansion_is_refused_as_an_item_problem(tmp_path):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>'
        "<annotation><filename>&y;</filename></annotation>"
    )
    reader = VocReader(make_voc(tmp_path / "f", bomb))
    assert reader.keys() == [] and len(reader.problems) == 1


def test_bad_objects_are_reported_and_the_rest_kept(tmp_path):
    bad = (
        "<object><name>cat</name><bndbox><xmin>9</xmin><ymin>9</ymin><xmax>3</xmax>"
        "<ymax>12</ymax></bndbox></object>"
    )
    reader = VocReader(make_voc(tmp_path / "g", doc(OBJECT + bad)))
    assert len(reader.load("a").instances) == 1
    assert reader.problems[0].annotation == "object 2" and "inverted" in reader.problems[0].message


def write_copy(reader: VocReader, sample, out: Path) -> ET.Element:
    writer = VocWriter(reader, out)
    writer.write_item("a", 1, sample)
    return ET.fromstring((out / "Annotations" / "a__aug1.xml").read_bytes())


def test_every_tag_is_kept_and_a_crop_marks_truncation_and_drops_the_part(tmp_path):
    reader = VocReader(make_voc(tmp_path / "h", doc()))
    sample = reader.load("a")
    untouched = write_copy(reader, sample, tmp_path / "o1").find("object")
    assert [c.tag for c in untouched] == [
        "name",
        "pose",
        "truncated",
        "difficult",
        "custom_tag",
        "bndbox",
        "part",
    ]
    assert untouched.findtext("custom_tag") == "kept" and untouched.findtext("truncated") == "0"
    crop = MatrixWarp(translation(-20, 0), (20, 30))  # keep x in [20, 40): the dog is cut
    cut = write_copy(reader, apply_warp(sample, crop), tmp_path / "o2").find("object")
    assert cut.findtext("truncated") == "1"
    assert cut.findtext("bndbox/xmin") == "1" and cut.findtext("bndbox/xmax") == "10"
    assert cut.find("part/bndbox/xmin").text == "6"  # the head moved with the image
    away = MatrixWarp(translation(0, 0), (20, 30))  # keep x in [0, 20): the head is gone
    gone = write_copy(reader, apply_warp(sample, away), tmp_path / "o3").find("object")
    assert gone.find("part") is None and gone.findtext("truncated") == "1"


def test_occlusion_alone_does_not_mark_truncation(tmp_path):
    reader = VocReader(make_voc(tmp_path / "i", doc()))
    sample = reader.load("a")
    occluded = sample.replace(instances=sample.instances.replace(visibility=np.array([0.5])))
    assert write_copy(reader, occluded, tmp_path / "o").find("object").findtext("truncated") == "0"


def test_flip_moves_part_boxes_like_boxes(tmp_path):
    reader = VocReader(make_voc(tmp_path / "j", doc()))
    sample = reader.load("a")
    flip = MatrixWarp(np.array([[-1.0, 0, 40], [0, 1, 0], [0, 0, 1]]), (40, 30))
    moved = apply_warp(sample, flip).instances
    np.testing.assert_allclose(moved.boxes[0], [10, 5, 30, 25])
    np.testing.assert_allclose(moved.part_boxes[0], [[10, 5, 15, 10]])


def test_part_boxes_slice_with_their_instance():
    inst = Instances(
        labels=[1, 2, 3], boxes=np.zeros((3, 4)), part_boxes=[None, np.ones((2, 4)), np.full((1, 4), 7.0)]
    )
    kept = inst[np.array([False, True, True])]
    assert kept.part_boxes[0].shape == (2, 4) and kept.part_boxes[1][0, 0] == 7.0
    with pytest.raises(ValueError, match="part_boxes"):
        Instances(labels=[1], boxes=np.zeros((1, 4)), part_boxes=[None, None])


def test_object_ids_are_renumbered_when_an_object_is_dropped(tmp_path):
    root = tmp_path / "k"
    two = doc(OBJECT.replace("<name>dog</name>", "<name>cat</name>") + OBJECT)
    make_voc(root, two)
    (root / "SegmentationObject").mkdir()
    ids = np.zeros((30, 40), np.uint8)
    ids[5:25, 10:20], ids[5:25, 20:30] = 1, 2
    image = Image.fromarray(ids, "P")
    image.putpalette(voc_palette_bytes())
    image.save(root / "SegmentationObject" / "a.png")
    reader = VocReader(root)
    sample = reader.load("a")
    assert [m is not None for m in sample.instances.masks] == [True, True]
    only_dog = sample.replace(instances=sample.instances[np.array([False, True])])
    written = write_copy(reader, only_dog, tmp_path / "o")
    assert [o.findtext("name") for o in written.findall("object")] == ["dog"]
    with Image.open(tmp_path / "o" / "SegmentationObject" / "a__aug1.png") as stored:
        values = np.asarray(stored)
    assert stored.mode == "P" and set(np.unique(values)) == {0, 1}
    assert (values[5:25, 20:30] == 1).all()  # the dog is object 1 now
