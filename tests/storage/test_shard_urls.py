"""Shards of a run whose SOURCE is a URL: each mirrors it, ``augcli merge`` mirrors it again."""

from __future__ import annotations

import json

import pytest

from augcli.engine.merge import merge
from augcli.engine.runner import expand
from augcli.engine.shards import Shard
from tests.storage.storage_helpers import RECIPE, SAMPLE, local_tree, upload_tree

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
