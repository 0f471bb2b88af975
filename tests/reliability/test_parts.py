"""Workers write their results to part files; the journal names them and holds no records."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pytest
from reliability_helpers import RECIPE, install_crash_point, make_dataset, run_forked, tree_digest

import augcli
from augcli.core.errors import UsageError
from augcli.engine.assemble import PartReader
from augcli.engine.journal import JOURNAL_NAME, Journal, read_journal
from augcli.engine.lock import LOCK_NAME, MARKER_DIR
from augcli.engine.parts import PARTS_DIR, PartNames, PartWriter
from augcli.engine.result_json import normalize_result, provenance_lines, written_rows
from augcli.engine.worker import TaskResult
from augcli.formats.base import ItemRecord, RawPayload


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("parts") / "data")


@pytest.fixture(scope="module")
def reference(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "out"
    augcli.expand(dataset, RECIPE, out, workers=1)
    return tree_digest(out, skip=lambda p: p.name == LOCK_NAME)


def _killed_after(dataset, out, flushes: int, workers: int, resume: bool = False) -> None:
    def run():
        install_crash_point("after-journal-flush", flushes)
        augcli.expand(dataset, RECIPE, out, workers=workers, resume=resume)

    assert run_forked(run) == -signal.SIGKILL


@pytest.mark.parametrize("workers", [1, 2])
def test_journal_lines_name_parts_and_hold_no_records(dataset, tmp_path, workers):
    out = tmp_path / "out"
    _killed_after(dataset, out, 2, workers)
    meta = out / MARKER_DIR
    lines = (meta / JOURNAL_NAME).read_bytes().splitlines()[1:]
    assert len(lines) >= 2
    for line in lines:
        entry = json.loads(line)
        assert set(entry) == {"index", "key", "failed", "part", "offset", "length"}
        assert entry["part"].startswith(f"{PARTS_DIR}/")
    _, done, _ = read_journal(meta / JOURNAL_NAME)
    reader = PartReader(meta)
    for index, entry in done.items():
        result = reader.load(entry)
        assert result.index == index and result.key == entry.key
        assert len(result.records) == 3  # the original and 2 copies, read back from the part
    reader.close()


def test_a_resumed_run_writes_new_parts_beside_the_old_and_a_finished_run_removes_them(
    dataset, reference, tmp_path
):
    out = tmp_path / "out"
    _killed_after(dataset, out, 1, 2)
    first = sorted(p.name for p in (out / MARKER_DIR / PARTS_DIR).iterdir())
    assert first and all(name.startswith("000-") for name in first)
    assert PartNames(out / MARKER_DIR).run == 1  # the resumed run's names cannot collide
    _killed_after(dataset, out, 1, 1, resume=True)
    second = sorted(p.name for p in (out / MARKER_DIR / PARTS_DIR).iterdir())
    assert set(first) < set(second) and any(name.startswith("001-") for name in second)
    augcli.expand(dataset, RECIPE, out, workers=2, resume=True)
    assert not (out / MARKER_DIR / PARTS_DIR).exists()
    assert tree_digest(out, skip=lambda p: p.name == LOCK_NAME) == reference


@pytest.mark.parametrize(
    "forged",
    [
        {"part": "../../../etc/passwd"},
        {"part": "/etc/passwd"},
        {"part": "parts/000-0000.jsonl", "offset": -1},
        {"part": "parts/000-0000.jsonl", "failed": "no"},
    ],
)
def test_a_journal_line_naming_something_else_than_a_part_is_refused(dataset, tmp_path, forged):
    out = tmp_path / "out"
    _killed_after(dataset, out, 2, 1)
    path = out / MARKER_DIR / JOURNAL_NAME
    header, first, *rest = path.read_bytes().splitlines(keepends=True)
    entry = dict(json.loads(first), **forged)
    path.write_bytes(header + json.dumps(entry).encode() + b"\n" + b"".join(rest))
    with pytest.raises(UsageError, match="not a task record augcli wrote"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)


def test_resume_refuses_a_journal_of_an_older_part_format(dataset, tmp_path):
    out = tmp_path / "out"
    _killed_after(dataset, out, 2, 1)
    path = out / MARKER_DIR / JOURNAL_NAME
    header, *rest = path.read_bytes().splitlines(keepends=True)
    older = dict(json.loads(header), augcli_journal=1)  # its part lines held annotations as JSON
    path.write_bytes(json.dumps(older).encode() + b"\n" + b"".join(rest))
    with pytest.raises(UsageError, match="of another augcli version's format; start over with --overwrite"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)


def test_resume_refuses_a_part_shorter_than_its_journal_lines(dataset, tmp_path):
    out = tmp_path / "out"
    _killed_after(dataset, out, 2, 1)
    part = next((out / MARKER_DIR / PARTS_DIR).iterdir())
    part.write_bytes(part.read_bytes()[:10])
    with pytest.raises(UsageError, match="shorter than the journal says.*--overwrite"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)


def test_raw_payloads_come_back_as_the_same_bytes_from_a_part_and_from_a_journal_line(tmp_path):
    template = RawPayload(b'\x02{"id": \x00, "image_id": \x01, "name": "caf\xc3\xa9 \\u0000"}')
    records = [
        ItemRecord("k", 0, {"image_index": 2}),
        ItemRecord(
            "k", 1, {"image_index": 2, "image": RawPayload(b'\x02{"id": \x00}'), "annotations": template}
        ),
        ItemRecord("k", 2, {"image_index": 2, "image": RawPayload(b""), "annotations": RawPayload(b"")}),
    ]
    result = TaskResult(3, "k", records=records, provenance=[{"key": "k", "copy": 1, "ops": []}])
    meta = tmp_path / MARKER_DIR
    meta.mkdir()
    writer = PartWriter(meta, PartNames(meta).next())
    finished = writer.finish(result)
    writer.close()
    assert template in (meta / finished.ref.file).read_bytes()  # as it is: not escaped into the JSON
    journal = Journal.create(meta, {"run": 1})
    whole = journal.record(result)  # a result journaled whole holds its raw payloads as text
    journal.drain()
    journal.close()
    assert read_journal(meta / JOURNAL_NAME)[1][3] == whole
    reader = PartReader(meta)
    for back in (reader.load(finished.done()), reader.load(whole), normalize_result(result)):
        assert back == result
        assert [type(v) for r in back.records for v in r.payload.values()].count(RawPayload) == 4
    reader.close()


def test_provenance_lines_from_a_part_are_the_lines_the_parent_would_write(tmp_path):
    rows = [
        {"key": "k\u00e9", "copy": 1, "ops": [{"name": "Affine", "angle": np.float32(1.5), "size": (3, 4)}]},
        {"key": "k", "copy": 2, "skipped": {"error": "ImageReadError"}},  # reported, not logged
        {"copy": 3, "key": "k", "nan": float("nan"), "tag": b"\xff", "path": Path("/a/b")},
    ]
    result = TaskResult(3, "k", provenance=rows)
    meta = tmp_path / MARKER_DIR
    meta.mkdir()
    writer = PartWriter(meta, PartNames(meta).next())
    finished = writer.finish(result)
    writer.close()
    back = PartReader(meta).load(finished.done())
    assert back.provenance_lines is not None
    assert back.provenance_lines == provenance_lines(written_rows(back.provenance))  # what assemble wrote
    assert back.provenance_lines.count(b"\n") == 2


def test_draining_after_a_signal_hit_the_flush_threads_start_does_not_hang(tmp_path):
    """A SIGTERM can land while the first task's line starts the flush thread; whatever thread
    the journal holds then, dead or never started, the stop must not wait for it forever."""
    import threading

    meta = tmp_path / MARKER_DIR
    meta.mkdir()
    journal = Journal.create(meta, {"run": 1})
    journal.record(TaskResult(0, "k"))
    journal.drain()
    journal._thread = threading.Thread(target=lambda: None)  # what a signal could have left
    journal._exited = threading.Event()
    stopped = threading.Event()
    closer = threading.Thread(target=lambda: (journal.close(), stopped.set()), daemon=True)
    closer.start()
    assert stopped.wait(10), "closing the journal waits for a thread that never ran"
    assert len(read_journal(meta / JOURNAL_NAME)[1]) == 1
