"""What ``--resume`` accepts and refuses, and what it reports."""

from __future__ import annotations

import json
import signal

import pytest
from reliability_helpers import RECIPE, install_crash_point, make_dataset, run_forked, tree_digest

import augcli
from augcli.core.errors import UsageError
from augcli.engine.assemble import PartReader
from augcli.engine.journal import JOURNAL_NAME, Journal, read_journal
from augcli.engine.lock import LOCK_NAME
from augcli.engine.worker import TaskResult
from augcli.formats.base import ItemRecord


@pytest.fixture
def dataset(tmp_path):
    return make_dataset(tmp_path / "data")


def _killed(dataset, out, **kwargs):
    def run():
        install_crash_point("after-journal-flush", 2)
        augcli.expand(dataset, RECIPE, out, workers=1, **kwargs)

    assert run_forked(run) == -signal.SIGKILL


@pytest.mark.parametrize(
    "change, field",
    [({"seed": 99}, "seed"), ({"copies": 3}, "copies"), ({"recipe": dict(RECIPE, pipeline=[])}, "recipe")],
)
def test_resume_refuses_a_different_run(dataset, tmp_path, change, field):
    out = tmp_path / "out"
    _killed(dataset, out)
    before = output_digest(out)
    recipe = change.pop("recipe", RECIPE)
    with pytest.raises(UsageError, match=f"different {field}"):
        augcli.expand(dataset, recipe, out, workers=1, resume=True, **change)
    assert output_digest(out) == before  # refused before touching anything


def test_resume_refuses_a_changed_annotation_file(dataset, tmp_path):
    out = tmp_path / "out"
    _killed(dataset, out)
    coco = json.loads(dataset.read_text())
    coco["annotations"][0]["bbox"] = [1, 1, 5, 5]
    dataset.write_text(json.dumps(coco))
    with pytest.raises(UsageError, match="different annotation_file"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)


def test_resume_of_a_finished_run_changes_nothing_and_reports_it(dataset, tmp_path):
    out = tmp_path / "out"
    first = augcli.expand(dataset, RECIPE, out, workers=2)
    before = output_digest(out)
    started = []
    again = augcli.expand(dataset, RECIPE, out, workers=1, resume=True, on_start=started.append)
    assert output_digest(out) == before and started == []
    assert (again.images_out, again.annotations_out, again.dropped) == (
        first.images_out,
        first.annotations_out,
        first.dropped,
    )
    with pytest.raises(UsageError, match="different seed"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True, seed=5)


def test_resume_of_a_missing_or_empty_output_starts_the_run(dataset, tmp_path):
    reference = tmp_path / "reference"
    augcli.expand(dataset, RECIPE, reference, workers=1)
    augcli.expand(dataset, RECIPE, tmp_path / "missing", workers=1, resume=True)
    (tmp_path / "empty").mkdir()
    augcli.expand(dataset, RECIPE, tmp_path / "empty", workers=1, resume=True)
    assert tree_digest(tmp_path / "missing") == tree_digest(tmp_path / "empty") == tree_digest(reference)


@pytest.mark.parametrize("flags", [{"overwrite": True}, {"dry_run": True}])
def test_resume_does_not_combine_with_overwrite_or_dry_run(dataset, tmp_path, flags):
    with pytest.raises(UsageError, match="--resume cannot be combined"):
        augcli.expand(dataset, RECIPE, tmp_path / "out", workers=1, resume=True, **flags)


def test_resume_into_a_foreign_folder_is_refused(dataset, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(UsageError, match="not written by augcli"):
        augcli.expand(dataset, RECIPE, out, workers=1, resume=True)
    assert (out / "thesis.tex").read_text() == "precious"


def test_a_torn_journal_line_is_cut_off_and_later_lines_follow_whole_ones(tmp_path):
    meta = tmp_path / "meta"
    meta.mkdir()
    journal = Journal.create(meta, {"seed": 1})
    record = ItemRecord(key="a", copy=1, payload={"image": {"id": None}, "ann": [1.5, (2, 3)]})
    journal.record(TaskResult(0, "a", records=[record], provenance=[{"ops": []}]))
    journal.flush()
    journal.close()
    with open(meta / JOURNAL_NAME, "ab") as handle:
        handle.write(b'{"index": 1, "key": "b", "reco')  # killed mid-line
    reopened, identity, done = Journal.reopen(meta)
    assert identity == {"seed": 1} and list(done) == [0]
    back = PartReader(meta).load(done[0])
    assert back.records[0].payload == {"image": {"id": None}, "ann": [1.5, [2, 3]]}
    reopened.record(TaskResult(2, "c"))
    reopened.flush()
    reopened.close()
    assert sorted(read_journal(meta / JOURNAL_NAME)[1]) == [0, 2]


def output_digest(out):
    """The tree without the lock file (a run that stops rewrites it; it is no output)."""
    return tree_digest(out, skip=lambda p: p.name == LOCK_NAME)
