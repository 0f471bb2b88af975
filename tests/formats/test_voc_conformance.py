"""VOC read -> write round trips on public datasets nobody on the team made.

For every conformance VOC set: the originals are written byte for byte
(image, XML, segmentation PNGs, every ImageSets file, labelmap.txt); an
untransformed copy written as if augmented reads back with the same objects
(value-equal XML apart from the file name), the same class and object maps
and the same boxes; and the copy joins exactly the image sets of its source.

``datumaro/voc_dataset/voc_dataset2`` ships annotations without images: read
as is, every item is reported as missing its image (tested); for the round
trip the test copies it and adds plain images large enough for its boxes.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from conformance import conformance, conformance_pair
from PIL import Image

from augcli.formats.registry import open_reader, open_writer
from augcli.formats.voc.reader import VocReader

SETS = {
    "review_pascalvoc": (
        "review_od_metrics/data/database/gts/pascalvoc_format",
        "review_od_metrics/data/database/images",
    ),
    "keras_pascal": ("keras_retinanet_testdata/pascal", None),
    "datumaro_voc1": ("datumaro/voc_dataset/voc_dataset1", None),
    "datumaro_voc3": ("datumaro/voc_dataset/voc_dataset3", None),
    "roboflow_voc": ("datumaro/roboflow_dataset/voc", None),
}
VOC2 = "datumaro/voc_dataset/voc_dataset2"


@pytest.fixture
def voc2_with_images(tmp_path: Path) -> Path:
    root = tmp_path / "voc_dataset2"
    shutil.copytree(conformance(VOC2), root)
    (root / "JPEGImages").mkdir()
    for xml in sorted((root / "Annotations").glob("*.xml")):
        Image.new("RGB", (12, 10), (90, 120, 150)).save(root / "JPEGImages" / f"{xml.stem}.jpg")
    return root


def open_set(name: str, tmp_path: Path, voc2: Path | None = None) -> VocReader:
    if name == "datumaro_voc2":
        return open_reader(voc2)
    source, images = SETS[name]
    path, image_dir = conformance_pair(source, images)
    return open_reader(path, images=image_dir)


ALL = sorted(SETS) + ["datumaro_voc2"]


@pytest.mark.parametrize("name", ALL)
def test_identity_round_trip_is_byte_equal(name, tmp_path, voc2_with_images):
    reader = open_set(name, tmp_path, voc2_with_images)
    assert reader.format_name == "voc" and reader.problems == []
    writer = open_writer(reader, tmp_path / "out")
    records = []
    for key in reader.keys():
        sample = reader.load(key)
        assert sample.image.shape[:2] == (sample.meta["height"], sample.meta["width"])
        records.append(writer.write_original(key))
    stats = writer.finalize(records)
    assert stats["annotations"] == reader.annotation_count()
    sources = dataset_files(reader)
    assert sources, "nothing to compare"
    for path in sources:
        rel = path.resolve().relative_to(reader.root)
        assert (writer.out / rel).read_bytes() == path.read_bytes(), rel
    written = {p.relative_to(writer.out) for p in writer.out.rglob("*") if p.is_file()}
    assert written == {p.resolve().relative_to(reader.root) for p in sources}


def dataset_files(reader: VocReader) -> list[Path]:
    """Every file of the dataset: images, XMLs, segmentation PNGs, sets, the label map."""
    layout = reader.layout
    files = []
    for key in reader.keys():
        item = reader.item(key)
        files.append(reader.source_path(key))
        files += [item.xml] if item.xml else []
        files += [layout.class_map_path(key)] if item.class_map else []
        files += [layout.object_map_path(key)] if item.object_map else []
    files += [layout.voc_root / s.relpath for s in reader.sets]
    labelmap = layout.voc_root / "labelmap.txt"
    return files + ([labelmap] if labelmap.is_file() else [])


@pytest.mark.parametrize("name", ALL)
def test_untransformed_copy_reproduces_labels(name, tmp_path, voc2_with_images):
    reader = open_set(name, tmp_path, voc2_with_images)
    writer = open_writer(reader, tmp_path / "out")
    records = [writer.write_original(key) for key in reader.keys()]
    samples = {key: reader.load(key) for key in reader.keys()}
    records += [writer.write_item(key, 1, sample) for key, sample in samples.items()]
    writer.finalize(records)

    again = read_back(reader, writer.out, separate_images=bool(SETS.get(name, (None, None))[1]))
    assert again.problems == []
    assert [c.name for c in again.categories.items] == [c.name for c in reader.categories.items]
    for key, sample in samples.items():
        copy = again.load(f"{key}__aug1")
        inst, back = sample.instances, copy.instances
        np.testing.assert_array_equal(back.labels, inst.labels)
        np.testing.assert_array_equal(back.boxes, inst.boxes)
        for a, b in zip(inst.part_boxes, back.part_boxes):
            assert (a is None and b is None) or np.array_equal(a, b)
        for a, b in zip(inst.masks, back.masks):
            assert (a is None) == (b is None)
        if sample.semantic is not None:
            np.testing.assert_array_equal(copy.semantic, sample.semantic)
        item = reader.item(key)
        if item.xml is not None:
            assert_same_xml(item.xml.read_bytes(), writer.out / writer.xml_relpath(key, 1))


def read_back(reader: VocReader, out: Path, separate_images: bool) -> VocReader:
    """The output dataset, opened the way the input was (same relative folders)."""
    layout = reader.layout
    source = out / layout.voc_root.resolve().relative_to(reader.root)
    images = out / layout.image_dir.resolve().relative_to(reader.root) if separate_images else None
    return VocReader(source, images=images)


def assert_same_xml(source: bytes, written: Path) -> None:
    """Same elements and values, except the file name (and a <size> added when missing)."""
    old, new = ET.fromstring(source), ET.fromstring(written.read_bytes())
    if old.find("size") is None:
        new.remove(new.find("size"))
    for root in (old, new):
        for tag in ("filename", "path"):
            element = root.find(tag)
            if element is not None:
                element.text = None
    assert _canonical(new) == _canonical(old)


def _canonical(element: ET.Element):
    text = (element.text or "").strip()
    if element.tag in ("xmin", "ymin", "xmax", "ymax"):
        text = float(text)
    return element.tag, text, [_canonical(child) for child in element]


def test_copies_join_the_sets_of_their_source(tmp_path):
    reader = open_set("datumaro_voc1", tmp_path)
    writer = open_writer(reader, tmp_path / "out")
    records = [writer.write_original(k) for k in reader.keys()]
    records += [writer.write_item(k, c, reader.load(k)) for k in reader.keys() for c in (1, 2)]
    writer.finalize(records)
    for set_file in reader.sets:
        lines = (writer.out / set_file.relpath).read_text().splitlines()
        expected = []
        for item_id, rest in set_file.lines:
            expected += [item_id + rest, f"{item_id}__aug1{rest}", f"{item_id}__aug2{rest}"]
        assert lines == expected, set_file.relpath
    train = (writer.out / "ImageSets/Main/train.txt").read_text().split()
    test = (writer.out / "ImageSets/Main/test.txt").read_text().split()
    assert not set(train) & set(test)


def test_sets_drop_originals_that_were_not_written(tmp_path):
    reader = open_set("datumaro_voc1", tmp_path)
    writer = open_writer(reader, tmp_path / "out")
    records = [writer.write_item(k, 1, reader.load(k)) for k in reader.keys()]
    writer.finalize(records)
    assert (writer.out / "ImageSets/Main/train.txt").read_text() == "2007_000001__aug1\n"


def test_voc2_without_images_reports_every_item():
    reader = open_reader(conformance(VOC2))
    assert reader.keys() == []
    assert len(reader.problems) == 5
    assert all("no image for this annotation" in p.message for p in reader.problems)


def test_labelmap_and_float_boxes_of_voc2(voc2_with_images):
    reader = open_reader(voc2_with_images)
    names = [c.name for c in reader.categories.items]
    assert names[:3] == ["background", "aeroplane", "bicycle"] and "ignored" in names
    sample = reader.load("a")  # <xmin>1.0</xmin> ... <ymax>6.0</ymax>
    np.testing.assert_array_equal(sample.instances.boxes, [[0.0, 1.0, 4.0, 6.0]])
    assert "no <size>; taken from the image" in " ".join(reader.notes)
