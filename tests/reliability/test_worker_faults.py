"""A worker that dies or hangs costs only its item; signals and a full disk stop cleanly
and leave a state that ``--resume`` completes into the uninterrupted result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import faults
import pytest
from reliability_helpers import RECIPE, REPO, is_temp, make_dataset, tree_digest

import augcli
from augcli.core.errors import OutputError
from augcli.engine.journal import JOURNAL_NAME
from augcli.engine.lock import LOCK_NAME
from augcli.engine.parts import is_part

HERE = Path(__file__).resolve().parent
VICTIM = "img_02.png"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("faults") / "data")


@pytest.fixture(scope="module")
def reference(dataset, tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reference") / "out"
    augcli.expand(dataset, RECIPE, out, workers=1)
    return tree_digest(out)


@pytest.fixture
def patched(monkeypatch):
    """``install`` faults for this test only (the workers fork from this process)."""
    from augcli.engine import worker
    from augcli.formats import atomic

    monkeypatch.setattr(worker, "run_task", worker.run_task)
    monkeypatch.setattr(atomic, "os", atomic.os)
    return faults.install


def output_names(out: Path) -> set[str]:
    return {p.name for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fault", ["segfault", "exit", "kill"])
def test_a_worker_dying_on_every_try_costs_only_its_item(dataset, tmp_path, patched, fault, workers):
    patched({"fault": fault, "key": VICTIM})
    out = tmp_path / "out"
    report = augcli.expand(dataset, RECIPE, out, workers=workers)

    lost = [s for s in report.skipped if s["image"] == VICTIM]
    assert len(lost) == 1 and lost[0]["error"] == "WorkerLost"
    assert "also when retried alone" in lost[0]["message"]
    assert lost[0]["file"].endswith(VICTIM)
    assert report.images_out == 3 * 3  # the other three images, all copies
    rows = [json.loads(line) for line in (out / ".augcli" / "report.jsonl").read_text().splitlines()]
    assert [r["image"] for r in rows] == [VICTIM]
    coco = json.loads((out / "annotations" / "instances_train.json").read_text())
    assert not any(im["file_name"].startswith("img_02") for im in coco["images"])
    names = output_names(out)
    assert not any(name.startswith("img_02") for name in names)  # no orphan outputs
    assert not any(is_temp(p) for p in out.rglob("*"))
    assert JOURNAL_NAME not in names


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fault", ["segfault", "kill"])
def test_a_transient_crash_is_retried_and_leaves_no_trace(
    dataset, reference, tmp_path, patched, fault, workers
):
    patched({"fault": fault, "key": VICTIM, "once_flag": str(tmp_path / "crashed-once")})
    report = augcli.expand(dataset, RECIPE, tmp_path / "out", workers=workers)
    assert (tmp_path / "crashed-once").exists()  # the crash did happen
    assert report.skipped == []
    assert tree_digest(tmp_path / "out") == reference


def test_the_suspect_is_retried_alone(dataset, tmp_path, patched):
    log = tmp_path / "log"
    patched(
        {"fault": "exit", "key": VICTIM, "once_flag": str(tmp_path / "once"), "log": str(log), "slow": 0.05}
    )
    augcli.expand(dataset, RECIPE, tmp_path / "out", workers=2)
    events = [line.split() for line in log.read_text().splitlines()]
    starts = [i for i, (kind, key, _) in enumerate(events) if kind == "start" and key == VICTIM]
    assert len(starts) == 2  # the crash, then the retry
    retry_start = float(events[starts[1]][2])
    retry_end = next(float(t) for kind, key, t in events if kind == "end" and key == VICTIM)
    running = set()
    for kind, key, stamp in events:  # nothing else runs during the retry
        if kind == "start":
            running.add(key)
        elif kind == "end":
            running.discard(key)
        if retry_start < float(stamp) < retry_end:
            assert key == VICTIM, f"{key} ran during the retry"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_hung_item_is_bounded_by_the_item_timeout(dataset, tmp_path, patched, workers):
    patched({"fault": "hang", "key": VICTIM})
    started = time.monotonic()
    report = augcli.expand(dataset, RECIPE, tmp_path / "out", workers=workers, item_timeout=0.5)
    assert time.monotonic() - started < 20
    lost = [s for s in report.skipped if s["image"] == VICTIM]
    assert len(lost) == 1 and "item timeout" in lost[0]["message"]
    assert report.images_out == 9


# -- signals and a full disk, through the CLI ---------------------------------------------------


def _recipe_file(tmp_path: Path) -> Path:
    import yaml

    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(RECIPE, sort_keys=False))
    return path


def _faulty_cli(spec: dict, dataset: Path, out: Path, recipe: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(HERE / "faults.py"),
        json.dumps(spec),
        "expand",
        str(dataset),
        "--recipe",
        str(recipe),
        "--out",
        str(out),
        "--workers",
        "2",
        "--quiet",
        *extra,
    ]


def _no_partial_files(out: Path, reference: dict) -> None:
    now = tree_digest(out, skip=lambda p: is_temp(p) or p.name in (JOURNAL_NAME, LOCK_NAME) or is_part(p))
    assert all(reference.get(rel) == digest for rel, digest in now.items())


@pytest.mark.parametrize(
    "signum, code, group",
    [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False), (signal.SIGTERM, 143, True)],
)
def test_sigint_and_sigterm_stop_cleanly_and_resume(dataset, reference, tmp_path, signum, code, group):
    recipe, out = _recipe_file(tmp_path), tmp_path / "out"
    log = tmp_path / "log"
    args = _faulty_cli({"slow": 0.4, "log": str(log)}, dataset, out, recipe)
    process = subprocess.Popen(
        args, cwd=REPO, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while not (log.exists() and log.read_text().count("end") >= 1) and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until the run is under way
    if group:
        os.killpg(process.pid, signum)  # Ctrl-C in a terminal, or a job scheduler
    else:
        os.kill(process.pid, signum)  # `kill PID`
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert "--resume" in err and "Traceback" not in err
    assert (out / ".augcli" / JOURNAL_NAME).exists()
    _no_partial_files(out, reference)
    time.sleep(0.1)
    assert subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True).returncode != 0, (
        "workers outlived the run"
    )
    augcli.expand(dataset, RECIPE, out, workers=2, resume=True)
    assert tree_digest(out) == reference


@pytest.mark.parametrize("full_for", [None, ".json."])
def test_a_full_disk_stops_with_exit_6_and_resumes(dataset, reference, tmp_path, full_for):
    """The disk fills up while images are written, or when the annotation file is."""
    recipe, out, flag = _recipe_file(tmp_path), tmp_path / "out", tmp_path / "disk-full"
    spec = {"disk_full_flag": str(flag), "full_for": full_for, "after_key": "img_01.png"}
    if full_for:
        flag.touch()
    done = subprocess.run(
        _faulty_cli(spec, dataset, out, recipe), cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 6, done.stderr
    message = done.stderr.strip().splitlines()
    assert len(message) == 1 and "No space left on device" in message[0] and "--resume" in message[0]
    _no_partial_files(out, reference)
    assert (out / ".augcli" / JOURNAL_NAME).exists()
    flag.unlink()  # space was freed
    resumed = subprocess.run(
        _faulty_cli({}, dataset, out, recipe, "--resume"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert tree_digest(out) == reference


def test_a_full_disk_raises_output_error_from_the_python_api(dataset, reference, tmp_path, patched):
    flag = tmp_path / "disk-full"
    patched({"disk_full_flag": str(flag), "after_key": "img_00.jpg"})
    with pytest.raises(OutputError, match="No space left on device"):
        augcli.expand(dataset, RECIPE, tmp_path / "out", workers=1)
    flag.unlink()
    augcli.expand(dataset, RECIPE, tmp_path / "out", workers=1, resume=True)
    assert tree_digest(tmp_path / "out") == reference


def test_workers_die_with_a_killed_parent(dataset, tmp_path):
    recipe, out, log = _recipe_file(tmp_path), tmp_path / "out", tmp_path / "log"
    process = subprocess.Popen(
        _faulty_cli({"slow": 20.0, "log": str(log)}, dataset, out, recipe),
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (log.exists() and log.read_text().count("start") >= 2) and time.monotonic() < deadline:
        time.sleep(0.02)  # both workers are busy
    os.kill(process.pid, signal.SIGKILL)  # only the parent: nobody tells the workers
    process.wait()
    deadline = time.monotonic() + 5
    while subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "workers outlived their parent"
        time.sleep(0.05)
