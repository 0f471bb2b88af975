"""Containers and probabilities: what runs, how often, and always the same for a seed."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from recipe_fakes import square_sample

from augcli.core.sample import Instances, Sample
from augcli.recipe.compose import CONTAINERS, OneOf, Sequential, SomeOf
from augcli.recipe.recipe import recipe_from_dict


def pipeline_of(*items, policy_labels=None):
    data = {"version": 1, "pipeline": list(items)}
    if policy_labels:
        data["labels"] = policy_labels
    return recipe_from_dict(data).pipeline


def paint(value, p=1.0):
    return {"_TestPaint": {"value": value, "p": p}}


def blank_sample():
    return Sample(image=np.zeros((8, 8, 3), np.uint8), instances=Instances.empty())


def painted_values(pipeline, seed):
    run = pipeline.run(blank_sample(), np.random.default_rng(seed))
    return [op["value"] for op in run.ops]


def many_runs(pipeline, runs=2000, seed=0):
    """Values painted per run, over many runs of one rng stream (one per run)."""
    seeds = np.random.SeedSequence(seed).spawn(runs)
    return [tuple(painted_values(pipeline, s)) for s in seeds]


def within(observed, expected, runs, sigmas=4.0):
    spread = np.sqrt(expected * (1 - expected) / runs)
    return abs(observed - expected) <= sigmas * spread + 1e-12


def test_oneof_weights_are_respected():
    one_of = pipeline_of(
        {"OneOf": {"p": 1, "weights": [1, 3, 0], "transforms": [paint(1), paint(2), paint(3)]}}
    ).steps[0]
    rng = np.random.default_rng(5)
    picks = Counter(int(one_of.choose(rng)[0][0].value[0]) for _ in range(4000))
    assert within(picks[1] / 4000, 0.25, 4000) and within(picks[2] / 4000, 0.75, 4000)
    assert picks[3] == 0


def test_oneof_without_weights_picks_by_child_p_and_forces_the_pick():
    pipeline = pipeline_of({"OneOf": {"p": 1, "transforms": [paint(1, p=0.2), paint(2, p=0.6)]}})
    results = Counter(many_runs(pipeline, runs=2000))
    # exactly one child runs every time even though neither has p = 1
    assert set(results) == {(1,), (2,)}
    assert within(results[(1,)] / 2000, 0.25, 2000)


def test_oneof_p_is_the_chance_that_anything_runs():
    pipeline = pipeline_of({"OneOf": {"p": 0.3, "transforms": [paint(1), paint(2)]}})
    results = many_runs(pipeline, runs=2000)
    assert within(sum(1 for r in results if r) / 2000, 0.3, 2000)
    assert all(len(r) <= 1 for r in results)


@pytest.mark.parametrize("n, replace", [(2, False), ([1, 3], False), ([0, 2], True), (5, True)])
def test_someof_picks_n_in_range_in_recipe_order(n, replace):
    children = [paint(v) for v in (1, 2, 3, 4)]
    pipeline = pipeline_of({"SomeOf": {"n": n, "replace": replace, "transforms": children}})
    low, high = (n, n) if isinstance(n, int) else n
    results = many_runs(pipeline, runs=600)
    counts = Counter(len(r) for r in results)
    assert set(counts) == set(range(low, high + 1))  # every count in range occurs
    assert all(list(r) == sorted(r) for r in results)  # recipe order is kept
    repeats = sum(1 for r in results if len(set(r)) < len(r))
    assert (repeats > 0) == (replace and high > 1)


def test_someof_children_keep_their_own_p():
    pipeline = pipeline_of(
        {"SomeOf": {"n": 2, "transforms": [paint(1, p=1.0), paint(2, p=0.0), paint(3, p=0.5)]}}
    )
    results = many_runs(pipeline, runs=3000)
    flat = Counter(v for r in results for v in r)
    assert flat[2] == 0
    # child 1 is picked 2/3 of the time and always runs; child 3 is picked 2/3, runs half of that
    assert within(flat[1] / 3000, 2 / 3, 3000) and within(flat[3] / 3000, 1 / 3, 3000)


def test_sequential_runs_children_in_order_each_with_own_p():
    pipeline = pipeline_of({"Sequential": {"transforms": [paint(1), paint(2, p=0.5), paint(3)]}})
    results = Counter(many_runs(pipeline, runs=2000))
    assert set(results) == {(1, 2, 3), (1, 3)}
    assert within(results[(1, 2, 3)] / 2000, 0.5, 2000)
    never = pipeline_of({"Sequential": {"p": 0, "transforms": [paint(1)]}})
    assert set(many_runs(never, runs=200)) == {()}


@pytest.mark.parametrize("p", [0.0, 0.25, 1.0])
def test_leaf_p_is_the_chance_it_runs(p):
    results = many_runs(pipeline_of(paint(7, p=p)), runs=2000)
    share = sum(1 for r in results if r) / 2000
    assert within(share, p, 2000)


def test_same_seed_same_records_different_seed_different_records():
    pipeline = pipeline_of(
        {"_TestShift": {"p": 0.5}},
        {"OneOf": {"transforms": [{"_TestRotate": {}}, {"_TestScale": {}}]}},
        {"SomeOf": {"n": [0, 2], "transforms": [paint([1, 200]), {"_TestFlip": {}}, {"_TestCrop": {}}]}},
    )
    sample = square_sample()
    runs = [pipeline.run(sample, np.random.default_rng(seed)).ops for seed in (1, 1, 2, 3, 4)]
    assert runs[0] == runs[1]
    assert any(r != runs[0] for r in runs[2:])


def test_containers_describe_themselves_like_transforms():
    assert set(CONTAINERS) == {"Sequential", "OneOf", "SomeOf"}
    assert (Sequential.default_p, OneOf.default_p, SomeOf.default_p) == (1.0, 0.5, 1.0)
    for cls in CONTAINERS.values():
        assert cls.kind == "container" and cls.summary() and cls.example
        names = [p.name for p in cls.all_params()]
        assert names[0] == "transforms" and names[-1] == "p"
        assert all(p.doc for p in cls.all_params())
    with pytest.raises(TypeError, match="container"):
        pipeline_of({"Sequential": {"transforms": [paint(1)]}}).steps[0].sample(None, None)
