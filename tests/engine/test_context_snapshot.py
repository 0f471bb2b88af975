"""The Ray workers' context: the parent's own, pickled once and restored in another interpreter.

These need no cluster: a spawned process (a fresh interpreter, as a Ray worker
is) restores the snapshot and runs the tasks, and the run must write the local
pool's bytes in every format (tests/ray runs the same through Ray itself)."""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from shard_trees import TREES, tree_digest

import augcli
from augcli.core.errors import DatasetError
from augcli.engine import execute as execute_module
from augcli.engine.context_spec import context_snapshot, restore_context
from augcli.engine.worker import WorkContext, run_task

RECIPE = {
    "version": 1,
    "seed": 3,
    "copies": 2,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Mosaic": {"grid": [2, 2], "output_size": [40, 32], "p": 0.5}},
        {"Affine": {"rotate": [-20, 20], "p": 0.8}},
    ],
}


def _run_restored(where: dict, snapshot: bytes, tasks: list) -> list:
    context = restore_context(SimpleNamespace(**where), snapshot)
    return [run_task(context, task) for task in tasks]


def _in_a_fresh_interpreter(monkeypatch, source: Path) -> list[int]:
    """Make ``runner.expand`` run its tasks in a spawned process from the context's snapshot."""
    real_execute = execute_module.execute
    sizes = []

    def execute(context, tasks, workers, journal, item_timeout, on_result, start=None):
        snapshot = context_snapshot(context)
        assert snapshot is not None
        sizes.append(len(snapshot))

        def start_spawned(ctx, pending, *_):
            where = {"cwd": os.getcwd(), "source": str(source)}
            with mp.get_context("spawn").Pool(1) as pool:
                return iter(pool.apply(_run_restored, (where, snapshot, pending))), None

        return real_execute(context, tasks, workers, journal, item_timeout, on_result, start=start_spawned)

    monkeypatch.setattr(execute_module, "execute", execute)
    return sizes


@pytest.mark.parametrize(("tree", "to"), [(name, "same") for name in TREES] + [("voc", "coco")])
def test_a_restored_snapshot_writes_the_local_pools_bytes(tmp_path, monkeypatch, tree, to):
    source = TREES[tree](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "local", workers=2, to=to)
    sizes = _in_a_fresh_interpreter(monkeypatch, source)
    report = augcli.expand(source, RECIPE, tmp_path / "restored", workers=1, to=to)
    assert sizes and report.images_out > 0 and not report.skipped
    assert tree_digest(tmp_path / "restored") == tree_digest(tmp_path / "local")


def test_a_node_without_the_dataset_is_refused_naming_it(tmp_path):
    snapshot = context_snapshot(WorkContext(reader=None, recipe=None, writer=None, seed=0))
    assert snapshot is not None
    where = SimpleNamespace(cwd=str(tmp_path), source="elsewhere/instances.json")
    with pytest.raises(DatasetError, match=r"dataset not found: elsewhere/instances\.json \(on Ray node"):
        restore_context(where, snapshot)


def test_a_context_that_does_not_pickle_has_no_snapshot():
    assert context_snapshot(WorkContext(reader=lambda key: key, recipe=None, writer=None, seed=0)) is None
