"""Resource bounds hold before any work: recipe errors (exit 3) and dataset errors (exit 4),
never an out-of-memory kill or an internal error; outputs stay readable by augcli itself."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import yaml
from format_trees import masks_tree, yolo_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability_helpers import REPO, encode

import augcli
from augcli.core.errors import DatasetError, RecipeError
from augcli.recipe.catalog import full_registry
from augcli.recipe.recipe import recipe_from_text
from augcli.transforms.params import COST_BOUNDS

BOUNDED = sorted(
    (name, param.name, param.high)
    for name, cls in full_registry().items()
    for param in getattr(cls, "params", ())
    if param.name in COST_BOUNDS and param.high is not None
)


def test_every_cost_parameter_has_an_upper_bound_that_the_catalogue_shows():
    from augcli.cli.catalog_view import transform_info

    assert len(BOUNDED) > 40
    for name, param, high in BOUNDED:
        info = transform_info(full_registry()[name])
        shown = next(p for p in info["params"] if p["name"] == param)
        assert f"<= {high:g}" in shown["type"], (name, param, shown)


@settings(max_examples=40, deadline=None)
@given(case=st.sampled_from(BOUNDED), excess=st.floats(min_value=1.001, max_value=1e9))
def test_a_cost_parameter_above_its_bound_is_a_recipe_error(case, excess):
    name, param, high = case
    spec = next(p for p in full_registry()[name].params if p.name == param)
    value = int(high * excess) + 1 if spec.kind in ("int", "int_range", "any") else high * excess
    if spec.kind in ("range", "int_range"):
        value = [value, value]
    text = yaml.safe_dump({"version": 1, "pipeline": [{name: {param: value}}]})
    with pytest.raises(RecipeError, match=f"{param} .*(<= {high:g}|between .* and {high:g})"):
        recipe_from_text(text)


@pytest.mark.parametrize(
    "recipe",
    [
        "version: 1\ncopies: 1e9\npipeline: [{HorizontalFlip: {}}]\n",
        "version: 1\npipeline: [{SomeOf: {n: 1e8, transforms: [{HorizontalFlip: {}}]}}]\n",
        "version: 1\npipeline: [{Resize: {height: 1000000000, width: 10}}]\n",
        "version: 1\npipeline: [{LongestMaxSize: {max_size: 100000000}}]\n",
        "version: 1\npipeline: [{GaussianBlur: {blur_limit: [3, 100001]}}]\n",
    ],
)
def test_costly_recipes_exit_3_before_any_work(tmp_path, recipe):
    source, _ = yolo_tree(tmp_path / "data")
    path = tmp_path / "recipe.yaml"
    path.write_text(recipe)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "augcli",
            "expand",
            str(source),
            "-r",
            str(path),
            "-o",
            str(tmp_path / "o"),
            "-q",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert not (tmp_path / "o").exists()


def test_copies_above_the_bound_from_python_is_a_recipe_error(tmp_path):
    source, _ = yolo_tree(tmp_path / "data")
    with pytest.raises(RecipeError, match="copies"):
        augcli.expand(source, {"version": 1, "pipeline": []}, tmp_path / "o", copies=10**12)


@pytest.mark.parametrize(
    "field",
    ["nc: 1000000000000", "kpt_shape: [100000000, 3]", "kpt_shape: [1e8, 3]", "names: {1000000000000: a}"],
)
def test_huge_yolo_class_or_keypoint_counts_are_dataset_errors(tmp_path, field):
    source, _ = yolo_tree(tmp_path / "data")
    text = source.read_text().replace(
        "names: [cat, dog]", field if "names" in field else f"names: [a, b]\n{field}"
    )
    source.write_text(text)
    with pytest.raises(DatasetError):
        augcli.expand(source, {"version": 1, "pipeline": []}, tmp_path / "o")


def test_a_yaml_alias_bomb_in_data_yaml_is_refused_at_once(tmp_path):
    source, _ = yolo_tree(tmp_path / "data")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi")
    )
    source.write_text(source.read_text() + bomb)
    with pytest.raises(DatasetError, match="aliases"):
        augcli.expand(source, {"version": 1, "pipeline": []}, tmp_path / "o")


def test_a_tag_in_classes_yaml_is_refused(tmp_path):
    root, _ = masks_tree(tmp_path / "data")
    (root / "classes.txt").unlink()
    (root / "classes.yaml").write_text("names: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(DatasetError, match="tag"):
        augcli.expand(root, {"version": 1, "pipeline": []}, tmp_path / "o")


def test_masks_obey_the_pixel_limit_before_decoding(tmp_path, monkeypatch):
    root, _ = masks_tree(tmp_path / "data")
    monkeypatch.setenv("AUGCLI_MAX_PIXELS", "1000")  # the 40x32 masks are 1280 pixels
    report = augcli.expand(root, {"version": 1, "pipeline": []}, tmp_path / "o", workers=1)
    assert report.images_out == 0
    assert all("above the limit of 1000" in s["message"] for s in report.skipped), report.skipped


def test_masks_must_be_lossless_whatever_their_name(tmp_path):
    root, _ = masks_tree(tmp_path / "data")
    values = np.zeros((32, 40), dtype=np.uint8)
    (root / "masks" / "a.png").write_bytes(encode(values, "PCX"))  # a PCX named .png
    report = augcli.expand(root, {"version": 1, "pipeline": []}, tmp_path / "o", workers=1)
    assert any("lossless" in s["message"] for s in report.skipped)
    assert (
        not (tmp_path / "o" / "images" / "a.png").exists() and (tmp_path / "o" / "images" / "b.png").exists()
    )


def test_outputs_augcli_would_refuse_to_read_are_not_written(tmp_path, monkeypatch):
    root, _ = masks_tree(tmp_path / "data")
    monkeypatch.setenv("AUGCLI_MAX_PIXELS", "2000")
    recipe = {"version": 1, "copies": 1, "pipeline": [{"Resize": {"height": 64, "width": 64, "p": 1.0}}]}
    report = augcli.expand(root, recipe, tmp_path / "o", workers=1)
    assert not list((tmp_path / "o").rglob("*__aug*"))
    assert any("reads back" in s["message"] for s in report.skipped)


def test_an_annotation_with_20000_keypoints_costs_only_that_annotation(tmp_path):
    import json

    from augcli.core.errors import AnnotationError
    from augcli.formats.coco import CocoReader

    (tmp_path / "a.png").write_bytes(encode(np.zeros((8, 8, 3), np.uint8), "PNG"))
    huge = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "keypoints": [1, 1, 2] * 20_000}
    plain = {"id": 2, "image_id": 1, "category_id": 1, "bbox": [2, 2, 3, 3], "keypoints": [3, 3, 2]}
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 8}],
        "categories": [{"id": 1, "name": "person", "keypoints": ["nose"]}],
        "annotations": [huge, plain],
    }
    (tmp_path / "instances.json").write_text(json.dumps(coco))
    reader = CocoReader(tmp_path / "instances.json")
    assert [(type(p), p.annotation) for p in reader.problems] == [(AnnotationError, 1)]
    assert "1024" in str(reader.problems[0])
    instances = reader.load("a.png").instances
    assert len(instances) == 1 and instances.keypoints.shape[1] == 1  # rows stay as wide as the names
