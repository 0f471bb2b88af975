"""The bad-input fixture suite: every case behaves as documented (see ``fixture_kit``).

Runs use ``debug=True`` (in-process): an exception that is not augcli's own
would surface here as a failure instead of being reported as a skipped item.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cases_coco
import cases_images
import cases_recipes
import pytest
from fixture_kit import VICTIM_ANN, VICTIM_ID, realize
from reliability_helpers import REPO, tree_digest

import augcli
from augcli.cli.summary import format_problem
from augcli.core.errors import DatasetError, ImageReadError, RecipeError
from augcli.formats.coco.layout import clean_file_name
from augcli.formats.coco.reader import CocoReader

ALL_CASES = cases_images.CASES + cases_coco.CASES + cases_recipes.CASES


def test_the_suite_has_at_least_eighty_cases_with_distinct_names():
    assert len(ALL_CASES) >= 80
    assert len({c.name for c in ALL_CASES}) == len(ALL_CASES)


def _report_rows(out: Path) -> list[dict]:
    text = (out / ".augcli" / "report.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def _outputs_per_image(recipe) -> int:
    if isinstance(recipe, dict):
        return int(recipe.get("keep_original", True)) + int(recipe.get("copies", 1))
    return 3


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_case_behaves_as_documented(case, tmp_path):
    fx = realize(case, tmp_path / "data")
    out = tmp_path / "out"
    input_before = tree_digest(fx.root)

    if case.behaviour in ("dataset", "recipe"):
        expected = DatasetError if case.behaviour == "dataset" else RecipeError
        with pytest.raises(expected) as caught:
            augcli.expand(fx.ann, fx.recipe, out, workers=1, debug=True)
        assert "\n" not in str(caught.value) and str(caught.value)
        assert not out.exists(), "a dataset-level problem must stop the run before writing"
        assert not (tmp_path / cases_recipes.PWNED).exists()
        assert tree_digest(fx.root) == input_before
        return

    report = augcli.expand(fx.ann, fx.recipe, out, workers=1, debug=True)
    assert tree_digest(fx.root) == input_before
    rows = _report_rows(out)
    assert rows == json.loads(json.dumps(report.skipped))  # the report file says the same
    per_image = _outputs_per_image(fx.recipe)
    coco = json.loads((out / "annotations" / "instances_train.json").read_text())

    if case.behaviour == "ok":
        assert rows == []
        assert report.images_out == report.images_in * per_image
        if case.check:
            case.check(fx, out, report)
        return

    assert len(rows) == 1, rows
    row = rows[0]
    assert row["file"] and row["message"]
    if case.behaviour == "skip_image":
        assert row["image"] == case.expect.get("image", VICTIM_ID)
        written = {im["id"] for im in coco["images"]}
        # the label file names only images that were written; the entry is kept raw in the report
        assert report.images_out == 3 * per_image and VICTIM_ID not in written
        if _carried_as_read(fx, row):
            victim = next(im for im in CocoReader(fx.ann).images_raw if im.get("id") == VICTIM_ID)
            assert row["raw"] == json.loads(json.dumps(victim))
        assert f"image {row['image']}" in format_problem(row)
        return

    assert case.behaviour == "skip_annotation"
    assert row["image"] == case.expect.get("image", VICTIM_ID)
    assert row["annotation"] == case.expect.get("annotation", VICTIM_ANN)
    assert row["file"] == str(fx.ann)
    assert f"annotation {row['annotation']}" in format_problem(row)
    assert report.images_out == report.images_in * per_image  # the image itself is kept
    victim_valid = len(
        [a for a in fx.coco["annotations"] if isinstance(a, dict) and a.get("image_id") == VICTIM_ID]
    )
    victim_valid -= row["image"] == VICTIM_ID  # the skipped one was among them
    if row["image"] == VICTIM_ID:  # the invalid annotation is left out of the original's labels too
        kept = [a for a in coco["annotations"] if isinstance(a, dict) and a.get("image_id") == VICTIM_ID]
        assert len(kept) == victim_valid
        assert "raw" in row
    victim_copies = [im["id"] for im in coco["images"] if im["file_name"].startswith("img_01__aug")]
    assert len(victim_copies) == per_image - 1
    for image_id in victim_copies:
        copies = [a for a in coco["annotations"] if isinstance(a, dict) and a.get("image_id") == image_id]
        assert len(copies) <= victim_valid


def _carried_as_read(fx, row) -> bool:
    """An entry the reader could not use, which ``--keep-invalid`` would write back as read
    (its name is not refused and JSON can hold it): the report keeps it raw."""
    reader = CocoReader(fx.ann)  # the entries as read (a case may substitute raw JSON text)
    if not any(p.image == row["image"] for p in reader.problems):
        return False
    if "outside the dataset" in row["message"] or "cannot be read" in row["message"]:
        return False
    victim = next(im for im in reader.images_raw if isinstance(im, dict) and im.get("id") == VICTIM_ID)
    try:
        clean_file_name(victim.get("file_name"))
        json.dumps(victim, allow_nan=False)
    except (ImageReadError, ValueError):
        return False
    return True


def test_item_problems_appear_in_the_cli_summary_with_file_image_and_annotation(tmp_path):
    case = next(c for c in cases_coco.CASES if c.name == "unknown category")
    fx = realize(case, tmp_path / "data")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("version: 1\ncopies: 1\npipeline:\n  - HorizontalFlip: {p: 1}\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "augcli",
            "expand",
            str(fx.ann),
            "--recipe",
            str(recipe),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if line.startswith("skipped"))
    assert str(fx.ann.name) in line and f"image {VICTIM_ID}" in line and f"annotation {VICTIM_ANN}" in line
    strict = subprocess.run(
        [
            sys.executable,
            "-m",
            "augcli",
            "expand",
            str(fx.ann),
            "--recipe",
            str(recipe),
            "--out",
            str(tmp_path / "out"),
            "--quiet",
            "--overwrite",
            "--strict",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert strict.returncode == 5


@pytest.mark.parametrize(
    "name, code",
    [("invalid JSON (cut short)", 4), ("duplicate image ids", 4), ("recipe: python/object/apply tag", 3)],
)
def test_dataset_and_recipe_problems_exit_with_one_line_and_their_code(tmp_path, name, code):
    case = next(c for c in ALL_CASES if c.name == name)
    fx = realize(case, tmp_path / "data")
    recipe = fx.recipe if isinstance(fx.recipe, Path) else tmp_path / "recipe.yaml"
    if not isinstance(fx.recipe, Path):
        recipe.write_text("version: 1\npipeline: []\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "augcli",
            "expand",
            str(fx.ann),
            "--recipe",
            str(recipe),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == code
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("augcli: error:")
    assert not (tmp_path / "out").exists()
