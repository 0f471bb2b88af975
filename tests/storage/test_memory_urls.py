"""SOURCE and OUT as ``memory://`` and ``file://`` URLs: the same bytes as a local run, a
remote OUT that is complete only once its manifest exists, and ``--resume`` from the store."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time

import pytest

from augcli.core.errors import OutputError, UsageError
from augcli.engine import journal as journal_module
from augcli.engine.assemble import PartReader
from augcli.engine.journal import read_journal
from augcli.engine.runner import expand
from augcli.storage import remote_out
from augcli.storage.remote_out import RemoteOutput
from tests.storage.storage_helpers import (
    RECIPE,
    SAMPLE,
    interrupt_after,
    local_tree,
    outputs,
    reference_run,
    remote_tree,
    stored_meta,
    upload_tree,
)

pytest.importorskip("fsspec")


def url(prefix: str, *parts: str) -> str:
    return "memory://" + "/".join([prefix.strip("/"), *parts])


def test_memory_source_and_out_match_a_local_run(memfs, tmp_path):
    fs, prefix = memfs
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    report = expand(url(prefix, "in"), RECIPE, url(prefix, "out"), workers=2, cache_dir=tmp_path / "cache")
    remote = remote_tree(fs, f"{prefix}/out")
    assert outputs(remote) == outputs(reference_run(tmp_path, workers=1))
    assert ".augcli/run.jsonl" in remote  # the manifest: the dataset is complete
    assert not {".augcli/journal.jsonl", ".augcli/lock"} & set(remote)
    assert report.out == url(prefix, "out") and report.source == url(prefix, "in")
    assert not any((tmp_path / "cache" / "staging").rglob("*.jpg"))  # the staging folder is gone
    finished = json.loads(fs.cat_file(f"{prefix}/out/.augcli/run.jsonl"))
    assert finished["identity"]["source"] == url(prefix, "in")  # not the cache path


def test_images_url_beside_a_json_url_gives_the_local_layout(memfs, tmp_path):
    """A JSON and an --images folder in one store keep their relative places, as on disk."""
    fs, prefix = memfs
    local = tmp_path / "local"
    shutil.copytree(SAMPLE / "images", local / "b" / "pics")
    (local / "a" / "labels").mkdir(parents=True)
    shutil.copy(SAMPLE / "annotations" / "instances_default.json", local / "a" / "labels")
    upload_tree(fs, local, f"{prefix}/data")
    source = url(prefix, "data", "a", "labels", "instances_default.json")
    expand(
        source, RECIPE, url(prefix, "out"), images=url(prefix, "data", "b", "pics"), cache_dir=tmp_path / "c"
    )
    json_file = local / "a" / "labels" / "instances_default.json"
    expected = reference_run(tmp_path, source=json_file, images=local / "b" / "pics")
    assert "b/pics/park_02__aug1.jpg" in expected
    assert outputs(remote_tree(fs, f"{prefix}/out")) == outputs(expected)


def test_file_urls_are_plain_paths(tmp_path):
    out = tmp_path / "out"
    expand(SAMPLE.as_uri(), RECIPE, out.as_uri(), cache_dir=tmp_path / "cache")
    assert outputs(local_tree(out)) == outputs(reference_run(tmp_path))
    assert not (tmp_path / "cache").exists()  # nothing mirrored, nothing staged


@pytest.mark.parametrize("to", ["same", "yolo", "voc", "masks"])
def test_upload_failure_then_resume_elsewhere_gives_the_same_bytes(memfs, tmp_path, monkeypatch, to):
    """The uploader fails once the store holds a journaled task: the run stops (exit 6) with no
    manifest; --resume from another cache folder (another machine, no staged images) trusts what
    was uploaded, in every output format."""
    fs, prefix = memfs
    monkeypatch.setattr(remote_out, "ROUND_SECONDS", 0.02)
    monkeypatch.setattr(journal_module, "FLUSH_SECONDS", 0.0)
    put = RemoteOutput._put

    def failing_put(self, files):
        if stored_meta(fs, f"{prefix}/out").get("journal.jsonl", b"").count(b"\n") >= 2:
            raise OSError(5, "injected upload failure")
        return put(self, files)

    monkeypatch.setattr(RemoteOutput, "_put", failing_put)
    with pytest.raises(OutputError) as failure:
        expand(SAMPLE, RECIPE, url(prefix, "out"), to=to, workers=1, cache_dir=tmp_path / "machine-a")
    assert failure.value.exit_code == 6
    assert url(prefix, "out") in str(failure.value) and "--resume" in str(failure.value)
    remote = remote_tree(fs, f"{prefix}/out")
    stored = stored_meta(fs, f"{prefix}/out")
    assert ".augcli/run.jsonl" not in remote and "journal.jsonl" in stored
    assert ".augcli/lock" not in remote  # released on the way out
    # what --resume trusts: every task of the remote journal reads back from the remote parts,
    # and its output images are in the store
    meta = tmp_path / "downloaded" / ".augcli"
    for rel, data in stored.items():
        (meta / rel).parent.mkdir(parents=True, exist_ok=True)
        (meta / rel).write_bytes(data)
    _identity, done, _good = read_journal(meta / "journal.jsonl")
    assert done
    reader = PartReader(meta)
    for entry in done.values():
        result = reader.load(entry)
        assert result.key == entry.key and not result.error
        stem = entry.key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        names = [k.rsplit("/", 1)[-1] for k in remote]
        copies = {n.rsplit(".", 1)[0] for n in names if n.startswith(stem + "__aug")}
        assert copies == {f"{stem}__aug{k}" for k in range(1, 5)}  # detection.yaml: 4 copies, all stored

    monkeypatch.setattr(RemoteOutput, "_put", put)
    report = expand(
        SAMPLE, RECIPE, url(prefix, "out"), to=to, workers=2, resume=True, cache_dir=tmp_path / "machine-b"
    )
    assert report.images_this_run < report.images_out  # it continued, it did not start over
    expected = outputs(reference_run(tmp_path, to=to, workers=1))
    assert outputs(remote_tree(fs, f"{prefix}/out")) == expected


def test_resume_of_a_finished_remote_run_does_nothing(memfs, tmp_path):
    fs, prefix = memfs
    expand(SAMPLE, RECIPE, url(prefix, "out"), cache_dir=tmp_path / "a")
    before = remote_tree(fs, f"{prefix}/out")
    report = expand(SAMPLE, RECIPE, url(prefix, "out"), resume=True, cache_dir=tmp_path / "b")
    assert report.images_this_run == 0 and report.images_out == 40
    assert remote_tree(fs, f"{prefix}/out") == before


def test_resume_names_a_changed_remote_input_by_its_url(memfs, tmp_path):
    fs, prefix = memfs
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    expand(url(prefix, "in"), RECIPE, url(prefix, "out"), cache_dir=tmp_path / "a")
    fs.pipe_file(f"{prefix}/in/images/park_02.jpg", (SAMPLE / "images" / "park_05.jpg").read_bytes())
    with pytest.raises(UsageError, match="input files changed") as refused:
        expand(url(prefix, "in"), RECIPE, url(prefix, "out"), resume=True, cache_dir=tmp_path / "b")
    assert url(prefix, "in", "images", "park_02.jpg") in str(refused.value)


def test_remote_out_refuses_foreign_objects_and_overwrite_clears_its_own(memfs, tmp_path):
    fs, prefix = memfs
    fs.pipe_file(f"{prefix}/foreign/notes.txt", b"not augcli's")
    with pytest.raises(UsageError, match="not written by augcli"):
        expand(SAMPLE, RECIPE, url(prefix, "foreign"), cache_dir=tmp_path / "c")
    assert list(remote_tree(fs, f"{prefix}/foreign")) == ["notes.txt"]  # nothing written there
    expand(SAMPLE, RECIPE, url(prefix, "out"), cache_dir=tmp_path / "c")
    fs.pipe_file(f"{prefix}/out/images/left_over.jpg", b"from an earlier run")
    with pytest.raises(UsageError, match="--overwrite"):
        expand(SAMPLE, RECIPE, url(prefix, "out"), cache_dir=tmp_path / "c")
    expand(SAMPLE, RECIPE, url(prefix, "out"), overwrite=True, cache_dir=tmp_path / "c")
    assert "images/left_over.jpg" not in remote_tree(fs, f"{prefix}/out")
    assert outputs(remote_tree(fs, f"{prefix}/out")) == outputs(reference_run(tmp_path))


def test_a_live_lock_refuses_a_second_run_and_a_dead_one_is_taken_over(memfs, tmp_path):
    fs, prefix = memfs
    lock = f"{prefix}/out/.augcli/lock"
    held = {"host": socket.gethostname(), "pid": os.getppid(), "token": "x", "time": 4e9}
    fs.pipe_file(lock, json.dumps(held).encode())
    with pytest.raises(UsageError, match=f"another augcli run .*pid {os.getppid()}") as refused:
        expand(SAMPLE, RECIPE, url(prefix, "out"), cache_dir=tmp_path / "c")
    assert refused.value.exit_code == 2
    dead = {**held, "pid": _dead_pid()}
    fs.pipe_file(lock, json.dumps(dead).encode())
    expand(SAMPLE, RECIPE, url(prefix, "out"), cache_dir=tmp_path / "c")
    assert ".augcli/run.jsonl" in remote_tree(fs, f"{prefix}/out")


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_missing_fsspec_is_one_line_naming_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(UsageError, match=r"pip install 'augcli\[s3\]'") as missing:
        expand("s3://bucket/data", RECIPE, tmp_path / "out")
    assert missing.value.exit_code == 2 and "\n" not in str(missing.value)


def test_a_mirror_downloads_only_what_changed_and_drops_what_is_gone(memfs, tmp_path, monkeypatch):
    from augcli.storage.mirror import mirror

    fs, prefix = memfs
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    fetched: list[str] = []
    get = type(fs).get

    def counting_get(self, remote, local, **kwargs):
        fetched.extend(remote)
        return get(self, remote, local, **kwargs)

    monkeypatch.setattr(type(fs), "get", counting_get)
    root = mirror(url(prefix, "in"), tmp_path / "c")
    assert len(fetched) == 9 and local_tree(root) == local_tree(SAMPLE)
    fetched.clear()
    assert mirror(url(prefix, "in"), tmp_path / "c") == root and fetched == []
    fs.pipe_file(f"{prefix}/in/images/park_02.jpg", b"changed")
    fs.rm(f"{prefix}/in/images/road_06.jpg")
    mirror(url(prefix, "in"), tmp_path / "c")
    assert [f.rsplit("/", 1)[-1] for f in fetched] == ["park_02.jpg"]
    assert (root / "images" / "park_02.jpg").read_bytes() == b"changed"
    assert not (root / "images" / "road_06.jpg").exists()


def test_a_run_that_lost_its_lock_stops_without_a_manifest(memfs, tmp_path, monkeypatch):
    """Another run took the lock over (this one's lease looked expired): no manifest is written."""
    fs, prefix = memfs
    lock = f"{prefix}/out/.augcli/lock"
    heartbeat = RemoteOutput._heartbeat

    def overtaken(self, force=False):
        if force:
            fs.pipe_file(
                lock, json.dumps({"host": "elsewhere", "pid": 1, "token": "t", "time": 4e9}).encode()
            )
        heartbeat(self, force)

    monkeypatch.setattr(RemoteOutput, "_heartbeat", overtaken)
    with pytest.raises(OutputError, match="taken over by another run .*host elsewhere") as lost:
        expand(SAMPLE, RECIPE, url(prefix, "out"), cache_dir=tmp_path / "c")
    assert lost.value.exit_code == 6
    remote = remote_tree(fs, f"{prefix}/out")
    assert ".augcli/run.jsonl" not in remote and ".augcli/lock" in remote  # the other run's lock stays


def test_a_round_whose_part_file_vanished_holds_the_journal_back(memfs, tmp_path):
    """A part file removed between the scan and its upload (a finishing run) must not let the
    journal read at the round's start reach the store: it may name bytes the store lacks."""
    fs, prefix = memfs
    remote = RemoteOutput(url(prefix, "out"), tmp_path / "c")
    meta = remote.prepare_staging() / ".augcli"
    remote._lock.take()  # what claim() does first (without its upload thread)
    (meta / "parts").mkdir(parents=True)
    (meta / "journal.jsonl").write_bytes(b'{"header": 1}\n{"task": 0, "part": "parts/a.jsonl"}\n')
    (meta / "parts" / "a.jsonl").write_bytes(b'{"records": []}\n')
    scan = remote._scan

    def scan_then_remove():
        found = scan()
        (meta / "parts" / "a.jsonl").unlink()
        return found

    remote._scan = scan_then_remove  # type: ignore[method-assign]
    remote._round(final=False)
    assert "journal.jsonl" not in stored_meta(fs, f"{prefix}/out")
    remote._scan = scan  # type: ignore[method-assign]
    (meta / "parts" / "a.jsonl").write_bytes(b'{"records": []}\n')
    remote._round(final=False)
    stored = stored_meta(fs, f"{prefix}/out")
    assert stored["parts/a.jsonl"] == b'{"records": []}\n'
    assert stored["journal.jsonl"] == (meta / "journal.jsonl").read_bytes()


def test_a_missing_remote_image_is_reported_by_its_url(memfs, tmp_path):
    fs, prefix = memfs
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    fs.rm(f"{prefix}/in/images/park_02.jpg")
    report = expand(url(prefix, "in"), RECIPE, url(prefix, "out"), cache_dir=tmp_path / "c")
    named = [r for r in report.skipped if "park_02" in str(r)]
    assert named and all("/cache/" not in json.dumps(r) for r in report.skipped)
    assert url(prefix, "in", "images", "park_02.jpg") in json.dumps(named)
    saved = fs.cat_file(f"{prefix}/out/.augcli/report.jsonl").decode()
    assert url(prefix, "in", "images", "park_02.jpg") in saved and str(tmp_path / "c") not in saved


def test_an_interrupted_remote_run_uploads_what_it_finished_then_resumes(memfs, tmp_path, monkeypatch):
    """Ctrl-C: the last round sends every finished task (never the manifest); --resume elsewhere
    redoes only the rest."""
    fs, prefix = memfs
    monkeypatch.setattr(remote_out, "ROUND_SECONDS", 3600.0)  # no round but the one on the way out

    with pytest.raises(KeyboardInterrupt):
        expand(
            SAMPLE,
            RECIPE,
            url(prefix, "out"),
            workers=1,
            on_result=interrupt_after(3),
            cache_dir=tmp_path / "a",
        )
    remote = remote_tree(fs, f"{prefix}/out")
    assert ".augcli/run.jsonl" not in remote and ".augcli/lock" not in remote
    staged = [p for p in (tmp_path / "a" / "staging").rglob("*") if p.is_file() and ".augcli" not in p.parts]
    assert staged == []  # images leave the staging folder once they are in the store
    report = expand(SAMPLE, RECIPE, url(prefix, "out"), resume=True, cache_dir=tmp_path / "b")
    assert report.images_this_run <= report.images_out - 3 * 5  # 3 tasks of 1 original + 4 copies kept
    assert outputs(remote_tree(fs, f"{prefix}/out")) == outputs(reference_run(tmp_path))


def test_a_failed_items_files_leave_the_store(memfs, tmp_path, monkeypatch):
    """An item that fails after writing its copies: they are discarded locally and, even if a
    round had sent them already, deleted from the store."""
    from augcli.engine import worker

    fs, prefix = memfs
    monkeypatch.setattr(remote_out, "ROUND_SECONDS", 0.01)
    run_task = worker.run_task

    def fails_late(ctx, task):
        result = run_task(ctx, task)
        if task.key == "park_02.jpg":
            time.sleep(0.3)  # a round sends the copies meanwhile
            result.records, result.error = [], {"error": "ItemError", "message": "late", "image": task.key}
        return result

    monkeypatch.setattr(worker, "run_task", fails_late)
    report = expand(SAMPLE, RECIPE, url(prefix, "out"), workers=1, cache_dir=tmp_path / "c")
    assert [r["image"] for r in report.skipped] == ["park_02.jpg"]
    remote = remote_tree(fs, f"{prefix}/out")
    assert not [k for k in remote if "park_02" in k]
    assert len([k for k in remote if k.startswith("images/")]) == 35
