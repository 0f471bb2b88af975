"""``augcli merge`` restores shard 0's plan instead of reading the source again, only while
the source is as the shards saw it, and still writes the single run's tree and reports."""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import pytest
from PIL import Image
from shard_trees import TREES, tree_digest
from test_merge import RECIPE, run_shards

import augcli
from augcli.core.errors import UsageError
from augcli.engine import run_plan
from augcli.engine.merge import merge
from augcli.engine.saved_plan import PLAN_FILE


def _reads(monkeypatch) -> list[Path]:
    """The sources opened by the runner from now on."""
    opened: list[Path] = []
    real = run_plan.open_reader

    def counted(source, **options):
        opened.append(source)
        return real(source, **options)

    monkeypatch.setattr(run_plan, "open_reader", counted)
    return opened


@pytest.mark.parametrize("tree", ["coco", "voc", "yolo", "masks", "split_tree"])
def test_merge_uses_the_saved_plan_and_writes_the_single_runs_tree(tree, tmp_path, monkeypatch):
    source = TREES[tree](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 3)
    assert [(p / ".augcli" / PLAN_FILE).is_file() for p in parts] == [True, False, False]
    opened = _reads(monkeypatch)
    merge(parts[::-1], tmp_path / "merged")
    assert opened == []  # the source was not read again
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")


def _with_problems_and_a_warning(monkeypatch, tmp_path) -> Path:
    """A COCO tree with an invalid annotation and a missing image, whose reading raises a
    library warning (as a Pillow header check might)."""
    source = TREES["coco"](tmp_path / "data", count=6)
    label = source / "annotations" / "instances_train.json"
    doc = json.loads(label.read_text())
    doc["annotations"][1]["bbox"] = [1, 2, -5, 3]
    doc["images"].append({"id": 99, "file_name": "gone.png", "width": 40, "height": 32})
    label.write_text(json.dumps(doc))
    real = run_plan.open_reader

    def warning_reader(source, **options):
        warnings.warn("odd header in the dataset", UserWarning, stacklevel=1)
        return real(source, **options)

    monkeypatch.setattr(run_plan, "open_reader", warning_reader)
    return source


def test_the_merged_reports_and_warnings_are_the_single_runs(tmp_path, monkeypatch):
    source = _with_problems_and_a_warning(monkeypatch, tmp_path)
    single = augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    assert len(single.skipped) == 2 and single.library_warnings
    parts = run_shards(source, tmp_path / "parts", 2)
    opened = _reads(monkeypatch)
    merged = merge(parts, tmp_path / "merged")
    assert opened == []
    # report.jsonl and warnings.jsonl included
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")
    assert merged.skipped == single.skipped
    assert merged.library_warnings == single.library_warnings
    assert [w.replace(str(tmp_path / "merged"), "OUT") for w in merged.warnings] == [
        w.replace(str(tmp_path / "single"), "OUT") for w in single.warnings
    ]


def test_a_file_added_beside_the_inputs_makes_merge_read_the_source(tmp_path, monkeypatch):
    source = TREES["coco"](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 2)
    (source / "images" / "notes.txt").write_text("not an image of the dataset")
    opened = _reads(monkeypatch)
    merge(parts, tmp_path / "merged")
    assert len(opened) == 1  # its folder changed: the plan is not trusted, the source decides
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")


def test_an_image_changed_since_the_shards_ran_is_refused_naming_it(tmp_path, monkeypatch):
    source = TREES["coco"](tmp_path / "data")
    parts = run_shards(source, tmp_path / "parts", 2)
    image = source / "images" / "img_3.png"
    Image.new("RGB", (40, 32), (9, 9, 9)).save(image)  # rewritten in place: its folder is as it was
    opened = _reads(monkeypatch)
    with pytest.raises(UsageError, match=r"changed since the shards ran: input files .*img_3\.png"):
        merge(parts, tmp_path / "merged")
    assert opened == [] and not (tmp_path / "merged").exists()


class _Planted:
    """A plan file whose loading would call ``call(marker)``: touching ``marker`` if it ran."""

    def __init__(self, call, marker: Path):
        self.call, self.marker = call, marker

    def __reduce__(self):
        return (self.call, (self.marker,))


def _merge_with_planted_plan(tmp_path, monkeypatch, call) -> Path:
    """Merge shards of a small COCO tree whose shard 0 holds a planted plan; returns the marker
    the planted call would have touched, after checking merge read the source and still wrote
    the single run's tree."""
    source = TREES["coco"](tmp_path / "data", count=4)
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 2)
    marker = tmp_path / "ran"
    (parts[0] / ".augcli" / PLAN_FILE).write_bytes(pickle.dumps(_Planted(call, marker)))
    opened = _reads(monkeypatch)
    merge(parts, tmp_path / "merged")
    assert len(opened) == 1
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")
    return marker


def test_a_planted_plan_runs_no_code_and_the_source_decides(tmp_path, monkeypatch):
    assert not _merge_with_planted_plan(tmp_path, monkeypatch, Path.touch).exists()


class _Constructed:
    """Stands for any augcli class whose constructor does something (opens, writes, starts)."""

    __module__ = "augcli.engine.report"

    def __init__(self, marker: Path):
        marker.touch()


def test_a_planted_plan_cannot_call_an_augcli_constructor(tmp_path, monkeypatch):
    """The unpickler admits augcli's classes for NEWOBJ and BUILD only: a REDUCE that calls one
    with arguments of the file's choosing is refused, and merge reads the source instead."""
    import augcli.engine.report

    monkeypatch.setattr(augcli.engine.report, "_Constructed", _Constructed, raising=False)
    _Constructed.__qualname__ = "_Constructed"
    assert not _merge_with_planted_plan(tmp_path, monkeypatch, _Constructed).exists()
