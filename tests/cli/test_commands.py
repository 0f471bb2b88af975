"""The command line contract: names, exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from augcli.cli.app import app
from augcli.transforms.base import KINDS

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))
ISSUE_TRANSFORMS = """HorizontalFlip VerticalFlip RandomRotate90 Transpose Rotate Affine ShiftScaleRotate
Perspective RandomCrop CenterCrop RandomResizedCrop RandomSizedBBoxSafeCrop Resize LongestMaxSize
SmallestMaxSize PadIfNeeded ElasticTransform GridDistortion RandomBrightnessContrast ColorJitter
HueSaturationValue RGBShift RandomGamma ToGray CLAHE Sharpen Blur GaussianBlur MotionBlur GaussNoise
ImageCompression CoarseDropout Sequential OneOf SomeOf""".split()

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_expand_json_summary(sample_dataset, tmp_path):
    result = run(
        "expand",
        sample_dataset,
        "--recipe",
        RECIPES[0],
        "--out",
        tmp_path / "out",
        "--copies",
        "1",
        "--workers",
        "1",
        "--json",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["images_out"] == summary["images_in"] * 2
    assert summary["annotations_out"] >= summary["annotations_in"]


def test_summary_table_is_printed(sample_dataset, tmp_path):
    result = run(
        "expand",
        sample_dataset,
        "--recipe",
        RECIPES[0],
        "--out",
        tmp_path / "out",
        "--copies",
        "1",
        "--workers",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert "images" in result.stdout and "annotations" in result.stdout


def test_bad_recipe_is_one_line_per_problem_with_exit_3(sample_dataset, tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("version: 1\npipeline:\n  - HorizontalFlipp: {p: 0.5}\n  - Affine: {rotate: oops}\n")
    result = run("expand", sample_dataset, "--recipe", recipe, "--out", tmp_path / "out")
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert "HorizontalFlip" in result.output and "line 3" in result.output
    assert "line 4" in result.output
    assert not (tmp_path / "out").exists()


def test_missing_source_is_a_dataset_error(tmp_path):
    result = run("expand", tmp_path / "nope", "--recipe", RECIPES[0], "--out", tmp_path / "out")
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_non_empty_output_is_a_usage_error(sample_dataset, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    result = run("expand", sample_dataset, "--recipe", RECIPES[0], "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "was not written by augcli" in result.output
    args = ("expand", sample_dataset, "--recipe", RECIPES[0], "--out", tmp_path / "again", "--workers", "1")
    assert run(*args).exit_code == 0
    again = run(*args)  # an earlier augcli run: replace it or finish it
    assert again.exit_code == 2 and "--overwrite" in again.output and "--resume" in again.output


def test_transforms_lists_every_issue_transform():
    result = run("transforms", "--json")
    assert result.exit_code == 0
    listed = {t["name"]: t for t in json.loads(result.stdout)}
    missing = [name for name in ISSUE_TRANSFORMS if name not in listed]
    assert not missing
    for info in listed.values():
        assert info["kind"] in set(KINDS)
        assert info["summary"] and info["example"]
        assert all(p["doc"] for p in info["params"])


def test_transform_detail_shows_example():
    result = run("transforms", "Affine")
    assert result.exit_code == 0
    assert "rotate" in result.stdout and "example" in result.stdout
    assert run("transforms", "Afine").exit_code == 2


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_starter_recipes_validate_against_sample_data(recipe, sample_dataset):
    result = run("validate", recipe, "--dataset", sample_dataset)
    assert result.exit_code == 0, result.output


def test_validate_reports_problems_with_exit_3(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("version: 1\ncopies: -1\nlabels: {box: loose}\npipeline: []\n")
    result = run("validate", recipe)
    assert result.exit_code == 3
    assert "copies" in result.output and "box" in result.output


def test_preview_writes_a_png(sample_dataset, tmp_path):
    out = tmp_path / "grid.png"
    result = run("preview", sample_dataset, "--recipe", RECIPES[0], "--out", out, "-n", "2")
    assert result.exit_code == 0, result.output
    from PIL import Image

    with Image.open(out) as grid:
        assert grid.format == "PNG" and grid.width > 200 and grid.height > 100


def test_console_script_and_module_entry_points(tmp_path):
    result = subprocess.run([sys.executable, "-m", "augcli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("expand", "preview", "transforms", "validate"):
        assert command in result.stdout


def test_every_command_and_option_is_documented_in_the_cli_reference():
    readme = (REPO / "docs" / "cli.md").read_text()
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"augcli {name}" in readme, name
        help_text = run(name, "--help").stdout
        for option in set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}:
            assert option in readme, f"{name} {option}"
