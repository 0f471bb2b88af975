"""Mask-folder round trips on Datumaro's common semantic segmentation assets.

Both variants (``dataset``: ``images/0001.png`` <-> ``masks/0001.png``;
``non_standard_dataset``: ``image_0001.png`` <-> ``gt_0001.png``) hold
colour-coded RGB masks named by ``dataset_meta.json``. Identity: images,
masks and the class list come back byte for byte. An untransformed copy
written as if augmented reads back with the same label values, stored the
same way (RGB through the same colours).
"""

from __future__ import annotations

import numpy as np
import pytest
from conformance import conformance
from PIL import Image

from augcli.formats.masks.reader import MaskFolderReader
from augcli.formats.registry import open_reader, open_writer

ROOT = "datumaro/common_semantic_segmentation_dataset"
VARIANTS = ["dataset", "non_standard_dataset"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_identity_round_trip_is_byte_equal(variant, tmp_path):
    reader = open_reader(conformance(ROOT) / variant)
    assert isinstance(reader, MaskFolderReader) and reader.problems == []
    assert len(reader.keys()) == 2
    writer = open_writer(reader, tmp_path / "out")
    writer.finalize([writer.write_original(key) for key in reader.keys()])
    source = {
        p.relative_to(conformance(ROOT) / variant): p.read_bytes()
        for p in (conformance(ROOT) / variant).rglob("*")
        if p.is_file()
    }
    written = {p.relative_to(writer.out): p.read_bytes() for p in writer.out.rglob("*") if p.is_file()}
    assert written == source


@pytest.mark.parametrize("variant", VARIANTS)
def test_untransformed_copy_keeps_values_and_storage(variant, tmp_path):
    reader = open_reader(conformance(ROOT) / variant)
    writer = open_writer(reader, tmp_path / "out")
    samples = {key: reader.load(key) for key in reader.keys()}
    writer.finalize([writer.write_item(key, 1, sample) for key, sample in samples.items()])
    again = MaskFolderReader(writer.out)
    assert again.problems == []
    for key, sample in samples.items():
        copy = again.load(key.replace(".png", "__aug1.png"))
        np.testing.assert_array_equal(copy.semantic, sample.semantic)
        np.testing.assert_array_equal(copy.image, sample.image)
        relpath = writer.mask_relpath(key, 1)
        with Image.open(writer.out / relpath) as stored, Image.open(reader.mask_path(key)) as original:
            assert stored.mode == original.mode == "RGB"
            np.testing.assert_array_equal(np.asarray(stored), np.asarray(original))


def test_classes_and_colours_come_from_dataset_meta():
    reader = open_reader(conformance(ROOT) / "dataset")
    assert reader.categories.names() == {
        0: "Void",
        1: "Animal",
        2: "Archway",
        3: "Bicyclist",
        4: "Child",
        5: "Road",
    }
    assert reader.ignore_index == 0  # colour-coded: the background label
    semantic = reader.load("0001.png").semantic
    assert semantic.tolist() == [[3, 3, 5, 3, 3]]  # Bicyclist (0,128,192), Road (128,64,128)


def test_prefixes_are_stripped_to_pair_files():
    reader = open_reader(conformance(ROOT) / "non_standard_dataset")
    assert reader.mask_relpath("image_0001.png") == "gt_0001.png"
    assert reader.mask_relpath("image_0002.png") == "gt_0002.png"


def test_unpaired_files_are_reported(tmp_path):
    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    Image.new("RGB", (4, 3)).save(root / "images" / "a.png")
    Image.new("RGB", (4, 3)).save(root / "images" / "b.png")
    Image.new("L", (4, 3)).save(root / "masks" / "a.png")
    Image.new("L", (4, 3)).save(root / "masks" / "c.png")
    reader = open_reader(root)
    assert reader.keys() == ["a.png"]
    messages = sorted(p.message for p in reader.problems)
    assert len(messages) == 2 and "no mask" in messages[1] and "without an image" in messages[0]


def test_sixteen_bit_masks_stay_sixteen_bit(tmp_path):
    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    Image.new("RGB", (6, 4), (10, 20, 30)).save(root / "images" / "a.png")
    values = np.arange(24, dtype=np.uint16).reshape(4, 6) * 1000
    Image.fromarray(values).save(root / "masks" / "a.png")
    reader = open_reader(root)
    sample = reader.load("a.png")
    assert sample.semantic.dtype == np.uint16 and sample.semantic.max() == 23000
    writer = open_writer(reader, tmp_path / "out")
    writer.finalize([writer.write_item("a.png", 1, sample)])
    again = MaskFolderReader(writer.out).load("a__aug1.png")
    np.testing.assert_array_equal(again.semantic, values)
