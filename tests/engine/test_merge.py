"""Shards plus ``augcli merge`` write the tree of a single run, byte for byte, in every format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from shard_trees import TREES, tree_digest

import augcli
from augcli.core.errors import DatasetError, UsageError
from augcli.engine import resume
from augcli.engine.merge import merge
from augcli.engine.shards import Shard

RECIPE = {
    "version": 1,
    "seed": 5,
    "copies": 2,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"rotate": [-20, 20], "scale": [0.8, 1.2], "p": 0.8}},
        {"RandomBrightnessContrast": {"p": 0.5}},
    ],
}
CASES = {
    "coco": ("coco", {}),
    "voc": ("voc", {}),
    "yolo-splits": ("yolo", {}),
    "masks": ("masks", {}),
    "split-tree": ("split_tree", {}),
    "coco-to-yolo": ("coco", {"to": "yolo"}),
    "voc-to-coco": ("voc", {"to": "coco"}),
}


def run_shards(source: Path, folder: Path, count: int, recipe=RECIPE, **options) -> list[Path]:
    parts = []
    for index in range(count):
        part = folder / f"part-{index}-of-{count}"
        augcli.expand(source, recipe, part, workers=1, shard=Shard(index, count), **options)
        parts.append(part)
    return parts


def image_files(root: Path, skip: set[str]) -> set[str]:
    files = {name for name, digest in tree_digest(root).items() if digest != "dir"}
    return {name for name in files if not name.startswith(".augcli") and name not in skip}


@pytest.mark.parametrize("case", list(CASES))
def test_one_two_and_three_shards_merge_to_the_single_run(case, tmp_path):
    tree, options = CASES[case]
    source = TREES[tree](tmp_path / "data")
    single = augcli.expand(source, RECIPE, tmp_path / "single", workers=2, **options)
    want = tree_digest(tmp_path / "single")
    assert single.images_out > 0 and not single.skipped
    for count in (1, 2, 3):
        parts = run_shards(source, tmp_path / "parts", count, **options)
        # each part holds only its own items, and together they hold every output once
        runs = [json.loads((p / ".augcli" / "run.jsonl").read_text()) for p in parts]
        assert sum(run["images_out"] for run in runs) == single.images_out
        assert count == 1 or max(run["images_out"] for run in runs) < single.images_out
        owned = [image_files(p, set(run["shard"]["label_files"])) for p, run in zip(parts, runs, strict=True)]
        assert sum(map(len, owned)) == len(set().union(*owned))
        merged = merge(parts[::-1], tmp_path / f"merged-{count}")  # any order of PARTS
        assert merged.images_out == single.images_out
        assert tree_digest(tmp_path / f"merged-{count}") == want, f"{count} shards"


def test_merge_bytes_do_not_depend_on_the_order_of_the_parts(tmp_path):
    source = TREES["coco"](tmp_path / "data", count=9)
    parts = run_shards(source, tmp_path / "parts", 3)
    merge([parts[1], parts[2], parts[0]], tmp_path / "a")
    merge([parts[2], parts[0], parts[1]], tmp_path / "b")
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


def test_a_resumed_shard_merges_to_the_single_run(tmp_path):
    source = TREES["yolo"](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 2)
    shutil.rmtree(parts[1])
    seen = []

    def stop_after_two(result, task):
        seen.append(task.index)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        augcli.expand(source, RECIPE, parts[1], workers=1, shard=Shard(1, 2), on_result=stop_after_two)
    with pytest.raises(UsageError, match="unfinished run"):
        merge(parts, tmp_path / "early")
    with pytest.raises(UsageError, match="shard_index 1, now 0"):  # another shard is another run
        augcli.expand(source, RECIPE, parts[1], workers=1, shard=Shard(0, 2), resume=True)
    again = augcli.expand(source, RECIPE, parts[1], workers=1, shard=Shard(1, 2), resume=True)
    assert 0 < again.images_this_run < again.images_out
    merge(parts, tmp_path / "merged")
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")


def test_a_merge_cut_short_is_finished_by_running_it_again(tmp_path):
    source = TREES["voc"](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 2)
    before = [tree_digest(p) for p in parts]
    calls = []

    def stop(result, task):
        calls.append(task.index)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        merge(parts, tmp_path / "merged", on_result=stop)
    assert not (tmp_path / "merged" / "ImageSets" / "Main" / "train.txt").exists()  # label files last
    linked = next(p for p in sorted((tmp_path / "merged" / "JPEGImages").iterdir()) if p.is_file())
    inode = linked.stat().st_ino
    merge(parts, tmp_path / "merged")  # no --overwrite needed: OUT holds a merge that did not finish
    assert linked.stat().st_ino == inode  # what was linked stays
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")
    assert [tree_digest(p) for p in parts] == before  # parts are only read
    with pytest.raises(UsageError, match="--overwrite"):
        merge(parts, tmp_path / "merged")
    merge(parts, tmp_path / "merged", overwrite=True)
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")


# -- refusals ------------------------------------------------------------------------------


@pytest.fixture
def tiny(tmp_path) -> Path:
    return TREES["coco"](tmp_path / "data", count=4)


def _other_version(monkeypatch):
    monkeypatch.setattr(resume, "__version__", "9.9.9")
    return {}


VARIANTS = {
    "recipe": (lambda mp, src: {"recipe": {**RECIPE, "pipeline": RECIPE["pipeline"][:1]}}, "recipe (sha256)"),
    "seed": (lambda mp, src: {"seed": 6}, "seed 6 vs 5"),
    "copies": (lambda mp, src: {"copies": 1}, "copies 1 vs 2"),
    "format": (lambda mp, src: {"to": "voc"}, "output_format voc vs coco"),
    "augcli": (lambda mp, src: _other_version(mp), "augcli version 9.9.9 vs 0.1.0"),
    "source": (lambda mp, src: {"source": shutil.copytree(src, src.parent / "copy")}, "source"),
}


@pytest.mark.parametrize("field", list(VARIANTS))
def test_parts_of_different_runs_are_refused_naming_the_field_and_both_values(
    field, tiny, tmp_path, monkeypatch
):
    first = tmp_path / "p0"
    augcli.expand(tiny, RECIPE, first, workers=1, shard=Shard(0, 2))
    make, words = VARIANTS[field]
    changed = make(monkeypatch, tiny)
    options = {k: v for k, v in changed.items() if k not in ("recipe", "source")}
    augcli.expand(
        changed.get("source", tiny),
        changed.get("recipe", RECIPE),
        tmp_path / "p1",
        workers=1,
        shard=Shard(1, 2),
        **options,
    )
    monkeypatch.undo()
    with pytest.raises(UsageError) as caught:
        merge([first, tmp_path / "p1"], tmp_path / "out")
    message = str(caught.value)
    assert "different runs" in message and words in message and "\n" not in message
    assert caught.value.exit_code == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "base, other, words",
    [
        (
            {"to": "yolo", "yolo_task": "segment"},
            {"to": "yolo", "yolo_task": "detect"},
            "--yolo-task detect vs segment",
        ),
        ({}, {"fmt": "coco"}, "--format coco vs auto"),
        ({}, {"keep_invalid": True}, "--keep-invalid True vs False"),
    ],
)
def test_parts_with_other_format_options_are_refused(base, other, words, tiny, tmp_path):
    augcli.expand(tiny, RECIPE, tmp_path / "p0", workers=1, shard=Shard(0, 2), **base)
    augcli.expand(tiny, RECIPE, tmp_path / "p1", workers=1, shard=Shard(1, 2), **other)
    with pytest.raises(UsageError, match="different runs") as caught:
        merge([tmp_path / "p0", tmp_path / "p1"], tmp_path / "out")
    assert words in str(caught.value)


def test_a_different_number_of_shards_is_refused(tiny, tmp_path):
    two = run_shards(tiny, tmp_path / "two", 2)
    three = run_shards(tiny, tmp_path / "three", 3)
    with pytest.raises(UsageError, match="--num-shards 3 vs 2"):
        merge([two[0], three[1], three[2]], tmp_path / "out")


def test_missing_and_duplicate_shards_are_refused(tiny, tmp_path):
    parts = run_shards(tiny, tmp_path / "parts", 3)
    with pytest.raises(UsageError, match=r"shard\(s\) 1 of 3 are missing.*0 to 2"):
        merge([parts[0], parts[2]], tmp_path / "out")
    with pytest.raises(UsageError, match="shard 2 of 3 is given twice"):
        merge([parts[0], parts[1], parts[2], parts[2]], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_what_is_not_a_shard_is_refused(tiny, tmp_path):
    augcli.expand(tiny, RECIPE, tmp_path / "whole", workers=1)
    parts = run_shards(tiny, tmp_path / "parts", 2)
    with pytest.raises(UsageError, match="not a shard"):
        merge([tmp_path / "whole"], tmp_path / "out")
    with pytest.raises(UsageError, match="not an augcli output"):
        merge([tiny], tmp_path / "out")
    with pytest.raises(UsageError, match="overlaps the part"):
        merge(parts, parts[0] / "inside")


def test_a_source_changed_since_the_shards_ran_is_refused(tiny, tmp_path):
    parts = run_shards(tiny, tmp_path / "parts", 2)
    label = tiny / "annotations" / "instances_train.json"
    doc = json.loads(label.read_text())
    doc["annotations"][0]["bbox"][0] += 1
    label.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match="changed since the shards ran"):
        merge(parts, tmp_path / "out")


PARTNER_AND_CLASS_RECIPES = {
    "mosaic-mixup": {
        "version": 1,
        "seed": 2,
        "copies": 2,
        "pipeline": [
            {"Mosaic": {"grid": [2, 2], "output_size": [48, 40], "p": 0.7}},
            {"MixUp": {"p": 0.5}},
        ],
    },
    "class-plan": {
        "version": 1,
        "seed": 3,
        "copies": {"mode": "repeat_factor", "threshold": 0.6, "base": 1, "max_copies": 3},
        "pipeline": [{"HorizontalFlip": {"p": 0.5}}, {"Affine": {"rotate": [-10, 10], "p": 0.9}}],
    },
}


@pytest.mark.parametrize("name", list(PARTNER_AND_CLASS_RECIPES))
def test_partners_and_class_plans_are_the_whole_runs_in_every_shard(name, tmp_path):
    recipe = PARTNER_AND_CLASS_RECIPES[name]
    source = TREES["coco"](tmp_path / "data", count=8)
    augcli.expand(source, recipe, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 3, recipe=recipe)
    merge(parts, tmp_path / "merged")
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")


def test_across_file_systems_the_files_are_copied_to_the_same_tree(tmp_path, monkeypatch):
    import errno
    import os

    source = TREES["masks"](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    parts = run_shards(source, tmp_path / "parts", 2)

    def cross_device(src, dst, *args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    merge(parts, tmp_path / "merged")
    monkeypatch.undo()
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")
    some = next((tmp_path / "merged" / "images").iterdir())
    assert os.stat(some).st_nlink == 1  # copies, not links


def test_a_link_planted_in_a_part_is_refused_not_followed(tiny, tmp_path):
    parts = run_shards(tiny, tmp_path / "parts", 2)
    (parts[0] / "images" / "planted.png").symlink_to(tmp_path / "data" / "images" / "img_0.png")
    with pytest.raises(UsageError, match="planted.png is not a regular file"):
        merge(parts, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before OUT is touched


@pytest.mark.parametrize("tree", list(TREES))
def test_shards_without_images_still_write_a_dataset_and_merge(tree, tmp_path):
    source = TREES[tree](tmp_path / "data", count=1)
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1, debug=True)
    parts = []
    for index in range(8):  # more shards than the dataset has images
        parts.append(tmp_path / f"part-{index}")
        report = augcli.expand(source, RECIPE, parts[-1], workers=1, debug=True, shard=Shard(index, 8))
        assert report.shard is not None and report.shard["of"] >= report.shard["tasks"]
    assert any(json.loads((p / ".augcli" / "run.jsonl").read_text())["images_out"] == 0 for p in parts)
    merge(parts, tmp_path / "merged")
    assert tree_digest(tmp_path / "merged") == tree_digest(tmp_path / "single")


def test_a_damaged_part_is_exit_4_naming_its_file(tiny, tmp_path):
    parts = run_shards(tiny, tmp_path / "parts", 2)
    run_file = parts[1] / ".augcli" / "run.jsonl"
    row = json.loads(run_file.read_text())
    del row["shard"]["arguments"]
    run_file.write_text(json.dumps(row) + "\n")
    with pytest.raises(DatasetError, match="run.jsonl is damaged") as caught:
        merge(parts, tmp_path / "out")
    assert caught.value.exit_code == 4
    parts = run_shards(tiny, tmp_path / "again", 2)
    journal = parts[0] / ".augcli" / "journal.jsonl"
    journal.write_text(journal.read_text() + "not a record\n")
    with pytest.raises(DatasetError, match="cannot read the records of shard 0 of 2") as caught:
        merge(parts, tmp_path / "out")
    assert caught.value.exit_code == 4 and not (tmp_path / "out").exists()


def _killed_merge(parts: list[Path], out: Path, where: str, nth: int) -> int:
    """Run ``merge`` in a forked child that SIGKILLs itself at the ``nth`` event ``where``."""
    import os
    import signal

    from augcli.engine import assemble
    from augcli.engine import merge as merge_module

    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            seen = {"n": 0, "synced": False}

            def tick(kind: str) -> None:
                if kind == where:
                    seen["n"] += 1
                    if seen["n"] == nth:
                        os.kill(os.getpid(), signal.SIGKILL)

            real_place, real_sync, real_replace = merge_module.place, os.sync, os.replace

            def place(source, target):
                tick("link")
                real_place(source, target)

            def sync():
                seen["synced"] = True
                tick("sync")
                real_sync()

            def replace(src, dst, **kwargs):
                real_replace(src, dst, **kwargs)
                if seen["synced"]:
                    tick("label-file")  # a label file or a report just put in place

            merge_module.place = place
            assemble.os.sync = sync
            os.replace = replace
            merge(parts, out)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return status


@pytest.mark.parametrize(
    "where, nth", [("link", 1), ("link", 9), ("sync", 1), ("label-file", 1), ("label-file", 3)]
)
def test_a_merge_killed_anywhere_leaves_nothing_partial_and_finishes_when_rerun(where, nth, tmp_path):
    import os

    from augcli.formats.atomic import temp_file_target

    source = TREES["yolo"](tmp_path / "data")
    augcli.expand(source, RECIPE, tmp_path / "single", workers=1)
    want = tree_digest(tmp_path / "single")
    parts = run_shards(source, tmp_path / "parts", 2)
    status = _killed_merge(parts, tmp_path / "merged", where, nth)
    assert os.WIFSIGNALED(status), f"the merge was not killed at {where} {nth}"
    now = tree_digest(tmp_path / "merged")
    for name, digest in now.items():
        if temp_file_target(Path(name).name) or name in (".augcli/journal.jsonl", ".augcli/lock"):
            continue
        assert want.get(name) == digest, f"{name} after a kill at {where} {nth}"
    assert "data.yaml" not in now or where == "label-file"  # label files only once assembly began
    merge(parts, tmp_path / "merged")
    assert tree_digest(tmp_path / "merged") == want
