"""Command-line conventions: help, version, one-line usage errors, streams, quiet, JSON schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "detection.yaml"
COMMANDS = ("expand", "convert", "preview", "transforms", "validate")


def augcli(*args, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """The real console entry point (not CliRunner), as a shell runs it: stdout/stderr are pipes."""
    return subprocess.run(
        [sys.executable, "-m", "augcli", *map(str, args)], cwd=cwd, capture_output=True, text=True
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_examples_first_and_no_typer_placeholders(command):
    short, long = augcli(command, "-h"), augcli(command, "--help")
    assert short.returncode == 0 and short.stdout == long.stdout
    text = short.stdout
    assert text.index("Examples:") < text.index("Options:")
    assert f"augcli {command} " in text.split("Examples:")[1].split("Options:")[0]
    assert "<bool>" not in text and "{" not in text.splitlines()[0]


def test_version_and_completion():
    version = augcli("--version")
    assert version.returncode == 0 and version.stdout.strip().startswith("augcli 0.")
    completion = augcli("--show-completion", "bash")
    assert completion.returncode == 0 and "augcli" in completion.stdout
    assert "--install-completion" in augcli("-h").stdout


@pytest.mark.parametrize(
    "args, line",
    [
        (["expand", "data"], "augcli: error: missing option --recipe (see augcli expand -h)"),
        (
            ["expand", "-r", "r.yaml", "-o", "out"],
            "augcli: error: missing argument SOURCE (see augcli expand -h)",
        ),
        (
            ["expand", "data", "-r", "r.yaml", "-o", "out", "--workr", "2"],
            "augcli: error: no such option --workr (did you mean --workers?) (see augcli expand -h)",
        ),
        (
            ["preview", "data", "-r", "r.yaml", "-o", "p.png", "-n", "0"],
            "augcli: error: invalid value for -n: it must be between 1 and 64 (see augcli preview -h)",
        ),
        (["frobnicate"], "augcli: error: no such command frobnicate (see augcli -h)"),
        (  # raised while parsing, before the subcommand's context exists: still named
            ["expand", "data", "-o", "out", "--recipe"],
            "augcli: error: option --recipe requires an argument (see augcli expand -h)",
        ),
        (["--frobnicate"], "augcli: error: no such option --frobnicate (see augcli -h)"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args, line):
    done = augcli(*args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [line] and done.stdout == ""


def test_quiet_prints_nothing_and_the_summary_says_where_the_output_went(sample_dataset, tmp_path):
    out = tmp_path / "out"
    quiet = augcli("expand", sample_dataset, "-r", RECIPE, "-o", out, "--copies", "1", "--workers", "1", "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    loud = augcli("expand", sample_dataset, "-r", RECIPE, "-o", out, "--overwrite", "--workers", "1")
    assert loud.returncode == 0
    assert f"output: {out.resolve()}" in loud.stdout.splitlines()
    assert "output images" in loud.stderr  # progress lines on stderr, never on stdout
    assert "output images" not in loud.stdout


def _dataset_with_a_bad_box(root: Path) -> Path:
    from PIL import Image

    (root / "images").mkdir(parents=True)
    Image.new("RGB", (32, 24), (90, 120, 150)).save(root / "images" / "a.png")
    Image.new("RGB", (32, 24), (20, 40, 60)).save(root / "images" / "b.png")
    coco = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 32, "height": 24},
            {"id": 2, "file_name": "b.png", "width": 32, "height": 24},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [2, 2, 8, 8], "area": 64, "iscrowd": 0},
            {"id": 11, "image_id": 2, "category_id": 1, "bbox": [1, 2], "area": 4, "iscrowd": 0},
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    (root / "annotations").mkdir()
    ann = root / "annotations" / "instances.json"
    ann.write_text(json.dumps(coco))
    return ann


def test_skipped_items_go_to_stderr_unwrapped_with_markup_escaped(tmp_path):
    ann = _dataset_with_a_bad_box(tmp_path / "data")
    out = tmp_path / "out"
    done = augcli("expand", ann, "-r", RECIPE, "-o", out, "--workers", "1")
    assert done.returncode == 0, done.stderr
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1
    assert "bbox must be 4 finite numbers [x, y, w, h]" in skipped[0] and "annotation 11" in skipped[0]
    assert len(skipped[0]) > 80  # one line, not wrapped at a terminal width
    assert not any(line.startswith("skipped") for line in done.stdout.splitlines())
    report = out.resolve() / ".augcli" / "report.jsonl"
    assert str(report) in done.stdout and report.is_file()


def test_json_summary_carries_a_schema_version(sample_dataset, tmp_path):
    done = augcli(
        "expand", sample_dataset, "-r", RECIPE, "-o", tmp_path / "o", "--workers", "1", "--json", "-q"
    )
    summary = json.loads(done.stdout)
    assert summary["schema_version"] == 1
    assert summary["images_this_run"] == summary["images_out"]  # a fresh run made everything


def test_a_folder_not_written_by_augcli_is_refused_at_once(sample_dataset, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    for extra in ([], ["--overwrite"]):
        done = augcli("expand", sample_dataset, "-r", RECIPE, "-o", out, *extra)
        assert done.returncode == 2
        assert "was not written by augcli" in done.stderr and "--overwrite" not in done.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_resume_mismatch_names_both_values(sample_dataset, tmp_path):
    out = tmp_path / "out"
    assert (
        augcli(
            "expand", sample_dataset, "-r", RECIPE, "-o", out, "--seed", "1", "--workers", "1", "-q"
        ).returncode
        == 0
    )
    done = augcli("expand", sample_dataset, "-r", RECIPE, "-o", out, "--seed", "2", "--resume", "-q")
    assert done.returncode == 2
    assert "different seed (seed 1, now 2)" in done.stderr


def test_an_images_folder_as_source_says_no_annotations(sample_dataset, tmp_path):
    done = augcli("expand", sample_dataset / "images", "-r", RECIPE, "-o", tmp_path / "out")
    assert done.returncode == 4
    assert "no annotations found" in done.stderr and "--format" not in done.stderr


def test_a_coco_json_given_as_recipe_says_what_it_looks_like(sample_dataset, tmp_path):
    ann = next((sample_dataset / "annotations").glob("*.json"))
    done = augcli("validate", ann)
    assert done.returncode == 3
    assert "looks like a COCO annotation file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
