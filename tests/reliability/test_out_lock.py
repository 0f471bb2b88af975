"""One run per OUT, and nothing under OUT/.augcli/ is reached through a symlink."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from reliability_helpers import RECIPE, REPO, install_crash_point, make_dataset, run_forked, tree_digest

import augcli
from augcli.core.errors import UsageError
from augcli.engine.journal import JOURNAL_NAME
from augcli.engine.lock import LOCK_NAME, MARKER_DIR, OutputLock


@pytest.fixture
def dataset(tmp_path):
    return make_dataset(tmp_path / "data", count=3)


def _recipe(tmp_path):
    import yaml

    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(RECIPE, sort_keys=False))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "augcli", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def _without_lock(out):
    return tree_digest(out, skip=lambda p: p.name == LOCK_NAME)


def test_a_second_run_on_a_locked_out_fails_at_once_naming_the_holder(dataset, tmp_path):
    out = tmp_path / "out"
    augcli.expand(dataset, RECIPE, out, workers=1)
    before = _without_lock(out)
    with OutputLock(out):  # this process plays the first run, still writing
        for extra in (["--overwrite"], ["--resume"]):
            done = _cli("expand", str(dataset), "-r", str(_recipe(tmp_path)), "-o", str(out), "-q", *extra)
            assert done.returncode == 2, done.stderr
            assert f"pid {os.getpid()}" in done.stderr and done.stderr.count("\n") == 1
        assert _without_lock(out) == before  # --overwrite deleted nothing of the running run
    augcli.expand(dataset, RECIPE, out, workers=1, overwrite=True)  # free again once released


def test_a_lock_held_by_a_killed_run_or_its_workers_does_not_block_resume(dataset, tmp_path):
    out = tmp_path / "out"

    def killed():
        install_crash_point("after-image-rename", 2)
        augcli.expand(dataset, RECIPE, out, workers=2)

    assert run_forked(killed) == -signal.SIGKILL
    assert (out / MARKER_DIR / LOCK_NAME).read_text().strip().isdigit()  # the dead run's pid
    augcli.expand(dataset, RECIPE, out, workers=2, resume=True)
    assert (out / MARKER_DIR / LOCK_NAME).read_bytes() == b""  # a finished OUT names no holder


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _linger_with_lock(out, holder_pid: int, seconds: float) -> int:
    """A child that holds OUT's lock under a dead run's pid for ``seconds``, like a worker
    forked at the instant its run was killed; returns its pid."""
    (out / MARKER_DIR).mkdir(parents=True, exist_ok=True)
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        import fcntl
        import time

        fd = os.open(out / MARKER_DIR / LOCK_NAME, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.pwrite(fd, f"{holder_pid}\n".encode(), 0)
        os.write(ready_w, b"x")
        time.sleep(seconds)
        os._exit(0)
    os.read(ready_r, 1)
    os.close(ready_r)
    os.close(ready_w)
    return pid


def test_a_lock_left_by_a_dead_run_is_waited_for_a_moment(dataset, tmp_path):
    out = tmp_path / "out"
    lingering = _linger_with_lock(out, _dead_pid(), 0.6)
    try:
        report = augcli.expand(dataset, RECIPE, out, workers=1, overwrite=True)  # waits, then runs
        assert report.images_out > 0
    finally:
        os.waitpid(lingering, 0)


def test_a_lock_a_dead_run_never_frees_is_refused_after_the_wait(dataset, tmp_path, monkeypatch):
    import augcli.engine.lock as lock_module

    monkeypatch.setattr(lock_module, "STALE_WAIT_SECONDS", 0.2)
    out = tmp_path / "out"
    dead = _dead_pid()
    lingering = _linger_with_lock(out, dead, 3.0)
    try:
        with pytest.raises(UsageError, match=f"pid {dead}"):
            OutputLock(out)
    finally:
        os.kill(lingering, signal.SIGKILL)
        os.waitpid(lingering, 0)


def test_a_planted_journal_symlink_is_refused_and_its_target_untouched(dataset, tmp_path):
    out = tmp_path / "out"

    def killed():
        install_crash_point("after-image-rename", 2)
        augcli.expand(dataset, RECIPE, out, workers=1)

    assert run_forked(killed) == -signal.SIGKILL
    outside = tmp_path / "outside.jsonl"
    journal = out / MARKER_DIR / JOURNAL_NAME
    outside.write_bytes(journal.read_bytes())
    journal.unlink()
    journal.symlink_to(outside)
    before = outside.read_bytes()
    with pytest.raises(UsageError, match="symlink"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)
    assert outside.read_bytes() == before


def test_a_symlinked_marker_folder_is_never_written_through(dataset, tmp_path):
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out.mkdir()
    (out / MARKER_DIR).symlink_to(elsewhere)
    with pytest.raises(UsageError):
        augcli.expand(dataset, RECIPE, out, workers=1, overwrite=True)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("line", [b'{"index": 0, "key": "img_00.jpg"', b"not json at all", b'{"index": 99}'])
def test_a_garbled_or_forged_journal_line_is_a_clear_error(dataset, tmp_path, line):
    out = tmp_path / "out"

    def killed():
        install_crash_point("after-journal-flush", 1)
        augcli.expand(dataset, RECIPE, out, workers=1)

    assert run_forked(killed) == -signal.SIGKILL
    with open(out / MARKER_DIR / JOURNAL_NAME, "ab") as handle:
        handle.write(line + b"\n")
    with pytest.raises(UsageError, match="journal"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)


def test_a_forged_task_for_another_image_is_refused(dataset, tmp_path):
    out = tmp_path / "out"

    def killed():
        install_crash_point("after-journal-flush", 1)
        augcli.expand(dataset, RECIPE, out, workers=1)

    assert run_forked(killed) == -signal.SIGKILL
    forged = b'{"index": 1, "key": "not_in_the_plan.jpg", "records": [], "provenance": []}\n'
    with open(out / MARKER_DIR / JOURNAL_NAME, "ab") as handle:
        handle.write(forged)
    with pytest.raises(UsageError, match="forged or damaged"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)


def test_an_out_below_a_regular_file_is_a_usage_error(dataset, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    done = _cli("expand", str(dataset), "-r", str(_recipe(tmp_path)), "-o", str(blocker / "out"), "-q")
    assert done.returncode == 2, done.stderr
    assert "is a file" in done.stderr and "internal error" not in done.stderr


def test_a_read_only_out_exits_6(dataset, tmp_path):
    mount = tmp_path / "ro"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {made.stderr.decode().strip()}")
    try:
        done = _cli("expand", str(dataset), "-r", str(_recipe(tmp_path)), "-o", str(mount / "out"), "-q")
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    assert done.returncode == 6, done.stderr
    assert "read-only" in done.stderr.lower()
