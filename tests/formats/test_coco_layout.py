"""Where COCO files are found, which folder the output mirrors, and path safety."""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
from format_helpers import image_entry, noise_image, save_image
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.errors import DatasetError, ImageReadError, OutputError
from augcli.formats.base import WriteOptions
from augcli.formats.coco import CocoReader, CocoWriter, layout
from augcli.formats.registry import open_reader, open_writer


def coco_for(*names: str, size=(8, 6)) -> dict:
    return {
        "categories": [{"id": 1, "name": "thing"}],
        "images": [
            {"id": i + 1, "file_name": n, "width": size[0], "height": size[1]} for i, n in enumerate(names)
        ],
        "annotations": [
            {"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0}
            for i in range(len(names))
        ],
    }


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


LAYOUTS = {
    # name: (annotation file, image folder), relative to the dataset folder
    "beside the json (roboflow)": ("train/_annotations.coco.json", "train"),
    "../images": ("annotations/instances.json", "images"),
    "../<split> (mmdet)": ("annotations/instances_val2017.json", "val2017"),
    "../images/<split>": ("annotations/person_keypoints_val.json", "images/val"),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_usual_layouts_are_found_and_mirrored(name: str, tmp_path: Path) -> None:
    json_rel, image_rel = LAYOUTS[name]
    data = tmp_path / "data"
    save_image(data / image_rel / "sub" / "a.png", noise_image(8, 6))
    save_image(data / "decoy" / "sub" / "a.png", noise_image(8, 6))
    ann = write_json(data / json_rel, coco_for("sub/a.png"))

    reader = open_reader(ann)
    assert reader.image_dir.resolve() == (data / image_rel).resolve()
    assert reader.root == Path(os.path.commonpath([ann.parent.resolve(), (data / image_rel).resolve()]))
    assert reader.problems == [] and reader.keys() == ["sub/a.png"]
    writer = open_writer(reader, tmp_path / "out")
    assert (
        writer.output_relpath("sub/a.png", 0).as_posix()
        == (data / image_rel / "sub/a.png").resolve().relative_to(reader.root).as_posix()
    )
    assert writer.output_relpath("sub/a.png", 2).name == "a__aug2.png"
    assert writer.annotation_path == tmp_path / "out" / ann.resolve().relative_to(reader.root)


def test_images_argument_wins_and_sets_the_root(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "pictures" / "a.png", noise_image(8, 6))
    save_image(data / "gts" / "v1" / "a.png", noise_image(8, 6, seed=1))  # beside the json: ignored
    ann = write_json(data / "gts" / "v1" / "instances_default.json", coco_for("a.png"))
    reader = open_reader(ann, images=data / "pictures")
    assert reader.source_path("a.png") == data / "pictures" / "a.png"
    assert reader.root == data.resolve()
    assert reader.annotation_relpath == Path("gts/v1/instances_default.json")


def test_folder_source_picks_its_single_json_or_lists_the_choices(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "images" / "a.png", noise_image(8, 6))
    ann = write_json(data / "annotations" / "instances_x.json", coco_for("a.png"))
    write_json(data / "annotations" / "captions_x.json", {"images": [], "annotations": []})
    assert layout.find_annotation_file(data) == ann.absolute()
    write_json(data / "annotations" / "instances_y.json", coco_for("a.png"))
    with pytest.raises(DatasetError) as caught:
        layout.find_annotation_file(data)
    assert "instances_x.json" in str(caught.value) and "instances_y.json" in str(caught.value)


def test_not_a_dataset_is_refused_clearly(tmp_path: Path) -> None:
    results = write_json(tmp_path / "dets.json", {"x": 1})
    results.write_text(json.dumps([{"image_id": 1, "bbox": [0, 0, 1, 1], "score": 0.9}]))
    with pytest.raises(DatasetError, match="detection results"):
        CocoReader(results)
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    with pytest.raises(DatasetError, match="line 1"):
        CocoReader(broken)


def test_no_image_found_anywhere_is_a_dataset_error(tmp_path: Path) -> None:
    ann = write_json(tmp_path / "data" / "annotations" / "instances.json", coco_for("a.png", "b.png"))
    with pytest.raises(DatasetError, match="--images"):
        CocoReader(ann)


def test_missing_images_are_reported_one_by_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "images" / "a.png", noise_image(8, 6))
    save_image(data / "images" / "c.png", noise_image(8, 6))
    ann = write_json(data / "annotations" / "instances.json", coco_for("a.png", "b.png", "c.png"))
    reader = CocoReader(ann)
    assert reader.keys() == ["a.png", "c.png"]
    assert len(reader.problems) == 1
    problem = reader.problems[0]
    assert isinstance(problem, ImageReadError) and problem.image == 2
    assert problem.file == str(data / "images" / "b.png")
    assert "not found" in str(problem) and "'b.png'" in str(problem)
    assert reader.annotation_count() == 2

    # the label file names only written images; --keep-invalid keeps the entry as read
    for keep, image_ids in ((False, [1, 3]), (True, [1, 2, 3])):
        out = tmp_path / f"out-{keep}"
        writer = CocoWriter(reader, out, WriteOptions(keep_invalid=keep))
        writer.finalize([writer.write_original(k) for k in reader.keys()])
        written = json.loads(writer.annotation_path.read_text())
        assert [im["id"] for im in written["images"]] == image_ids
        assert [a["image_id"] for a in written["annotations"]] == image_ids
        assert sorted(p.name for p in out.rglob("*.png")) == ["a.png", "c.png"]
    assert problem.to_record()["raw"] == json.loads(ann.read_text())["images"][1]


@pytest.mark.parametrize(
    "file_name, reason",
    [
        ("../outside.png", "'..'"),
        ("sub/../../outside.png", "'..'"),
        ("/etc/passwd", "absolute"),
        ("C:\\images\\a.png", "absolute"),
        ("a\x00.png", "NUL"),
        ("", "missing or empty"),
        (None, "missing or empty"),
    ],
)
def test_escaping_file_names_are_item_errors(file_name, reason: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "images" / "a.png", noise_image(8, 6))
    save_image(tmp_path / "outside.png", noise_image(8, 6))
    ann = write_json(data / "annotations" / "instances.json", coco_for("a.png", "x"))
    coco = json.loads(ann.read_text())
    coco["images"][1]["file_name"] = file_name
    ann.write_text(json.dumps(coco))
    reader = CocoReader(ann)
    assert reader.keys() == ["a.png"]
    assert len(reader.problems) == 1 and reason in str(reader.problems[0])
    assert reader.problems[0].image == 2


def test_symlink_leaving_the_dataset_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "images" / "a.png", noise_image(8, 6))
    secret = save_image(tmp_path / "elsewhere" / "secret.png", noise_image(8, 6))
    (data / "images" / "b.png").symlink_to(secret)
    ann = write_json(data / "annotations" / "instances.json", coco_for("a.png", "b.png"))
    reader = CocoReader(ann)
    assert reader.keys() == ["a.png"]
    assert "outside the dataset folder" in str(reader.problems[0])


