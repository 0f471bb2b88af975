"""Semantic-mask layouts of the public benchmarks read, augment and write back (issue 9, items 5, 7).

Conformance fixtures (Datumaro's Cityscapes, ADE20K 2017/2020, CamVid and
Mapillary Vistas) and replicas of LoveDA, LIP, labelme's export, Kaggle's
CamVid and ISPRS tiles: each is detected, an identity run reproduces the
whole input tree byte for byte, and a flipped copy reads back paired with
its mask, whose classes are the original's mirrored.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import replicas
from conformance import conformance
from typer.testing import CliRunner

import augcli
from augcli.cli.app import app
from augcli.formats.masks.reader import MaskFolderReader
from augcli.formats.naming import CopyNames
from augcli.formats.registry import open_reader
from augcli.formats.splits import split_names_of

CONVERT = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}
FLIP = {"version": 1, "seed": 3, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}
FIXTURES = {
    "cityscapes_dataset/dataset": ("cityscapes", 4),
    "cityscapes_dataset/train_dataset": ("cityscapes", 4),
    "ade20k2017_dataset/dataset": ("ade20k", 2),
    "ade20k2017_dataset/dataset_with_meta_file": ("ade20k", 1),
    "ade20k2020_dataset/dataset": ("ade20k", 2),
    "ade20k2020_dataset/dataset_with_meta_file": ("ade20k", 1),
    "camvid_dataset": ("camvid", 4),
    "mapillary_vistas_dataset": ("mapillary", 3),
}
REPLICAS = {
    "loveda": ("folders", 4),
    "lip": ("folders", 4),
    "labelme_semantic": ("folders", 2),
    "kaggle_camvid": ("camvid", 4),
}


def tree(root) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".augcli" not in p.relative_to(root).parts
    }


def _fixture(name):
    return conformance(f"datumaro/{name}")


def _source(kind, name, tmp_path):
    if kind == "fixture":
        return _fixture(name)
    return getattr(replicas, name)(tmp_path / name)


CASES = [("fixture", n, *v) for n, v in FIXTURES.items()] + [("replica", n, *v) for n, v in REPLICAS.items()]
IDS = [c[1] for c in CASES]


@pytest.mark.parametrize(("kind", "name", "layout", "count"), CASES, ids=IDS)
def test_layout_is_detected_and_identity_is_lossless(kind, name, layout, count, tmp_path):
    source = _source(kind, name, tmp_path)
    reader = open_reader(source)
    assert isinstance(reader, MaskFolderReader) and reader.layout.name == layout
    assert len(reader.keys()) == count and reader.problems == []
    report = augcli.expand(source, CONVERT, tmp_path / "out", workers=1)
    assert report.skipped == []
    assert tree(tmp_path / "out") == tree(source)  # every file, sidecars and lists included


@pytest.mark.parametrize(("kind", "name", "layout", "count"), CASES, ids=IDS)
def test_flipped_copies_pair_with_their_mirrored_masks(kind, name, layout, count, tmp_path):
    source = _source(kind, name, tmp_path)
    reader = open_reader(source)
    every_split = split_names_of(reader)  # by default only train would get copies
    augcli.expand(source, FLIP, tmp_path / "out", workers=1, splits=every_split)
    again = open_reader(tmp_path / "out")
    assert again.problems == [] and len(again.keys()) == 2 * count
    for key in reader.keys():
        original = reader.load(key)
        copy_key = CopyNames(reader.keys(), by_stem=True).name(key, 1, "", suffix=reader.layout.image_suffix)
        copy = again.load(copy_key)
        np.testing.assert_array_equal(copy.semantic, original.semantic[:, ::-1])
        np.testing.assert_array_equal(copy.image.shape, original.image.shape)


def test_benchmark_classes_are_named():
    cityscapes = open_reader(_fixture("cityscapes_dataset/train_dataset"))
    assert cityscapes.layout.mask_suffix == "_gtFine_labelTrainIds"
    assert cityscapes.categories.names()[14] == "truck" and cityscapes.ignore_index == 255
    assert open_reader(_fixture("cityscapes_dataset/dataset")).categories.names()[26] == "car"
    camvid = open_reader(_fixture("camvid_dataset"))
    key = "train/0001TP_006690.png"
    names = camvid.categories.names()
    assert {names[v] for v in np.unique(camvid.load(key).semantic)} == {"Bicyclist", "Road"}
    mapillary = open_reader(_fixture("mapillary_vistas_dataset"))
    assert mapillary.layout.version == "v2.0" and mapillary.categories.names()[2] == "Bicycle"
    ade = open_reader(_fixture("ade20k2020_dataset/dataset"))
    assert set(np.unique(ade.load("training/street/1.jpg").semantic)) == {
        0,
        15 // 10 * 256 + 145,
        71 // 10 * 256 + 39,
    }


def test_rgb_masks_without_a_palette_are_refused_before_any_work(tmp_path):
    source = replicas.isprs_rgb(tmp_path / "isprs")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("version: 1\npipeline: [{HorizontalFlip: {p: 0.5}}]\n")
    result = CliRunner().invoke(app, ["validate", str(recipe), "--dataset", str(source)])
    assert result.exit_code == 4 and "no palette" in result.output
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["expand", str(source), "-r", str(recipe), "-o", str(out)])
    assert result.exit_code == 4 and "--palette" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_rgb_masks_read_through_a_palette_given_on_the_command_line(tmp_path):
    source = replicas.isprs_rgb(tmp_path / "isprs")
    palette = tmp_path / "isprs_palette.yaml"
    palette.write_text("".join(f"{n}: [{c[0]}, {c[1]}, {c[2]}]\n" for n, c in replicas.ISPRS_COLOURS.items()))
    reader = open_reader(source, palette=palette)
    assert reader.categories.names()[1] == "building"
    sample = reader.load(reader.keys()[0])
    assert set(np.unique(sample.semantic)) == set(range(6))
    recipe = tmp_path / "r.yaml"
    recipe.write_text("version: 1\ncopies: 1\npipeline: [{HorizontalFlip: {p: 1}}]\n")
    out = tmp_path / "out"
    args = [
        "expand",
        str(source),
        "-r",
        str(recipe),
        "-o",
        str(out),
        "--palette",
        str(palette),
        "--to",
        "voc",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    names = [line.split(":")[0] for line in (out / "labelmap.txt").read_text().splitlines()[1:]]
    assert names[:3] == ["impervious_surfaces", "building", "low_vegetation"]


def test_masks_folder_and_mask_pattern_options(tmp_path):
    source = replicas.kaggle_camvid(tmp_path / "camvid")
    reader = open_reader(
        source,
        images=source / "val",
        masks=source / "val_labels",
        mask_pattern="*_L.png",
        palette=source / "class_dict.csv",
    )
    assert reader.layout.mask_suffix == "_L" and len(reader.keys()) == 2
    assert reader.mask_relpath(reader.keys()[0]).endswith("_L.png")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("version: 1\npipeline: []\n")
    args = ["validate", str(recipe), "--dataset", str(source), "--masks", str(source / "val_labels")]
    args += [
        "--images",
        str(source / "val"),
        "--mask-pattern",
        "_L",
        "--palette",
        str(source / "class_dict.csv"),
    ]
    assert CliRunner().invoke(app, args).exit_code == 0


@pytest.mark.slow
def test_workers_do_not_change_the_output_of_a_benchmark_layout(tmp_path):
    source = _fixture("cityscapes_dataset/train_dataset")
    recipe = {
        "version": 1,
        "seed": 11,
        "copies": 3,
        "pipeline": [{"HorizontalFlip": {"p": 0.5}}, {"Affine": {"rotate": [-20, 20], "p": 0.8}}],
    }
    every_split = split_names_of(open_reader(source))
    augcli.expand(source, recipe, tmp_path / "one", workers=1, splits=every_split)
    augcli.expand(source, recipe, tmp_path / "two", workers=2, splits=every_split)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    assert json.dumps(sorted(tree(tmp_path / "one"))).count("__aug3") == 4 * 2  # image + mask per item
