"""Copies whose ops left the labels alone share one label filter and one writer derivation
(``geometry.shared_labels``), and a recipe without steps draws one run per task: the output
tree is the one the reference (``worker.REUSE_UNCHANGED = False``) writes, in every format,
whatever the worker count."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

import augcli
from augcli.core.policy import LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.engine import worker
from augcli.geometry import filtering
from augcli.geometry.filtering import filter_instances
from augcli.geometry.shared_labels import once, shared_labels

RECIPES = {
    "identity": {"version": 1, "seed": 0, "copies": 3, "keep_original": False, "pipeline": []},
    "keep_original": {"version": 1, "seed": 0, "copies": 2, "pipeline": []},
    # most copies draw no op or only pixel ops; some move the labels; small shapes are dropped
    "sometimes": {
        "version": 1,
        "seed": 3,
        "copies": 4,
        "labels": {"min_area": 400},
        "pipeline": [
            {"HorizontalFlip": {"p": 0.3}},
            {"RandomBrightnessContrast": {"p": 0.5}},
        ],
    },
}


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("to", ["same", "voc", "yolo", "masks"])
@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_reused_label_work_writes_the_reference_tree(recipe, to, sample_dataset, tmp_path, monkeypatch):
    one = augcli.expand(sample_dataset, RECIPES[recipe], tmp_path / "one", workers=1, to=to)
    augcli.expand(sample_dataset, RECIPES[recipe], tmp_path / "two", workers=2, to=to)
    monkeypatch.setattr(worker, "REUSE_UNCHANGED", False)  # the forked workers inherit it
    reference = augcli.expand(sample_dataset, RECIPES[recipe], tmp_path / "reference", workers=1, to=to)
    assert not one.skipped and one.images_out == reference.images_out > 0
    expected = tree_digest(tmp_path / "reference")
    assert tree_digest(tmp_path / "one") == expected
    assert tree_digest(tmp_path / "two") == expected


def _sample() -> Sample:
    boxes = np.array([[0, 0, 40, 40], [10, 10, 12, 12], [5, 5, 30, 25]], float)
    instances = Instances(labels=np.array([1, 2, 2]), boxes=boxes)
    return Sample(
        image=np.zeros((50, 60, 3), np.uint8), instances=instances, meta={"dropped": {"outside": 1}}
    )


def test_the_filter_runs_once_per_task_and_each_copy_counts_its_drops(monkeypatch):
    calls = []
    real = filtering._filtered
    monkeypatch.setattr(filtering, "_filtered", lambda *args: calls.append(args) or real(*args))
    policy = LabelPolicy(min_area=10)
    source = _sample()
    expected = filter_instances(source, policy)
    assert len(calls) == 1 and len(expected.instances) == 2
    with shared_labels(source.instances):
        first = filter_instances(source, policy)
        second = filter_instances(source.replace(meta={}), policy)  # another copy's own counters
        assert filter_instances(source, LabelPolicy(min_area=500)).instances.labels.tolist() == [1, 2]
    assert len(calls) == 3  # one per settings, not one per copy
    assert first.instances is second.instances
    assert first.instances.labels.tolist() == expected.instances.labels.tolist()
    assert (
        first.meta
        == expected.meta
        == {"dropped": {"outside": 1, "min_area": 1}, "dropped_by_class": {"min_area": {2: 1}}}
    )
    assert second.meta == {"dropped": {"min_area": 1}, "dropped_by_class": {"min_area": {2: 1}}}
    filter_instances(source, policy)  # outside a task nothing is remembered
    assert len(calls) == 4


def test_only_the_source_and_what_is_derived_from_it_once_are_remembered():
    source, other = _sample().instances, _sample().instances
    derived = []
    with shared_labels(source):
        kept = once(
            source, "filter", lambda: (source[np.array([True, False, True])],), shares=lambda v: v[0]
        )[0]
        assert once(source, "filter", lambda: pytest.fail("derived again"))[0] is kept
        for _ in range(2):
            once(other, "emit", lambda: derived.append("other"))  # another copy's own instances
            once(kept, "emit", lambda: derived.append("kept"))
    assert derived == ["other", "kept", "other"]  # the derived survivors once, the other object each time
