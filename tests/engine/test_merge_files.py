"""How ``augcli merge`` brings the shards' files into OUT: links (copies across file
systems), a merge cut short finished by running it again, what a part may not hold."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from shard_trees import TREES, tree_digest
from test_merge import RECIPE, run_shards

import augcli
from augcli.core.errors import DatasetError, UsageError
from augcli.engine.merge import merge


def _cut_short(parts: list[Path], out: Path) -> None:
    calls = []

    def stop(result, task):
        calls.append(task.index)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        merge(parts, out, on_result=stop)


def test_a_cut_short_merge_across_file_systems_replaces_a_stale_file_when_rerun(tmp_path, monkeypatch):
    source = TREES["coco"](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 2)
    out = tmp_path / "merged"
    _cut_short(parts, out)
    stale = next(p for p in sorted((out / "images").iterdir()) if p.is_file())
    stale.unlink()
    stale.write_bytes(b"not the shard's image")  # a file of its own at a linked name
    real_link = os.link

    def cross_device(src, dst, *args, **kwargs):
        if os.path.lexists(dst):  # Linux tells of a taken name before the other file system
            return real_link(src, dst, *args, **kwargs)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    merge(parts, out)
    monkeypatch.undo()
    assert tree_digest(out) == tree_digest(tmp_path / "single")
    assert stale.stat().st_nlink == 1  # copied in place of the stale file


def test_a_fifo_in_a_part_is_refused_before_out_is_touched(tmp_path):
    source = TREES["coco"](tmp_path / "data", count=4)
    parts = run_shards(source, tmp_path / "parts", 2)
    os.mkfifo(parts[1] / "images" / "pipe.png")
    with pytest.raises(UsageError, match=r"pipe\.png is not a regular file"):
        merge(parts, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_of_a_part_that_cannot_be_listed_is_exit_4_naming_it(tmp_path, monkeypatch):
    source = TREES["coco"](tmp_path / "data", count=4)
    parts = run_shards(source, tmp_path / "parts", 2)
    hidden = parts[0] / "images"
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == str(hidden):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DatasetError, match=rf"cannot list {hidden}: Permission denied") as caught:
        merge(parts, tmp_path / "out")
    assert caught.value.exit_code == 4 and not (tmp_path / "out").exists()
