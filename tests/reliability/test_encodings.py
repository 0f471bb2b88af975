"""Encodings: VOC XML in any declared encoding, lone surrogates in COCO strings, non-UTF-8 names."""

from __future__ import annotations

import json
import os

import pytest
from format_trees import TREES, voc_tree
from reliability_helpers import make_dataset

import augcli
from augcli.formats.registry import open_reader

RECIPE = {"version": 1, "seed": 1, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}


@pytest.mark.parametrize("encoding", ["iso-8859-1", "utf-16"])
def test_voc_xml_in_a_declared_encoding_reads_correctly(tmp_path, encoding):
    root, _ = voc_tree(tmp_path / "data")
    xml = (root / "Annotations" / "a.xml").read_text().replace("<name>cat</name>", "<name>caf\u00e9</name>")
    declared = f'<?xml version="1.0" encoding="{encoding}"?>' + xml
    (root / "Annotations" / "a.xml").write_bytes(declared.encode(encoding))
    assert "caf\u00e9" in open_reader(root).categories.names().values()
    report = augcli.expand(root, RECIPE, tmp_path / "out", workers=1)
    assert not [s for s in report.skipped if "a.xml" in str(s.get("file"))], report.skipped
    copy = (tmp_path / "out" / "Annotations" / "a__aug1.xml").read_bytes()
    assert "caf\u00e9".encode(encoding) in copy or "caf\u00e9".encode() in copy


def test_lone_surrogates_in_coco_strings_are_written_escaped(tmp_path):
    ann = make_dataset(tmp_path / "data", count=2)
    coco = json.loads(ann.read_text())
    coco["info"]["description"] = "bad \udcff end"
    coco["categories"][1]["name"] = "box\ud800"
    ann.write_text(json.dumps(coco))  # ensure_ascii: the file holds the \\udcff escapes
    report = augcli.expand(ann, RECIPE, tmp_path / "out", workers=1)
    written = (tmp_path / "out" / "annotations" / "instances_train.json").read_text(encoding="utf-8")
    back = json.loads(written)
    assert back["info"]["description"] == "bad \udcff end"
    assert back["categories"][1]["name"] == "box\ud800"
    assert report.images_out == 4


@pytest.mark.parametrize("fmt", sorted(TREES))
def test_non_utf8_file_names_survive(tmp_path, fmt):
    source, _ = TREES[fmt](tmp_path / "data")
    root = tmp_path / "data"
    odd = os.fsdecode(b"caf\xe9")  # not UTF-8: surrogateescape gives "caf\udce9"
    if fmt == "coco":
        coco = json.loads(source.read_text())
        os.rename(root / "images" / coco["images"][0]["file_name"], root / "images" / f"{odd}.jpg")
        coco["images"][0]["file_name"] = f"{odd}.jpg"
        source.write_text(json.dumps(coco))
    elif fmt == "voc":
        for folder, ext in (("JPEGImages", ".png"), ("Annotations", ".xml"), ("SegmentationClass", ".png")):
            os.rename(root / folder / f"b{ext}", root / folder / f"{odd}{ext}")
        (root / "ImageSets" / "Main" / "train.txt").write_bytes(b"a\ncaf\xe9\n")
    elif fmt == "yolo":
        os.rename(root / "images" / "train" / "b.png", root / "images" / "train" / f"{odd}.png")
        os.rename(root / "labels" / "train" / "b.txt", root / "labels" / "train" / f"{odd}.txt")
    else:
        os.rename(root / "images" / "b.png", root / "images" / f"{odd}.png")
        os.rename(root / "masks" / "b.png", root / "masks" / f"{odd}.png")
    report = augcli.expand(source, RECIPE, tmp_path / "out", workers=1)
    written = [os.fsencode(p.name) for p in (tmp_path / "out").rglob("*")]
    assert any(name.startswith(b"caf\xe9") and b"__aug" in name for name in written), report.skipped
    assert any(name.startswith(b"caf\xe9") and b"__aug" not in name for name in written)


def test_voc_xml_naming_a_non_utf8_file_is_valid_xml_with_the_name_as_on_disk(tmp_path):
    """UTF-8 XML cannot hold the byte 0xE9 of ``caf\\xe9.png``: such a document is written as
    ISO-8859-1, which stores that byte as itself, and stays well-formed."""
    import xml.etree.ElementTree as ET

    source, _ = TREES["voc"](tmp_path / "data")
    root = tmp_path / "data"
    odd = os.fsdecode(b"caf\xe9")
    for folder, ext in (("JPEGImages", ".png"), ("Annotations", ".xml"), ("SegmentationClass", ".png")):
        os.rename(root / folder / f"b{ext}", root / folder / f"{odd}{ext}")
    (root / "ImageSets" / "Main" / "train.txt").write_bytes(b"a\ncaf\xe9\n")
    augcli.expand(source, RECIPE, tmp_path / "out", workers=1)
    written = sorted((tmp_path / "out" / "Annotations").glob("*.xml"))
    augmented = [p for p in written if os.fsencode(p.name).startswith(b"caf\xe9__aug")]
    assert augmented
    for path in written:
        named = ET.parse(path).getroot().find("filename").text  # raises if not well-formed
        image = os.fsencode(path.name)[: -len(".xml")] + b".png"
        if path in augmented:
            assert named.encode("latin-1") == image
            assert (tmp_path / "out" / "JPEGImages" / os.fsdecode(image)).is_file()
