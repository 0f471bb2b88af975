"""The journal and part files of a remote OUT go up as segment objects: every byte once, a
rewritten file as a new generation, and a resume rebuilds exactly what the store holds."""

from __future__ import annotations

import json

import pytest

from augcli.engine import journal as journal_module
from augcli.engine.merge import merge
from augcli.engine.runner import expand
from augcli.engine.shards import Shard
from augcli.storage import remote_out
from augcli.storage.append_objects import parse_segment, rebuild, segment_name
from augcli.storage.remote_out import RemoteOutput
from tests.storage.storage_helpers import RECIPE, SAMPLE, local_tree, remote_tree, stored_meta

pytest.importorskip("fsspec")


def counting_writes(monkeypatch, fs) -> list[tuple[str, int]]:
    """(key, bytes) of every object the run writes below the memory store."""
    sent: list[tuple[str, int]] = []
    cls = type(fs)
    pipe_file, put_file = cls.pipe_file, cls.put_file

    def pipe(self, path, value, **kwargs):
        sent.append((path, len(value)))
        return pipe_file(self, path, value, **kwargs)

    def put(self, lpath, rpath, **kwargs):
        with open(lpath, "rb") as handle:
            sent.append((rpath, len(handle.read())))
        return put_file(self, lpath, rpath, **kwargs)

    monkeypatch.setattr(cls, "pipe_file", pipe)
    monkeypatch.setattr(cls, "put_file", put)
    return sent


def test_a_shards_journal_and_parts_are_sent_once_in_segments_then_whole(memfs, tmp_path, monkeypatch):
    """Many rounds: the segments of each append file add up to the file, byte for byte, each
    byte sent once; the finished shard stores the files whole (and no segment) for merge."""
    fs, prefix = memfs
    monkeypatch.setattr(remote_out, "ROUND_SECONDS", 0.0)  # a round as often as it can
    monkeypatch.setattr(journal_module, "FLUSH_SECONDS", 0.0)
    sent = counting_writes(monkeypatch, fs)
    out = f"memory://{prefix}/part-0"
    expand(SAMPLE, RECIPE, out, workers=1, shard=Shard(0, 1), cache_dir=tmp_path / "c")
    stored = remote_tree(fs, f"{prefix}/part-0")
    assert not [k for k in stored if k.startswith(".augcli/segments/")]
    appended = [k for k in fs.find(f"{prefix}/part-0")]  # the whole files merge reads
    whole = {k.rsplit(".augcli/", 1)[1]: fs.cat_file(k) for k in appended if "/.augcli/" in k}
    assert "journal.jsonl" in whole and any(k.startswith("parts/") for k in whole)
    for name in [n for n in whole if n == "journal.jsonl" or n.startswith("parts/")]:
        segments = [(key, size) for key, size in sent if f"/.augcli/segments/{name}/" in key]
        starts = sorted(int(key.rsplit("/", 1)[1].split("-")[1]) for key, _ in segments)
        assert sum(size for _, size in segments) == len(whole[name]), name  # every byte once
        assert len(set(starts)) == len(starts)
        plain = [size for key, size in sent if key.endswith(f"/.augcli/{name}")]
        assert plain == [len(whole[name])]  # stored whole once, at the end
    journal_segments = [k for k, _ in sent if "/.augcli/segments/journal.jsonl/" in k]
    assert len(journal_segments) >= 3  # the rounds did run during the run, not only at its end
    merge([out], tmp_path / "merged", cache_dir=tmp_path / "m")
    expand(SAMPLE, RECIPE, tmp_path / "single", workers=1)
    assert local_tree(tmp_path / "merged") == local_tree(tmp_path / "single")


