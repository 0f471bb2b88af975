"""Shards of a run whose SOURCE is a URL: each mirrors it, ``augcli merge`` mirrors it again."""

from __future__ import annotations

import json

import pytest

from augcli.engine.merge import merge
from augcli.engine.runner import expand
from augcli.engine.shards import Shard
from tests.storage.storage_helpers import RECIPE, SAMPLE, interrupt_after, local_tree, upload_tree

pytest.importorskip("fsspec")


def test_shards_of_a_memory_source_merge_to_the_single_run(memfs, tmp_path):
    fs, prefix = memfs
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    source = f"memory://{prefix}/in"
    expand(source, RECIPE, tmp_path / "single", workers=1, cache_dir=tmp_path / "cache-single")
    parts = []
    for index in range(2):  # each shard on its own machine: its own cache folder
        parts.append(tmp_path / f"part-{index}")
        expand(
            source, RECIPE, parts[-1], workers=1, shard=Shard(index, 2), cache_dir=tmp_path / f"cache-{index}"
        )
    arguments = json.loads((parts[0] / ".augcli" / "run.jsonl").read_text())["shard"]["arguments"]
    assert arguments["source"] == arguments["source_label"] == source  # not a cache path
    merge(parts, tmp_path / "merged", cache_dir=tmp_path / "cache-merge")
    assert local_tree(tmp_path / "merged") == local_tree(tmp_path / "single")


def test_a_merge_into_a_memory_out_uploads_the_single_runs_tree(memfs, tmp_path):
    from tests.storage.storage_helpers import remote_tree

    fs, prefix = memfs
    expand(SAMPLE, RECIPE, tmp_path / "single", workers=1)
    parts = []
    for index in range(2):
        parts.append(tmp_path / f"part-{index}")
        expand(SAMPLE, RECIPE, parts[-1], workers=1, shard=Shard(index, 2))
    merge(parts, f"memory://{prefix}/merged", cache_dir=tmp_path / "cache")
    uploaded = remote_tree(fs, f"{prefix}/merged")
    assert uploaded == {k: v for k, v in local_tree(tmp_path / "single").items() if k != ".augcli/lock"}


def test_shards_written_to_memory_urls_merge_from_there_to_the_single_run(memfs, tmp_path):
    """Shards on a cluster write to memory://.../part-I (each its own machine); the merge reads the
    parts from the store, into a local OUT and into a remote one, with the single run's bytes."""
    from tests.storage.storage_helpers import remote_tree

    fs, prefix = memfs
    expand(SAMPLE, RECIPE, tmp_path / "single", workers=1)
    single = {k: v for k, v in local_tree(tmp_path / "single").items() if k != ".augcli/lock"}
    parts = [f"memory://{prefix}/run/part-{index}" for index in range(3)]
    for index, part in enumerate(parts):
        expand(SAMPLE, RECIPE, part, workers=1, shard=Shard(index, 3), cache_dir=tmp_path / f"node-{index}")
        stored = remote_tree(fs, f"{prefix}/run/part-{index}")
        assert ".augcli/journal.jsonl" in stored and ".augcli/run.jsonl" in stored  # what merge reads
        assert not any(name.startswith(".augcli/segments/") for name in stored)
    merge(parts[::-1], tmp_path / "merged", cache_dir=tmp_path / "merge-node")
    merged = {k: v for k, v in local_tree(tmp_path / "merged").items() if k != ".augcli/lock"}
    assert merged == single
    merge(parts, f"memory://{prefix}/run/merged", cache_dir=tmp_path / "merge-node")
    assert remote_tree(fs, f"{prefix}/run/merged") == single
    for index in range(3):  # the parts are only read
        assert ".augcli/lock" not in remote_tree(fs, f"{prefix}/run/part-{index}")


def test_a_merge_of_url_parts_refuses_another_run_naming_the_urls(memfs, tmp_path):
    from augcli.core.errors import UsageError

    fs, prefix = memfs
    parts = [f"memory://{prefix}/part-{index}" for index in range(2)]
    expand(SAMPLE, RECIPE, parts[0], workers=1, shard=Shard(0, 2), cache_dir=tmp_path / "c")
    expand(SAMPLE, RECIPE, parts[1], workers=1, seed=9, shard=Shard(1, 2), cache_dir=tmp_path / "c")
    with pytest.raises(UsageError, match="shards of different runs: seed 9 vs") as refused:
        merge(parts, tmp_path / "merged", cache_dir=tmp_path / "c")
    assert parts[0] in str(refused.value) and parts[1] in str(refused.value)
    assert str(tmp_path / "c") not in str(refused.value)  # URLs, not the mirror's cache paths
    assert not (tmp_path / "merged").exists()


