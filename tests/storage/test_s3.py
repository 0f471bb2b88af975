"""S3 through s3fs against moto's S3 server: a round trip, a killed run resumed on a fresh
cache folder, and one-line errors for a missing bucket or missing credentials."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from augcli.cli.app import app
from tests.storage.storage_helpers import (
    RECIPE,
    REPO,
    SAMPLE,
    SLOW_RECIPE,
    outputs,
    reference_run,
    remote_tree,
    replicated_sample,
    stored_meta,
    upload_tree,
)

pytestmark = [pytest.mark.slow, pytest.mark.s3]


def test_s3_source_and_out_match_a_local_run(bucket, tmp_path):
    fs, name = bucket
    upload_tree(fs, SAMPLE, f"{name}/src")
    result = CliRunner().invoke(
        app,
        ["expand", f"s3://{name}/src", "-r", str(RECIPE), "-o", f"s3://{name}/out", "--workers", "2"]
        + ["--cache-dir", str(tmp_path / "cache"), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    remote = remote_tree(fs, f"{name}/out")
    assert outputs(remote) == outputs(reference_run(tmp_path, workers=1))
    assert ".augcli/run.jsonl" in remote and ".augcli/journal.jsonl" not in remote


def test_killed_s3_run_resumes_from_the_store_to_the_same_bytes(bucket, tmp_path):
    """SIGKILL once the store holds journaled tasks; --resume with another cache folder (a fresh
    machine) downloads the remote state and finishes with the bytes of an uninterrupted run."""
    fs, name = bucket
    source = replicated_sample(tmp_path / "source", 8)  # 64 tasks, 128 slow copies: seconds
    upload_tree(fs, source, f"{name}/src")
    recipe = tmp_path / "slow.yaml"
    recipe.write_text(SLOW_RECIPE)
    command = [sys.executable, "-m", "augcli", "expand", f"s3://{name}/src", "-r", str(recipe)]
    command += ["-o", f"s3://{name}/out", "--workers", "1", "--quiet"]
    env = {**os.environ, "AUGCLI_UPLOAD_SECONDS": "0.1", "PYTHONPATH": str(REPO)}
    run = subprocess.Popen(
        command + ["--cache-dir", str(tmp_path / "machine-a")], env=env, cwd=tmp_path, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and run.poll() is None:
            journal = stored_meta(fs, f"{name}/out").get("journal.jsonl", b"")
            if journal.count(b"\n") >= 2:  # a header and a task
                break
            time.sleep(0.2)
        assert run.poll() is None, f"the run ended before it could be killed: {run.stderr.read()!r}"
        run.send_signal(signal.SIGKILL)
    finally:
        run.wait()
    killed = remote_tree(fs, f"{name}/out")
    assert ".augcli/run.jsonl" not in killed  # no manifest: a reader knows it is incomplete

    resumed = subprocess.run(
        command + ["--resume", "--workers", "2", "--json", "--cache-dir", str(tmp_path / "machine-b")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert 0 < summary["images_this_run"] < summary["images_out"] == 192  # it continued the killed run
    final = remote_tree(fs, f"{name}/out")
    assert outputs(final) == outputs(reference_run(tmp_path, source=source, recipe=recipe, workers=2))
    assert ".augcli/run.jsonl" in final


def test_shards_on_s3_merge_from_s3_to_the_single_runs_bytes(bucket, tmp_path):
    """Shards of a cluster write s3://bucket/run/part-I; augcli merge reads them from the store and
    writes OUT to it, byte for byte the single local run's tree."""
    fs, name = bucket
    upload_tree(fs, SAMPLE, f"{name}/src")
    for index in range(2):
        result = CliRunner().invoke(
            app,
            ["expand", f"s3://{name}/src", "-r", str(RECIPE), "-o", f"s3://{name}/run/part-{index}"]
            + ["--num-shards", "2", "--shard-index", str(index), "--workers", "1", "--quiet"]
            + ["--cache-dir", str(tmp_path / f"node-{index}")],
        )
        assert result.exit_code == 0, result.output
    parts = [f"s3://{name}/run/part-{index}" for index in (1, 0)]
    result = CliRunner().invoke(
        app,
        ["merge", *parts, "--out", f"s3://{name}/run/merged", "--cache-dir", str(tmp_path / "merge-node")]
        + ["--quiet"],
    )
    assert result.exit_code == 0, result.output
    merged = remote_tree(fs, f"{name}/run/merged")
    assert outputs(merged) == outputs(reference_run(tmp_path, workers=1))
    assert ".augcli/run.jsonl" in merged and ".augcli/journal.jsonl" not in merged


@pytest.mark.parametrize("side", ["source", "out"])
def test_missing_bucket_is_one_line_with_its_exit_code(s3_env, tmp_path, side):
    source = "s3://no-such-bucket-augcli/src" if side == "source" else str(SAMPLE)
    out = "s3://no-such-bucket-augcli/out" if side == "out" else str(tmp_path / "out")
    result = _cli(source, out, tmp_path, s3_env)
    assert result.returncode == (4 if side == "source" else 6), result.stderr
    assert result.stderr.count("\n") == 1 and "no-such-bucket-augcli" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_credentials_are_one_line(bucket, s3_env, tmp_path):
    fs, name = bucket
    upload_tree(fs, SAMPLE, f"{name}/src")
    env = {
        k: v for k, v in s3_env.items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")
    }
    result = _cli(f"s3://{name}/src", str(tmp_path / "out"), tmp_path, env, inherit=False)
    assert result.returncode == 4, result.stderr
    assert result.stderr.count("\n") == 1 and "credentials" in result.stderr, result.stderr


def _cli(source: str, out: str, tmp_path, env: dict, inherit: bool = True) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if inherit or not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "augcli", "expand", source, "-r", str(RECIPE), "-o", out, "--quiet"]
        + ["--cache-dir", str(tmp_path / "cache")],
        env={**base, **env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
