"""Shard assignment: a partition of the global plan that no listing order or machine changes."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from augcli.core.errors import UsageError
from augcli.engine.plan import plan_tasks
from augcli.engine.shards import MAX_SHARDS, Shard, resolve_shard, shard_of

ITEMS = [("train" if i % 4 else "val", f"img_{i:04d}.jpg") for i in range(600)]


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_task_is_in_exactly_one_shard_with_its_global_index(count):
    tasks = plan_tasks(ITEMS, 2, True)
    chosen = [Shard(i, count).select(tasks) for i in range(count)]
    indices = [task.index for part in chosen for task in part]
    assert sorted(indices) == list(range(len(tasks)))
    for part in chosen:
        assert all(tasks[task.index] == task for task in part)  # global index, key, copies, split kept
        assert [t.index for t in part] == sorted(t.index for t in part)


def test_a_shard_depends_on_split_and_key_only_not_on_order_or_other_images():
    shuffled = ITEMS[:]
    random.Random(4).shuffle(shuffled)
    grown = shuffled + [("train", f"new_{i}.jpg") for i in range(50)]
    for split, key in ITEMS:
        assert shard_of(split, key, 5) == shard_of(split, key, 5)
    first = {item: shard_of(*item, 5) for item in ITEMS}
    assert {item: shard_of(*item, 5) for item in grown if item in first} == first
    moved = sum(shard_of("train", key, 9) != shard_of("val", key, 9) for _, key in ITEMS)
    assert moved > len(ITEMS) // 2  # the split is part of the hash


def test_shards_are_balanced_within_fifteen_percent():
    counts = Counter(shard_of(split, key, 4) for split, key in ITEMS)
    assert set(counts) == {0, 1, 2, 3}
    assert max(counts.values()) <= 1.15 * len(ITEMS) / 4
    assert min(counts.values()) >= 0.85 * len(ITEMS) / 4


def test_keys_that_are_not_utf8_get_a_shard():
    undecodable = b"caf\xe9.jpg".decode("utf-8", "surrogateescape")  # a Latin-1 file name
    lone = "img\ud800.jpg"  # a lone surrogate escaped in a COCO string
    assert 0 <= shard_of("train", undecodable, 3) < 3
    assert 0 <= shard_of("train", lone, 3) < 3


def test_no_option_means_no_shard_even_inside_a_slurm_array():
    assert resolve_shard(None, None, {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}) is None


def test_explicit_options_win_over_the_environment():
    env = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "JOB_COMPLETION_INDEX": "3"}
    assert resolve_shard(5, 1, env) == Shard(1, 5)


def test_the_index_defaults_from_slurm_minus_its_first_index_then_kubernetes():
    assert resolve_shard(4, None, {"SLURM_ARRAY_TASK_ID": "3"}) == Shard(3, 4)
    assert resolve_shard(4, None, {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1"}) == Shard(3, 4)
    assert resolve_shard(4, None, {"JOB_COMPLETION_INDEX": "2"}) == Shard(2, 4)
    assert resolve_shard(None, 1, {"SLURM_ARRAY_TASK_COUNT": "3"}) == Shard(1, 3)


@pytest.mark.parametrize(
    "num, index, env, words",
    [
        (4, None, {}, ["--shard-index between 0 and 3", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]),
        (4, 4, {}, ["--shard-index 4 is out of range", "between 0 and 3"]),
        (4, -1, {}, ["--shard-index -1 is out of range", "between 0 and 3"]),
        (4, None, {"JOB_COMPLETION_INDEX": "9"}, ["shard index 9 (JOB_COMPLETION_INDEX)", "between 0 and 3"]),
        (
            2,
            None,
            {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1"},
            ["shard index 2 (SLURM_ARRAY_TASK_ID 3 minus SLURM_ARRAY_TASK_MIN 1)", "between 0 and 1"],
        ),
        (None, 0, {}, ["--shard-index needs --num-shards", f"between 1 and {MAX_SHARDS}"]),
        (0, 0, {}, ["--num-shards 0 is out of range", f"between 1 and {MAX_SHARDS}"]),
        (4, None, {"JOB_COMPLETION_INDEX": "one"}, ["JOB_COMPLETION_INDEX is 'one', not a whole number"]),
    ],
)
def test_a_missing_or_out_of_range_shard_is_a_usage_error_naming_both_bounds(num, index, env, words):
    with pytest.raises(UsageError) as caught:
        resolve_shard(num, index, env)
    assert caught.value.exit_code == 2
    for word in words:
        assert word in str(caught.value)
