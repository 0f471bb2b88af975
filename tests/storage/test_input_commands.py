"""``augcli stats``, ``validate`` and ``preview`` read a URL SOURCE through the same mirror as
``expand``: the same answers as on the local copy, and messages that name URLs, not cache paths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from augcli.cli.app import app
from tests.storage.storage_helpers import RECIPE, REPO, SAMPLE, upload_tree

pytest.importorskip("fsspec")


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_stats_of_a_url_equal_the_stats_of_the_local_copy(memfs, tmp_path):
    fs, prefix = memfs
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    source = f"memory://{prefix}/in"
    local = cli("stats", SAMPLE, "--json")
    remote = cli("stats", source, "--json", "--cache-dir", tmp_path / "c")
    assert local.exit_code == remote.exit_code == 0, remote.output
    mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
    assert theirs.pop("source") == source and mine.pop("source") == str(SAMPLE)
    assert theirs == mine and mine["splits"]  # not empty: the mirror was read
    compared = cli("stats", SAMPLE, "--compare", source, "--json", "--cache-dir", tmp_path / "c")
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["other"]["source"] == source


def test_validate_reads_a_url_dataset_and_names_its_problems_by_url(memfs, tmp_path):
    fs, prefix = memfs
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    labels = data / "annotations" / "instances_default.json"
    coco = json.loads(labels.read_text("utf-8"))
    coco["annotations"].append({**coco["annotations"][0], "id": 999, "image_id": 12345})  # no such image
    labels.write_text(json.dumps(coco), "utf-8")
    upload_tree(fs, SAMPLE, f"{prefix}/good")
    upload_tree(fs, data, f"{prefix}/bad")
    good = cli("validate", RECIPE, "--dataset", f"memory://{prefix}/good", "--cache-dir", tmp_path / "c")
    assert good.exit_code == 0, good.output
    bad = cli("validate", RECIPE, "--dataset", f"memory://{prefix}/bad", "--cache-dir", tmp_path / "c")
    local = cli("validate", RECIPE, "--dataset", data)
    assert bad.exit_code == local.exit_code == 4, bad.output
    assert f"memory://{prefix}/bad/annotations/instances_default.json" in bad.stderr
    assert str(tmp_path / "c") not in bad.stderr
    assert bad.stderr.replace(f"memory://{prefix}/bad", "D") == local.stderr.replace(str(data), "D")


def test_preview_of_a_url_draws_the_picture_of_the_local_copy(memfs, tmp_path):
    fs, prefix = memfs
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    common = ["--recipe", RECIPE, "-n", "2", "--versions", "2"]
    local = cli("preview", SAMPLE, *common, "--out", tmp_path / "local.png")
    remote = cli(
        "preview",
        f"memory://{prefix}/in",
        *common,
        "--out",
        tmp_path / "remote.png",
        "--cache-dir",
        tmp_path / "c",
    )
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert (tmp_path / "remote.png").read_bytes() == (tmp_path / "local.png").read_bytes()
    missing = cli(
        "preview", f"memory://{prefix}/in", *common, "--out", tmp_path / "x.png", "--image", "nope.jpg"
    )
    assert missing.exit_code == 2 and f"memory://{prefix}/in" in missing.stderr


def test_a_missing_url_source_is_one_line_with_exit_4(memfs, tmp_path):
    fs, prefix = memfs
    for command in (["stats"], ["validate", RECIPE, "--dataset"], ["preview", "-r", RECIPE, "-o", "p.png"]):
        result = cli(*command, f"memory://{prefix}/nothing", "--cache-dir", tmp_path / "c")
        assert result.exit_code == 4, (command, result.output)
        assert f"memory://{prefix}/nothing" in result.stderr and result.stderr.count("\n") == 1


def test_commands_on_local_paths_never_import_fsspec(tmp_path):
    """fsspec and s3fs are optional: only a URL argument imports them."""
    sample, recipe = str(SAMPLE), str(RECIPE)
    parts = [str(tmp_path / f"part-{index}") for index in range(2)]
    runs = [
        ["expand", sample, "-r", recipe, "-o", str(tmp_path / "out"), "--workers", "1", "-q"],
        *(
            ["expand", sample, "-r", recipe, "-o", part, "--num-shards", "2", "--shard-index", str(i), "-q"]
            for i, part in enumerate(parts)
        ),
        ["merge", *parts, "--out", str(tmp_path / "merged"), "-q"],
        ["stats", sample, "--json"],
        ["validate", recipe, "--dataset", sample],
        ["preview", sample, "-r", recipe, "-o", str(tmp_path / "preview.png"), "-n", "1"],
    ]
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from augcli.cli.app import app\n"
        f"for args in {runs!r}:\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fsspec', 's3fs', 'gcsfs')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "out" / ".augcli" / "run.jsonl").is_file()  # the commands did run
    assert (tmp_path / "merged" / ".augcli" / "run.jsonl").is_file() and (tmp_path / "preview.png").is_file()
