"""Hostile paths never make augcli read outside the dataset or write outside OUT.

A sentinel tree sits beside the dataset; it and the whole input tree are
hashed before and after hostile runs (fresh, --overwrite, --resume, 1 and 2
workers) and must not change by a single byte.
"""

from __future__ import annotations

import json
import os

import pytest
from reliability_helpers import (
    RECIPE,
    encode,
    install_crash_point,
    make_dataset,
    pixels,
    run_forked,
    tree_digest,
)

import augcli
from augcli.core.errors import UsageError

HOSTILE_NAMES = [
    "/etc/passwd",
    "SENTINEL_ABS",  # replaced by the sentinel image's absolute path
    "../../sentinel/secret.png",
    "sub/../../../sentinel/secret.png",
    "..\\..\\sentinel\\secret.png",
    "C:\\Windows\\win.ini",
    "img_00.jpg\x00.png",
    "link_out.png",  # a symlink to the sentinel image
    "link_dir/deep.png",  # a symlinked folder that leaves the dataset
    "",
    ".",
    "../images/img_00.jpg",
    "x" * 5000 + ".png",
]


@pytest.fixture
def hostile(tmp_path) -> dict:
    sentinel = tmp_path / "sentinel"
    (sentinel / "sub").mkdir(parents=True)
    (sentinel / "secret.png").write_bytes(encode(pixels(40, 32, 99), "PNG"))
    (sentinel / "sub" / "deep.png").write_bytes(encode(pixels(40, 32, 98), "PNG"))
    (sentinel / "notes.txt").write_text("do not touch")
    ann = make_dataset(tmp_path / "data")
    images = tmp_path / "data" / "images"
    os.symlink(sentinel / "secret.png", images / "link_out.png")
    os.symlink(sentinel / "sub", images / "link_dir")
    coco = json.loads(ann.read_text())
    next_id = 100
    for name in HOSTILE_NAMES:
        name = str(sentinel / "secret.png") if name == "SENTINEL_ABS" else name
        coco["images"].append({"id": next_id, "file_name": name, "width": 40, "height": 32})
        coco["annotations"].append(
            {
                "id": next_id,
                "image_id": next_id,
                "category_id": 7,
                "bbox": [1, 1, 10, 10],
                "area": 100,
                "iscrowd": 0,
            }
        )
        next_id += 1
    ann.write_text(json.dumps(coco))
    return {"sentinel": sentinel, "data": tmp_path / "data", "ann": ann, "tmp": tmp_path}


def snapshot(paths: dict) -> tuple:
    return tree_digest(paths["sentinel"]), tree_digest(paths["data"])


@pytest.mark.parametrize("workers", [1, 2])
def test_hostile_file_names_are_refused_per_item_and_nothing_outside_changes(hostile, workers):
    before = snapshot(hostile)
    out = hostile["tmp"] / "out"
    report = augcli.expand(hostile["ann"], RECIPE, out, workers=workers)
    assert snapshot(hostile) == before
    refused = {s["image"] for s in report.skipped}
    assert refused == set(range(100, 100 + len(HOSTILE_NAMES)))  # every hostile entry, by id
    assert all(s["file"] for s in report.skipped)
    assert report.images_out == 4 * 3
    written = [p for p in out.rglob("*") if p.is_file() or p.is_symlink()]
    assert all(p.resolve().is_relative_to(out.resolve()) for p in written)
    assert not any(p.is_symlink() for p in written)
    assert not any("secret" in p.name or "deep" in p.name for p in written)
    # a rerun over the same OUT, and a resume of it, change nothing outside either
    augcli.expand(hostile["ann"], RECIPE, out, workers=workers, overwrite=True)
    augcli.expand(hostile["ann"], RECIPE, out, workers=workers, resume=True)
    assert snapshot(hostile) == before


def test_an_output_folder_linked_into_the_input_is_never_written_through(hostile):
    before = snapshot(hostile)
    out = hostile["tmp"] / "out"

    def killed_run():
        install_crash_point("after-journal-flush", 1)
        augcli.expand(hostile["ann"], RECIPE, out, workers=1)

    assert run_forked(killed_run) < 0
    # someone replaces OUT/images by a link to the input images, then resumes
    for child in (out / "images").iterdir():
        child.unlink()
    (out / "images").rmdir()
    os.symlink(hostile["data"] / "images", out / "images")
    report = augcli.expand(hostile["ann"], RECIPE, out, workers=1, resume=True)
    assert snapshot(hostile) == before
    refused = [s for s in report.skipped if "outside the output folder" in s["message"]]
    assert len(refused) == 3  # the images the killed run had not finished


def test_a_linked_marker_folder_is_not_followed(hostile):
    before = snapshot(hostile)
    out = hostile["tmp"] / "out"
    out.mkdir()
    os.symlink(hostile["sentinel"], out / ".augcli")
    for flags in ({"overwrite": True}, {"resume": True}):
        with pytest.raises(UsageError, match="not written by augcli"):
            augcli.expand(hostile["ann"], RECIPE, out, workers=1, **flags)
    assert snapshot(hostile) == before


@pytest.mark.parametrize("where", ["sentinel", "inside", "contains"])
def test_foreign_or_overlapping_outputs_are_refused_before_anything_is_written(hostile, where):
    before = snapshot(hostile)
    out = {
        "sentinel": hostile["sentinel"],
        "inside": hostile["data"] / "images" / "out",
        "contains": hostile["tmp"],
    }[where]
    for flags in ({}, {"overwrite": True}, {"resume": True}):
        with pytest.raises(UsageError):
            augcli.expand(hostile["ann"], RECIPE, out, workers=1, **flags)
    assert snapshot(hostile) == before
    assert not (hostile["data"] / "images" / "out").exists()


def test_output_names_are_generated_from_the_checked_input_names(hostile):
    out = hostile["tmp"] / "out"
    augcli.expand(hostile["ann"], RECIPE, out, workers=1)
    coco = json.loads((out / "annotations" / "instances_train.json").read_text())
    names = sorted(im["file_name"] for im in coco["images"])
    expected = sorted(f"img_{i:02d}{ext}" for i, ext in enumerate([".jpg", ".png", ".png", ".png"]))
    expected += sorted(
        f"img_{i:02d}__aug{k}{ext}" for i, ext in enumerate([".jpg", ".png", ".png", ".png"]) for k in (1, 2)
    )
    assert names == sorted(expected)
    on_disk = sorted(p.name for p in (out / "images").iterdir())
    assert on_disk == sorted(expected)