def test_a_merge_waits_for_a_url_part_still_locked_and_refuses_an_overlapping_out(memfs, tmp_path):
    import os
    import socket

    from augcli.core.errors import UsageError

    fs, prefix = memfs
    parts = [f"memory://{prefix}/run/part-{index}" for index in range(2)]
    for index, part in enumerate(parts):
        expand(SAMPLE, RECIPE, part, workers=1, shard=Shard(index, 2), cache_dir=tmp_path / "c")
    with pytest.raises(UsageError, match="overlaps"):
        merge(parts, f"memory://{prefix}/run", cache_dir=tmp_path / "c")
    live = {"host": socket.gethostname(), "pid": os.getppid(), "token": "x", "time": 4e9}
    fs.pipe_file(f"{prefix}/run/part-1/.augcli/lock", json.dumps(live).encode())
    with pytest.raises(UsageError, match=f"still writing to memory://{prefix}/run/part-1") as refused:
        merge(parts, tmp_path / "merged", cache_dir=tmp_path / "c")
    assert refused.value.exit_code == 2


def test_memory_end_to_end_shards_interrupted_resumed_and_merged_in_the_store(memfs, tmp_path, monkeypatch):
    """The generic fsspec path (what gs:// and other stores take), all in memory://: SOURCE in the
    store, two shards into it, one interrupted and resumed on another machine, the merge from the
    store into the store: the tree of one local run without shards."""
    from augcli.storage import remote_out
    from tests.storage.storage_helpers import remote_tree

    fs, prefix = memfs
    monkeypatch.setattr(remote_out, "ROUND_SECONDS", 0.05)
    upload_tree(fs, SAMPLE, f"{prefix}/in")
    source = f"memory://{prefix}/in"
    parts = [f"memory://{prefix}/run/part-{index}" for index in range(2)]

    with pytest.raises(KeyboardInterrupt):
        expand(
            source,
            RECIPE,
            parts[0],
            workers=1,
            shard=Shard(0, 2),
            on_result=interrupt_after(2),
            cache_dir=tmp_path / "node-a",
        )
    assert ".augcli/run.jsonl" not in remote_tree(fs, f"{prefix}/run/part-0")
    resumed = expand(
        source, RECIPE, parts[0], workers=1, shard=Shard(0, 2), resume=True, cache_dir=tmp_path / "node-b"
    )
    assert 0 < resumed.images_this_run < resumed.images_out  # it continued
    expand(source, RECIPE, parts[1], workers=2, shard=Shard(1, 2), cache_dir=tmp_path / "node-c")
    merge(parts, f"memory://{prefix}/run/merged", cache_dir=tmp_path / "node-d")
    expand(SAMPLE, RECIPE, tmp_path / "single", workers=1)
    expected = {k: v for k, v in local_tree(tmp_path / "single").items() if not k.startswith(".augcli/")}
    merged = remote_tree(fs, f"{prefix}/run/merged")
    assert {k: v for k, v in merged.items() if not k.startswith(".augcli/")} == expected
    for name in ("report.jsonl", "provenance.jsonl", "warnings.jsonl"):
        assert merged.get(f".augcli/{name}") == local_tree(tmp_path / "single").get(f".augcli/{name}"), name
    assert ".augcli/run.jsonl" in merged and not [k for k in merged if "segments" in k]


def test_a_merge_into_a_url_cut_short_is_finished_by_running_it_again(memfs, tmp_path):
    from augcli.core.errors import UsageError
    from tests.storage.storage_helpers import remote_tree

    fs, prefix = memfs
    parts = [tmp_path / f"part-{index}" for index in range(2)]
    for index, part in enumerate(parts):
        expand(SAMPLE, RECIPE, part, workers=1, shard=Shard(index, 2))

    out = f"memory://{prefix}/merged"
    with pytest.raises(KeyboardInterrupt):
        merge(parts, out, cache_dir=tmp_path / "c", on_result=interrupt_after(3))
    assert ".augcli/run.jsonl" not in remote_tree(fs, f"{prefix}/merged")
    merge(parts, out, cache_dir=tmp_path / "c")  # no --overwrite needed: it finishes the cut merge
    expand(SAMPLE, RECIPE, tmp_path / "single", workers=1)
    single = {k: v for k, v in local_tree(tmp_path / "single").items() if k != ".augcli/lock"}
    assert remote_tree(fs, f"{prefix}/merged") == single
    with pytest.raises(UsageError, match="--overwrite"):  # a finished one is replaced only on request
        merge(parts, out, cache_dir=tmp_path / "c")
    merge(parts, out, cache_dir=tmp_path / "c", overwrite=True)
    assert remote_tree(fs, f"{prefix}/merged") == single