def test_a_rewritten_append_file_becomes_a_new_generation(memfs, tmp_path):
    fs, prefix = memfs
    remote = RemoteOutput(f"memory://{prefix}/out", tmp_path / "c")
    meta = remote.prepare_staging() / ".augcli"
    remote._lock.take()
    (meta / "parts").mkdir(parents=True)
    part = meta / "parts" / "000-0000.jsonl"
    part.write_bytes(b'{"a": 1}\n{"a": 2}\n{"torn')
    remote._round(final=False)
    assert stored_meta(fs, f"{prefix}/out")["parts/000-0000.jsonl"] == b'{"a": 1}\n{"a": 2}\n'  # whole lines
    with open(part, "ab") as handle:
        handle.write(b'": 3}\n')
    remote._round(final=False)
    assert stored_meta(fs, f"{prefix}/out")["parts/000-0000.jsonl"] == b'{"a": 1}\n{"a": 2}\n{"torn": 3}\n'
    part.unlink()
    part.write_bytes(b'{"b": 1}\n{"b": 2}\n{"b": 3}\n{"b": 4}\n')  # same name, other content, longer
    remote._round(final=False)
    assert stored_meta(fs, f"{prefix}/out")["parts/000-0000.jsonl"] == part.read_bytes()
    keys = [k.rsplit("/", 1)[1] for k in fs.find(f"{prefix}/out/.augcli/segments")]
    assert {k.split("-")[0] for k in keys} == {"000001"}  # the older generation is gone
    with open(part, "r+b") as handle:  # in place, same inode and size: only the probes see it
        handle.write(b'{"c"')
    remote._round(final=False)
    assert stored_meta(fs, f"{prefix}/out")["parts/000-0000.jsonl"] == part.read_bytes()


def test_rebuild_takes_the_newest_contiguous_chain_and_names_the_rest_stale():
    file = ".augcli/journal.jsonl"
    data = {
        segment_name(file, 0, 0, 4): b"old\n",
        segment_name(file, 1, 0, 2): b"a\n",
        segment_name(file, 1, 2, 4): b"b\n",
        segment_name(file, 1, 6, 8): b"d\n",  # after a gap: never joined
        segment_name(file, 2, 4, 6): b"c\n",  # a newer generation without its start: not a file
        segment_name(".augcli/parts/000-0000.jsonl", 0, 0, 2): b"p\n",
        ".augcli/parts/000-0000.jsonl": b"p\nq\n",  # whole: wins over its segments
        ".augcli/inputs.jsonl": b"{}\n",
    }
    rebuilt = rebuild(data)
    assert {name: [(s.gen, s.start, s.end) for s in chain] for name, chain in rebuilt.chains.items()} == {
        file: [(1, 0, 2), (1, 2, 4)]
    }
    assert rebuilt.next_gen == {file: 3, ".augcli/parts/000-0000.jsonl": 1}
    assert rebuilt.stale == sorted(
        [
            segment_name(file, 0, 0, 4),
            segment_name(file, 1, 6, 8),
            segment_name(file, 2, 4, 6),
            segment_name(".augcli/parts/000-0000.jsonl", 0, 0, 2),
        ]
    )
    assert parse_segment(segment_name(file, 3, 10, 20)).file == file  # type: ignore[union-attr]


@pytest.mark.parametrize("journaled", ["all", "none"])
def test_a_shard_killed_before_its_manifest_resumes_from_its_whole_files(memfs, tmp_path, journaled):
    """Killed after storing its journal and parts whole, before the manifest: --resume elsewhere
    takes the whole files, continues from them, and the shard merges to the single run."""
    fs, prefix = memfs
    out = f"memory://{prefix}/part-0"
    expand(SAMPLE, RECIPE, out, workers=1, shard=Shard(0, 1), cache_dir=tmp_path / "a")
    fs.rm(f"{prefix}/part-0/.augcli/run.jsonl")
    if journaled == "none":
        journal = fs.cat_file(f"{prefix}/part-0/.augcli/journal.jsonl")
        fs.pipe_file(f"{prefix}/part-0/.augcli/journal.jsonl", journal[: journal.index(b"\n") + 1])
    report = expand(SAMPLE, RECIPE, out, workers=1, shard=Shard(0, 1), resume=True, cache_dir=tmp_path / "b")
    assert report.images_this_run == (0 if journaled == "all" else report.images_out)
    run = json.loads(fs.cat_file(f"{prefix}/part-0/.augcli/run.jsonl"))
    assert run["shard"]["index"] == 0
    assert not fs.find(f"{prefix}/part-0/.augcli/segments")  # no object (memory:// may keep a folder)
    merge([out], tmp_path / "merged", cache_dir=tmp_path / "m")
    expand(SAMPLE, RECIPE, tmp_path / "single", workers=1)
    assert local_tree(tmp_path / "merged") == local_tree(tmp_path / "single")
