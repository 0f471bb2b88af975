"""``--executor`` / ``--address`` usage errors: one line, exit 2, nothing written to OUT.

These need no running cluster (the Ray runs themselves are in tests/ray)."""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

import augcli
from augcli.cli.app import app
from augcli.core.errors import DatasetError, UsageError

RECIPE = {"version": 1, "copies": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0}}]}


def test_ray_not_installed_is_one_line_with_the_pip_command(sample_dataset, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails as if it were not installed
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=r"pip install 'augcli\[ray\]'"):
        augcli.expand(sample_dataset, RECIPE, out, executor="ray")
    assert not out.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--executor", "dask"], "unknown executor 'dask'; choose local or ray"),
        (["--address", "auto"], "--address names a Ray cluster: it needs --executor ray"),
    ],
)
def test_executor_usage_errors_exit_2_before_anything_is_written(sample_dataset, tmp_path, options, message):
    out = tmp_path / "out"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("version: 1\ncopies: 1\npipeline: [{HorizontalFlip: {p: 1.0}}]\n")
    result = CliRunner().invoke(
        app, ["expand", str(sample_dataset), "-r", str(recipe), "-o", str(out), *options]
    )
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_an_address_nothing_listens_on_is_refused_at_once(sample_dataset, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[dev]')")
    assert not ray.is_initialized()  # a Ray already initialized here would be used instead
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=r"no Ray cluster answers at 127\.0\.0\.1:1 "):
        augcli.expand(sample_dataset, RECIPE, out, executor="ray", address="127.0.0.1:1")
    assert not out.exists()


def test_the_cluster_is_joined_before_the_dataset_is_read(tmp_path):
    """So the job's workers start while the driver reads (``RaySession.warm_up``): a bad
    address is found first, even with a dataset that does not exist."""
    pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[dev]')")
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=r"no Ray cluster answers at 127\.0\.0\.1:1 "):
        augcli.expand(tmp_path / "missing.json", RECIPE, out, executor="ray", address="127.0.0.1:1")
    with pytest.raises(DatasetError, match="dataset not found"):
        augcli.expand(tmp_path / "missing.json", RECIPE, out)  # the local pool reads it first
    assert not out.exists()
