"""``--executor ray``: the local pool's bytes, surviving dead workers, Ctrl-C and a killed driver.

All tests share one local 2-CPU cluster (``conftest.ray_cluster``); faults are
injected inside its workers through ``ray_fault_hook``.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from ray_fault_hook import FAULT_FILE_VARIABLE
from ray_helpers import HERE, MOSAIC_RECIPE

import augcli
from augcli.engine.journal import JOURNAL_NAME
from augcli.engine.merge import merge
from augcli.engine.shards import Shard

pytestmark = [pytest.mark.slow, pytest.mark.ray]

VICTIM = "img_05.jpg"


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file below ``root`` but the run's lock."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(root).rglob("*"))
        if p.is_file() and p.name != "lock"
    }


@pytest.fixture
def cluster(ray_cluster):
    ray_cluster.faults(None)
    yield ray_cluster
    ray_cluster.faults(None)


@pytest.mark.parametrize("fmt", ["coco", "yolo"])
def test_ray_writes_the_local_pools_bytes(cluster, tmp_path, fmt):
    out = tmp_path / "out"
    report = augcli.expand(cluster.datasets[fmt], MOSAIC_RECIPE, out, executor="ray")
    assert report.images_out == 12 * 3 and not report.skipped
    provenance = (out / ".augcli" / "provenance.jsonl").read_text()
    assert '"Mosaic"' in provenance  # partners were loaded in the Ray workers
    assert tree_digest(out) == tree_digest(cluster.references[fmt])


def test_shards_run_on_ray_merge_into_the_local_pools_bytes(cluster, tmp_path):
    parts = [tmp_path / f"part-{i}" for i in range(2)]
    for index, part in enumerate(parts):
        augcli.expand(cluster.datasets["coco"], MOSAIC_RECIPE, part, executor="ray", shard=Shard(index, 2))
    merge(parts, tmp_path / "merged")
    assert tree_digest(tmp_path / "merged") == tree_digest(cluster.references["coco"])


def test_a_worker_killed_once_is_retried_and_changes_nothing(cluster, tmp_path):
    cluster.faults({"key": VICTIM, "fault": "kill", "once_flag": str(tmp_path / "fired")})
    out = tmp_path / "out"
    report = augcli.expand(cluster.datasets["coco"], MOSAIC_RECIPE, out, executor="ray")
    assert (tmp_path / "fired").exists()  # the worker really died
    assert not report.skipped
    assert tree_digest(out) == tree_digest(cluster.references["coco"])


def test_an_item_that_always_kills_its_worker_costs_only_that_item(cluster, tmp_path):
    cluster.faults({"key": VICTIM, "fault": "exit"})
    out = tmp_path / "out"
    report = augcli.expand(cluster.datasets["coco"], MOSAIC_RECIPE, out, executor="ray")

    lost = [s for s in report.skipped if s["image"] == VICTIM]
    assert len(report.skipped) == 1 and lost[0]["error"] == "WorkerLost"
    assert "also when retried alone" in lost[0]["message"] and lost[0]["file"].endswith(VICTIM)
    assert report.images_out == 11 * 3
    coco = json.loads((out / "annotations" / "instances_train.json").read_text())
    assert not any(im["file_name"].startswith("img_05") for im in coco["images"])
    written = {p.name for p in out.rglob("*") if p.is_file()}
    assert not any(name.startswith("img_05") for name in written)  # no orphan outputs
    reference = tree_digest(cluster.references["coco"])
    images = {k: v for k, v in tree_digest(out).items() if k.startswith("images/")}
    assert images == {k: v for k, v in reference.items() if k.startswith("images/") and "img_05" not in k}


def test_an_image_that_hangs_is_skipped_after_the_item_timeout(cluster, tmp_path):
    cluster.faults({"key": VICTIM, "fault": "hang"})
    out = tmp_path / "out"
    started = time.monotonic()
    report = augcli.expand(cluster.datasets["coco"], MOSAIC_RECIPE, out, executor="ray", item_timeout=1.5)
    assert time.monotonic() - started < 40  # its hung worker was killed, not waited for
    assert [s["image"] for s in report.skipped] == [VICTIM]
    assert "item timeout" in report.skipped[0]["message"] and report.skipped[0]["error"] == "WorkerLost"
    assert report.images_out == 11 * 3


def driver(cluster, out: Path, *extra: str) -> subprocess.Popen:
    """The CLI in its own process, as another driver of the test cluster (``ray_driver.py``)."""
    recipe = out.parent / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(MOSAIC_RECIPE, sort_keys=False))
    args = [
        "expand",
        str(cluster.datasets["coco"]),
        "-r",
        str(recipe),
        "-o",
        str(out),
        "--executor",
        "ray",
        "-q",
    ]
    command = [sys.executable, str(HERE / "ray_driver.py"), cluster.address, json.dumps(cluster.runtime_env)]
    env = {
        **os.environ,
        "PYTHONPATH": cluster.runtime_env["env_vars"]["PYTHONPATH"],
    }  # this checkout's augcli
    return subprocess.Popen([*command, *args, *extra], stderr=subprocess.PIPE, text=True, env=env)


def journaled(out: Path) -> int:
    """The tasks in OUT's journal (its lines after the header)."""
    journal = out / ".augcli" / JOURNAL_NAME
    return journal.read_bytes().count(b"\n") - 1 if journal.exists() else 0


