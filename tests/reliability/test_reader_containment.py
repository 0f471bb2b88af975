"""Every file a reader opens stays inside the dataset; listing never hangs or repeats.

Property: whatever label files of a dataset are swapped for symlinks to copies
outside it (carrying a secret marker), and whatever loops or FIFOs sit in its
image folder, a run ends (or refuses the dataset with exit 4), never writes
the marker into OUT, names every planted file, and lists each image once.
"""

from __future__ import annotations

import os

import pytest
from format_trees import TREES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import augcli
from augcli.core.errors import DatasetError

SECRET = b"\nSECRET-MARKER-FROM-OUTSIDE\n"
IMAGE_FOLDERS = {"voc": "JPEGImages", "yolo": "images/train", "masks": "images", "coco": "images"}
RECIPE = {"version": 1, "seed": 3, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}


def _plant_outside(path, outside_dir) -> None:
    """Replace ``path`` by a symlink to an outside copy that still parses (plus the marker)."""
    copy = outside_dir / (path.name + ".outside")
    data = path.read_bytes()
    copy.write_bytes(data + SECRET)  # PNG readers ignore trailing bytes; text gains a line
    path.unlink()
    path.symlink_to(copy)


def _output_bytes(out) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file() and not p.is_symlink())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fmt=st.sampled_from(sorted(TREES)),
    planted=st.sets(st.integers(0, 3), max_size=3),
    loop=st.booleans(),
    fifo=st.booleans(),
)
def test_planted_links_loops_and_fifos_never_leak_or_hang(tmp_path_factory, fmt, planted, loop, fifo):
    base = tmp_path_factory.mktemp(fmt)
    outside = base / "outside"
    outside.mkdir()
    source, files = TREES[fmt](base / "data")
    planted_paths = [base / "data" / files[i] for i in sorted(planted) if i < len(files) and fmt != "coco"]
    for path in planted_paths:
        _plant_outside(path, outside)
    images = base / "data" / IMAGE_FOLDERS[fmt]
    expected_images = sum(1 for p in images.rglob("*.png"))
    if loop:
        os.symlink(images, images / "loop")
        os.symlink(base, images / "up_and_out")
    if fifo:
        os.mkfifo(images / "fifo.png")
    out = base / "out"
    try:
        report = augcli.expand(source, RECIPE, out, workers=1)
    except DatasetError as err:  # a class list or data.yaml outside: the dataset as a whole is refused
        assert any(str(p) in str(err) for p in planted_paths), err
        assert not out.exists() or SECRET not in _output_bytes(out)
        return
    assert SECRET not in _output_bytes(out)
    named = " ".join(str(s.get("file")) for s in report.skipped)
    skipped_stems = {os.path.splitext(os.path.basename(str(s.get("file"))))[0] for s in report.skipped}
    for path in planted_paths:  # named itself, or its item was refused for another planted file
        assert str(path) in named or path.stem in skipped_stems, f"{path} was not reported"
    if fifo and fmt != "coco":  # COCO lists no folder: its JSON names the images
        assert "fifo.png" in named
    listed = [p for p in (out / IMAGE_FOLDERS[fmt]).rglob("*.png") if "__aug" not in p.name]
    assert len(listed) <= expected_images  # a loop lists nothing twice


@pytest.mark.parametrize("fmt", ["masks", "voc", "yolo"])  # the formats that list folders
def test_a_symlink_loop_in_the_image_folder_lists_every_image_once(tmp_path, fmt):
    source, _ = TREES[fmt](tmp_path / "data")
    images = tmp_path / "data" / IMAGE_FOLDERS[fmt]
    os.symlink(".", images / "self")
    os.symlink(images, images / "again")
    report = augcli.expand(source, RECIPE, tmp_path / "out", workers=1)
    reference = augcli.expand(*(TREES[fmt](tmp_path / "clean")[:1]), RECIPE, tmp_path / "out2", workers=1)
    assert report.images_in == reference.images_in
    assert any("loop" in str(s.get("message")) for s in report.skipped)


@pytest.mark.parametrize("layout", ["single", "splits"])
def test_a_coco_json_found_in_the_folder_must_not_link_outside(tmp_path, layout):
    """An annotation file that the folder SOURCE lists is a dataset file like any other;
    a JSON given as SOURCE itself is the user's choice and may be a link."""
    from reliability_helpers import make_dataset

    json_path = make_dataset(tmp_path / "data")  # data/annotations/instances_train.json
    if layout == "splits":
        (json_path.parent / "instances_val.json").write_bytes(json_path.read_bytes())
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes(json_path.read_bytes())
    json_path.unlink()
    json_path.symlink_to(outside)
    with pytest.raises(DatasetError, match="outside the dataset folder") as caught:
        augcli.expand(tmp_path / "data", RECIPE, tmp_path / "out", workers=1)
    assert caught.value.file == str(json_path)
    assert not (tmp_path / "out").exists()
    report = augcli.expand(json_path, RECIPE, tmp_path / "direct", workers=1)  # named by the user
    assert report.images_out > 0


@pytest.mark.parametrize("layout", ["labelme_instances", "labelme_semantic"])
def test_labelme_class_names_must_not_link_outside(tmp_path, layout):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "formats"))
    import replicas

    source = getattr(replicas, layout)(tmp_path / "data")
    names = source / "class_names.txt"
    outside = tmp_path / "names.txt"
    outside.write_bytes(names.read_bytes() + SECRET)
    names.unlink()
    names.symlink_to(outside)
    with pytest.raises(DatasetError, match="outside the dataset folder") as caught:
        augcli.expand(source, RECIPE, tmp_path / "out", workers=1)
    assert caught.value.file == str(names)