def test_output_paths_stay_inside_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "images").symlink_to(elsewhere)
    with pytest.raises(OutputError):
        layout.safe_output_path(out, "images/a.png")
    with pytest.raises(OutputError):
        layout.safe_output_path(out, "../a.png")
    assert not any(elsewhere.iterdir())
    assert layout.safe_output_path(out, "x/y/a.png") == out / "x" / "y" / "a.png"


def test_duplicate_file_names_get_distinct_keys_and_outputs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "images" / "a.png", noise_image(8, 6))
    ann = write_json(data / "annotations" / "instances.json", coco_for("a.png", "a.png"))
    reader = CocoReader(ann)
    assert reader.keys() == ["a.png", "a.png#2"]
    writer = CocoWriter(reader, tmp_path / "out")
    names = {writer.output_relpath(k, 1).name for k in reader.keys()}
    assert names == {"a__aug1.png", "a__aug1_dup2.png"}


@pytest.mark.parametrize(
    "file_name, copy, expected",
    [
        ("a.rf.123.jpg", 1, "a.rf.123__aug1.jpg"),
        ("train/x.png", 12, "train/x__aug12.png"),
        ("win\\dir\\x.JPG", 2, "win\\dir\\x__aug2.JPG"),
        ("noext", 1, "noext__aug1"),
    ],
)
def test_augmented_names(file_name: str, copy: int, expected: str) -> None:
    from augcli.formats.naming import CopyNames

    assert CopyNames([file_name]).name(file_name, copy, "salt") == expected


def test_backslash_file_names_resolve_and_mirror(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "images" / "sub" / "a.png", noise_image(8, 6))
    ann = write_json(data / "annotations" / "instances.json", coco_for("sub\\a.png"))
    reader = CocoReader(ann)
    assert reader.keys() == ["sub/a.png"]
    writer = CocoWriter(reader, tmp_path / "out")
    record = writer.write_item("sub/a.png", 1, reader.load("sub/a.png"))
    assert image_entry(record)["file_name"] == "sub\\a__aug1.png"
    assert (tmp_path / "out" / "images" / "sub" / "a__aug1.png").is_file()
    assert np.array_equal(CocoReader(ann).load("sub/a.png").image, noise_image(8, 6))


