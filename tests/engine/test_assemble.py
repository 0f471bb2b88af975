"""Assembly streams finished tasks into the label files: same bytes whoever ran them,
one task's result in memory at a time."""

from __future__ import annotations

import gc
import hashlib
import json
import weakref
from pathlib import Path

import pytest

import augcli
from augcli.engine.assemble import assemble
from augcli.engine.lock import LOCK_NAME
from augcli.engine.plan import Task
from augcli.engine.report import RunReport
from augcli.engine.worker import TaskResult
from augcli.formats.coco.reader import CocoReader
from augcli.formats.coco.writer import CocoWriter

REPO = Path(__file__).resolve().parents[2]
SEGMENTATION = REPO / "recipes" / "instance_segmentation.yaml"
POSE = REPO / "recipes" / "pose.yaml"


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != LOCK_NAME
    }


@pytest.mark.parametrize("recipe", [SEGMENTATION, POSE], ids=["polygons-rle", "keypoints"])
def test_the_tree_is_the_same_with_one_worker_two_workers_and_in_process(sample_dataset, tmp_path, recipe):
    # sample_data holds polygons, compressed and uncompressed RLE, crowd regions and keypoints
    trees = []
    for name, options in (("w1", {"workers": 1}), ("w2", {"workers": 2}), ("debug", {"debug": True})):
        out = tmp_path / name
        augcli.expand(sample_dataset, recipe, out, **options)
        trees.append(tree(out))
    assert trees[0] == trees[1] == trees[2]
    assert not any(".augcli/journal" in rel for rel in trees[0])  # a finished run stands on its own
    coco = json.loads((tmp_path / "w1" / "annotations" / "instances_default.json").read_text())
    source = json.loads((sample_dataset / "annotations" / "instances_default.json").read_text())
    assert coco["images"][: len(source["images"])] == source["images"]  # originals first, as read
    augmented = coco["images"][len(source["images"]) :]
    assert [img["id"] for img in augmented] == list(range(9, 9 + len(augmented)))
    ids = [a["id"] for a in coco["annotations"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_assembly_holds_one_task_result_at_a_time(sample_dataset, tmp_path):
    reader = CocoReader(sample_dataset)
    writer = CocoWriter(reader, tmp_path / "out")
    meta = tmp_path / "out" / ".augcli"
    meta.mkdir(parents=True)
    keys = reader.keys()
    tasks = [Task(i, key, (0, 1)) for i, key in enumerate(keys)]
    alive: list[weakref.ref] = []

    def results():
        for task in tasks:
            gc.collect()
            # the result two tasks back is gone: nothing keeps what was already written
            assert all(ref() is None for ref in alive[:-1]), "assembly kept an earlier result"
            sample = reader.load(task.key)
            records = [writer.write_original(task.key), writer.write_item(task.key, 1, sample)]
            result = TaskResult(
                task.index, task.key, records=records, provenance=[{"key": task.key, "copy": 1}]
            )
            alive.append(weakref.ref(result))
            yield result

    report = RunReport(source=str(sample_dataset), out=str(tmp_path / "out"))
    report.splits = {"default": {"augmented": True, "images_in": len(keys), "images_out": 0}}
    assemble(results(), tasks, report, label_names={}, min_ops=0, writer=writer, meta=meta, run_info={})
    assert report.images_out == 2 * len(keys)
    assert report.splits["default"]["images_out"] == 2 * len(keys)
    rows = [json.loads(line) for line in (meta / "provenance.jsonl").read_text().splitlines()]
    assert [row["key"] for row in rows] == keys
    coco = json.loads(writer.annotation_path.read_text())
    assert len(coco["images"]) == 2 * len(keys)


def test_a_resumed_run_reads_journaled_tasks_back_identically(sample_dataset, tmp_path):
    reference = tmp_path / "reference"
    augcli.expand(sample_dataset, SEGMENTATION, reference, workers=1)
    out = tmp_path / "out"

    def stop_after_three(_result, task):
        if task.index == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        augcli.expand(sample_dataset, SEGMENTATION, out, workers=2, on_result=stop_after_three)
    started: list[int] = []
    augcli.expand(sample_dataset, SEGMENTATION, out, workers=1, resume=True, on_start=started.append)
    assert started and started[0] < 8 * 4  # the journaled tasks were not redone
    assert tree(out) == tree(reference)