def stop_when_journaled(process: subprocess.Popen, out: Path, tasks: int, how: signal.Signals) -> str:
    """Send ``how`` once the run journaled more than ``tasks`` tasks; returns its stderr."""
    try:
        deadline = time.monotonic() + 40.0
        while journaled(out) <= tasks and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is not None or journaled(out) <= tasks:
            errors = process.communicate(timeout=30)[1] if process.poll() is not None else ""
            raise AssertionError(f"the run journaled no task (exit code {process.poll()}): {errors}")
        process.send_signal(how)
        return process.communicate(timeout=30)[1]
    finally:
        if process.poll() is None:
            process.kill()


def test_ctrl_c_and_a_killed_driver_resume_into_the_uninterrupted_output(cluster, tmp_path):
    cluster.faults({"slow": 0.4})  # 2.4 s of work on 2 CPUs: room to stop it half-way
    out = tmp_path / "out"
    process = driver(cluster, out)
    errors = stop_when_journaled(process, out, 0, signal.SIGINT)
    assert process.returncode == 130, errors
    assert "interrupted" in errors and "--resume" in errors
    done = journaled(out)
    assert 1 <= done < 12  # some tasks done, not all

    process = driver(cluster, out, "--resume")  # then the driver of the resumed run dies
    stop_when_journaled(process, out, done, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    assert done < journaled(out) < 12
    cluster.faults(None)

    report = augcli.expand(cluster.datasets["coco"], MOSAIC_RECIPE, out, executor="ray", resume=True)
    assert report.images_this_run < 12 * 3 and not report.skipped
    assert tree_digest(out) == tree_digest(cluster.references["coco"])


def test_an_interrupted_call_stops_its_ray_tasks_before_it_returns(cluster, tmp_path):
    """In a process that lives on (the Python API), the interrupted run's tasks must not
    go on writing into OUT after ``expand`` raised."""
    cluster.faults({"slow": 0.3})
    out = tmp_path / "out"
    seen = []

    def interrupt_after_two(result, task):
        seen.append(task.index)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        augcli.expand(
            cluster.datasets["coco"], MOSAIC_RECIPE, out, executor="ray", on_result=interrupt_after_two
        )
    stopped = tree_digest(out)
    time.sleep(1.0)  # a chunk still running would write its next image (0.3 s) meanwhile
    assert tree_digest(out) == stopped, "a Ray task wrote into OUT after expand returned"
    assert not list((out / ".augcli").glob("stop-*"))
    cluster.faults(None)

    augcli.expand(cluster.datasets["coco"], MOSAIC_RECIPE, out, executor="ray", resume=True)
    assert tree_digest(out) == tree_digest(cluster.references["coco"])


def test_the_fault_hook_is_only_in_the_test_cluster():
    import augcli.engine.ray_executor as ray_executor
    import augcli.engine.ray_session as ray_session
    import augcli.engine.ray_worker as ray_worker

    for module in (ray_executor, ray_session, ray_worker):
        assert FAULT_FILE_VARIABLE not in Path(module.__file__).read_text(), module.__name__
