"""``augcli convert``, the identical-copies warning and ``min_ops``; preview's output options."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import augcli
from augcli.cli.app import app
from augcli.recipe.recipe import MAX_DRAWS, recipe_from_dict
from augcli.transforms.params import Param, ParamError

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".augcli" not in p.relative_to(root).parts
    }


def test_convert_writes_every_original_in_the_other_format(sample_dataset, tmp_path):
    result = run(
        "convert", sample_dataset, "--to", "yolo", "--out", tmp_path / "y", "--workers", "1", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["images_out"] == summary["images_in"] > 0
    labels = sorted((tmp_path / "y" / "labels").rglob("*.txt"))
    assert len(labels) == summary["images_in"] and not any("__aug" in p.name for p in labels)
    # back to COCO: the same boxes, whatever the worker count
    one = augcli.expand(
        tmp_path / "y", {"version": 1, "copies": 0, "pipeline": []}, tmp_path / "c1", to="coco"
    )
    assert one.annotations_out == summary["annotations_out"]


def test_convert_needs_to_and_no_recipe(sample_dataset, tmp_path):
    result = run("convert", sample_dataset, "--out", tmp_path / "y")
    assert result.exit_code == 2


def test_empty_pipeline_with_copies_is_warned_in_validate_and_expand(sample_dataset, tmp_path):
    recipe = tmp_path / "empty.yaml"
    recipe.write_text("version: 1\ncopies: 2\npipeline: []\n")
    checked = run("validate", recipe)
    assert checked.exit_code == 0 and "each of the 2 copies per image is identical" in checked.stderr
    report = augcli.expand(sample_dataset, recipe, tmp_path / "out", workers=1)
    assert any("identical to its original" in w for w in report.warnings)
    convert_like = recipe_from_dict({"version": 1, "copies": 0, "pipeline": []})
    assert convert_like.warnings() == []


ALWAYS_MAYBE = {"version": 1, "seed": 3, "copies": 3, "pipeline": [{"HorizontalFlip": {"p": 0.5}}]}


def test_min_ops_redraws_until_an_op_fired_and_is_deterministic(sample_dataset, tmp_path):
    plain = augcli.expand(sample_dataset, ALWAYS_MAYBE, tmp_path / "plain", workers=1)
    wanted = {**ALWAYS_MAYBE, "min_ops": 1}
    one = augcli.expand(sample_dataset, wanted, tmp_path / "w1", workers=1)
    two = augcli.expand(sample_dataset, wanted, tmp_path / "w2", workers=2)
    assert digest(tmp_path / "w1") == digest(tmp_path / "w2")

    def ops_per_copy(out):
        rows = (out / ".augcli" / "provenance.jsonl").read_text().splitlines()
        return [len(json.loads(r)["ops"]) for r in rows]

    assert 0 in ops_per_copy(tmp_path / "plain")  # p=0.5: some copies are bare without min_ops
    assert min(ops_per_copy(tmp_path / "w1")) == 1
    assert one.copies_short_of_min_ops == two.copies_short_of_min_ops == 0
    assert plain.images_out == one.images_out


def test_min_ops_out_of_reach_is_bounded_and_counted(sample_dataset, tmp_path):
    recipe = {"version": 1, "copies": 1, "min_ops": 2, "pipeline": [{"HorizontalFlip": {"p": 1}}]}
    report = augcli.expand(sample_dataset, recipe, tmp_path / "out", workers=1)
    assert report.copies_short_of_min_ops == report.images_in
    assert any(f"after {MAX_DRAWS} draws" in w for w in report.warnings)


def test_border_mode_and_interpolation_take_names_as_well_as_numbers():
    by_name = recipe_from_dict(
        {
            "version": 1,
            "pipeline": [{"Rotate": {"limit": 10, "border_mode": "reflect", "interpolation": "nearest"}}],
        }
    )
    assert by_name.pipeline.steps[0].cfg["border_mode"] == 2
    assert by_name.pipeline.steps[0].cfg["interpolation"] == 0
    with pytest.raises(Exception, match="or a name: constant, replicate"):
        recipe_from_dict({"version": 1, "pipeline": [{"Rotate": {"border_mode": "mirror"}}]})


def test_range_errors_state_both_bounds():
    with pytest.raises(ParamError, match="between 0 and 1, got 1.5"):
        Param("p", "float", 0.5, "probability", low=0.0, high=1.0).validate(1.5)


def test_no_catalogue_type_is_any():
    listed = json.loads(run("transforms", "--json").stdout)
    types = [p["type"] for t in listed for p in t["params"]]
    assert not [t for t in types if t.split(" ")[0] in ("any", "value")]


def test_transforms_on_a_pipe_cut_nothing():
    result = run("transforms")
    listed = json.loads(run("transforms", "--json").stdout)
    longest = max(listed, key=lambda t: len(t["name"]))["name"]
    assert longest in result.stdout and "…" not in result.stdout


RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "detection.yaml"


def test_preview_out_folder_jpeg_and_refusals(sample_dataset, tmp_path):
    folder = tmp_path / "previews"
    assert run("preview", sample_dataset, "-r", RECIPE, "-o", f"{folder}/", "-n", "1").exit_code == 0
    with Image.open(folder / "preview.png") as png:
        assert png.format == "PNG"
    assert run("preview", sample_dataset, "-r", RECIPE, "-o", tmp_path / "p.jpg", "-n", "1").exit_code == 0
    with Image.open(tmp_path / "p.jpg") as jpg:
        assert jpg.format == "JPEG"
    refused = run("preview", sample_dataset, "-r", RECIPE, "-o", tmp_path / "p.gif", "-n", "1")
    assert refused.exit_code == 2 and not (tmp_path / "p.gif").exists()


def test_preview_image_versions_default_and_no_names(sample_dataset, tmp_path):
    from augcli.cli.preview import render_grid
    from augcli.cli.preview_cell import GridStyle
    from augcli.formats.registry import open_reader
    from augcli.formats.registry import open_reader as _open

    busiest = max(_open(sample_dataset).keys(), key=lambda k: len(_open(sample_dataset).load(k).instances))
    name = Path(busiest).name
    recipe = tmp_path / "r.yaml"
    recipe.write_text("version: 1\ncopies: 2\npipeline:\n  - HorizontalFlip: {p: 1}\n")
    out = tmp_path / "one.png"
    assert run("preview", sample_dataset, "-r", recipe, "-o", out, "--image", name).exit_code == 0
    reader = open_reader(sample_dataset)
    key = next(k for k in reader.keys() if Path(k).name == name)
    sample = reader.load(key)
    # one row: the original and the recipe's 2 copies, as wide as a 3-cell grid
    three = render_grid([[sample, sample, sample]], reader.categories)
    with Image.open(out) as grid:
        assert grid.width == three.width
    assert run("preview", sample_dataset, "-r", recipe, "-o", out, "--image", "nope.jpg").exit_code == 2
    named = np.asarray(render_grid([[sample]], reader.categories))
    bare = np.asarray(render_grid([[sample]], reader.categories, style=GridStyle(names=False)))
    assert named.shape == bare.shape and (named != bare).any()
