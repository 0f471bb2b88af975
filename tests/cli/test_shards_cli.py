"""``--num-shards`` / ``--shard-index`` from the batch scheduler's environment, and ``augcli merge``."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from augcli.cli.app import app

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "recipes" / "detection.yaml"
runner = CliRunner()


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def expand(source: Path, out: Path, *extra: str, env: dict | None = None):
    args = ["expand", str(source), "-r", str(RECIPE), "-o", str(out), "--copies", "1", "-q", *extra]
    return runner.invoke(app, args, env=env)


def shard_of(out: Path) -> dict:
    return json.loads((out / ".augcli" / "run.jsonl").read_text())["shard"]


def test_a_slurm_array_and_an_indexed_job_pick_their_shard_and_merge_to_the_single_run(
    sample_dataset, tmp_path
):
    assert expand(sample_dataset, tmp_path / "single").exit_code == 0
    # a Slurm array --array=1-3 (its first index is 1): the count and the index from the environment
    for task in (1, 2, 3):
        env = {"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}
        result = expand(sample_dataset, tmp_path / f"slurm-{task}", "--shard-index", str(task - 1), env=env)
        assert result.exit_code == 0, result.output
        result = expand(sample_dataset, tmp_path / f"slurm-env-{task}", "--num-shards", "3", env=env)
        assert result.exit_code == 0, result.output
        from_env, explicit = shard_of(tmp_path / f"slurm-env-{task}"), shard_of(tmp_path / f"slurm-{task}")
        assert (
            (from_env["index"], from_env["count"]) == (explicit["index"], explicit["count"]) == (task - 1, 3)
        )
    # a Kubernetes Indexed Job: JOB_COMPLETION_INDEX, the count on the command line
    for index in (0, 1):
        env = {"JOB_COMPLETION_INDEX": str(index)}
        assert expand(sample_dataset, tmp_path / f"k8s-{index}", "--num-shards", "2", env=env).exit_code == 0
        assert shard_of(tmp_path / f"k8s-{index}")["index"] == index
    for name, parts in (("slurm", [f"slurm-env-{t}" for t in (3, 1, 2)]), ("k8s", ["k8s-1", "k8s-0"])):
        args = ["merge", *(str(tmp_path / p) for p in parts), "--out", str(tmp_path / name), "--json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert (
            json.loads(result.stdout)["images_out"]
            == json.loads((tmp_path / "single" / ".augcli" / "run.jsonl").read_text())["images_out"]
        )
        assert digest(tmp_path / name) == digest(tmp_path / "single")


def test_a_shard_index_out_of_range_is_exit_2_naming_both_bounds_and_writes_nothing(sample_dataset, tmp_path):
    result = expand(sample_dataset, tmp_path / "out", "--num-shards", "3", env={"JOB_COMPLETION_INDEX": "3"})
    assert result.exit_code == 2
    assert "between 0 and 2" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    result = expand(sample_dataset, tmp_path / "out", "--num-shards", "3")
    assert result.exit_code == 2 and "--shard-index between 0 and 2" in result.stderr
    assert not (tmp_path / "out").exists()


def test_merge_refuses_mismatched_parts_with_exit_2_and_one_line(sample_dataset, tmp_path):
    assert expand(sample_dataset, tmp_path / "a", "--num-shards", "2", "--shard-index", "0").exit_code == 0
    assert (
        expand(
            sample_dataset, tmp_path / "b", "--num-shards", "2", "--shard-index", "1", "--seed", "9"
        ).exit_code
        == 0
    )
    result = runner.invoke(
        app, ["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "seed 9 vs 0" in result.stderr
    assert "Traceback" not in result.output


def test_the_help_lists_merge_and_the_shard_options():
    listing = subprocess.run(
        [sys.executable, "-m", "augcli", "--help"], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout
    assert "merge" in listing
    expand_help = runner.invoke(app, ["expand", "-h"]).output
    assert "--num-shards" in expand_help and "--shard-index" in expand_help
    assert "merge [OPTIONS] PARTS..." in runner.invoke(app, ["merge", "-h"]).output


def test_convert_in_shards_merges_to_the_single_conversion_and_a_dry_run_plans_one_shard(
    sample_dataset, tmp_path
):
    def convert(out: Path, *extra: str):
        args = ["convert", str(sample_dataset), "--to", "yolo", "-o", str(out), "-q", *extra]
        return runner.invoke(app, args)

    assert convert(tmp_path / "single").exit_code == 0
    for index in (0, 1, 2):
        assert (
            convert(tmp_path / f"part-{index}", "--num-shards", "3", "--shard-index", str(index)).exit_code
            == 0
        )
    result = runner.invoke(
        app, ["merge", *(str(tmp_path / f"part-{i}") for i in range(3)), "-o", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    assert digest(tmp_path / "m") == digest(tmp_path / "single")
    planned = json.loads(
        convert(tmp_path / "dry", "--num-shards", "3", "--shard-index", "1", "--dry-run", "--json").stdout
    )
    assert planned["shard"]["index"] == 1 and planned["shard"]["tasks"] < planned["shard"]["of"]
    assert planned["images_out"] == planned["shard"]["tasks"] and not (tmp_path / "dry").exists()