def test_export_root_with_split_folders_is_one_dataset_of_splits(tmp_path: Path) -> None:
    for number, split in enumerate(("valid", "train")):
        save_image(tmp_path / "export" / split / "a.png", noise_image(8, 6, seed=number))
        write_json(tmp_path / "export" / split / "_annotations.coco.json", coco_for("a.png"))
    reader = open_reader(tmp_path / "export")
    assert reader.split_names() == ["train", "val"]  # valid means val; train first
    assert reader.keys() == ["train/a.png", "val/a.png"]
    assert [reader.split_of(k) for k in reader.keys()] == ["train", "val"]
    assert np.array_equal(reader.load("val/a.png").image, noise_image(8, 6, seed=0))
    writer = open_writer(reader, tmp_path / "out")
    assert writer.output_relpath("val/a.png", 0).as_posix() == "valid/a.png"
    single = open_reader(tmp_path / "export" / "valid")
    assert single.keys() == ["a.png"] and single.split_names() == ["val"]


def test_split_files_that_disagree_on_categories_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for split in ("train", "val"):
        save_image(data / "images" / split / "a.png", noise_image(8, 6))
    write_json(data / "annotations" / "instances_train.json", coco_for("a.png"))
    other = coco_for("a.png")
    other["categories"] = [{"id": 1, "name": "other"}]
    write_json(data / "annotations" / "instances_val.json", other)
    with pytest.raises(
        DatasetError, match="category id 1 is 'thing' in split train but 'other' in split val"
    ):
        open_reader(data)


def test_two_files_of_one_split_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_image(data / "images" / "train2017" / "a.png", noise_image(8, 6))
    write_json(data / "annotations" / "instances_train2017.json", coco_for("a.png"))
    write_json(data / "annotations" / "person_keypoints_train2017.json", coco_for("a.png"))
    with pytest.raises(DatasetError, match="both hold split 'train2017'; pass the one to use as SOURCE"):
        open_reader(data)
    assert open_reader(data / "annotations" / "instances_train2017.json").split_names() == ["train2017"]


@pytest.mark.parametrize(
    "relpath, split",
    [
        ("annotations/instances_val2017.json", "val2017"),
        ("annotations/person_keypoints_train2017.json", "train2017"),
        ("valid/_annotations.coco.json", "val"),
        ("test/_annotations.coco.json", "test"),
        ("annotations/test_coco.json", "default"),
        ("export/_annotations.coco.json", "default"),
        ("annotations/val.json", "val"),
    ],
)
def test_split_names_come_from_the_file_or_its_folder(relpath: str, split: str) -> None:
    assert layout.split_name(Path("/d") / relpath) == split


def test_unknown_format_name_is_a_usage_error(tmp_path: Path) -> None:
    from augcli.core.errors import UsageError

    ann = write_json(tmp_path / "a.json", coco_for())
    with pytest.raises(UsageError, match="known formats: coco"):
        open_reader(ann, fmt="nope")


def test_non_ascii_file_names_round_trip(tmp_path: Path) -> None:
    from conformance import conformance

    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    photo = conformance("labelimg_unicode/臉書.jpg")
    (data / "images" / "臉書.jpg").write_bytes(photo.read_bytes())
    ann = write_json(data / "annotations" / "instances.json", coco_for("臉書.jpg", size=(33, 32)))
    reader = CocoReader(ann)
    writer = CocoWriter(reader, tmp_path / "out")
    records = [writer.write_original("臉書.jpg"), writer.write_item("臉書.jpg", 1, reader.load("臉書.jpg"))]
    writer.finalize(records)
    assert "臉書__aug1.jpg" in writer.annotation_path.read_text(encoding="utf-8")
    assert (tmp_path / "out" / "images" / "臉書__aug1.jpg").is_file()
    assert (
        json.loads(writer.annotation_path.read_text())["images"][0]
        == coco_for("臉書.jpg", size=(33, 32))["images"][0]
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abC./\\ :é\t", max_size=8))
def test_a_clean_file_name_is_its_posix_path(name: str) -> None:
    """A one-component name skips pathlib (the usual case): the same name or the same refusal."""
    try:
        cleaned = layout.clean_file_name(name)
    except ImageReadError:
        return
    path = PurePosixPath(name.replace("\\", "/"))
    assert cleaned == path.as_posix() and ".." not in path.parts and not path.is_absolute()
