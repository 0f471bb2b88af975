"""Class-aware copies: each mode against its formula computed here, independently of augcli."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from class_data import imbalanced_split, lvis_copies, naive_greedy
from hypothesis import given
from hypothesis import strategies as st

from augcli.engine.class_plan import plan_split
from augcli.recipe.copies import CopiesSpec


def test_repeat_factor_gives_exactly_the_lvis_copies_per_image():
    split = imbalanced_split()
    rare_images = [k for k, c in split.items() if c["rare"]]
    assert len(rare_images) == 10  # 2 % of 500
    spec = CopiesSpec(mode="repeat_factor", threshold=0.1, exponent=0.5, base=1.0)
    plan = plan_split(split, spec, seed=3, split="train")
    expected = lvis_copies(split, 0.1, 0.5, 1.0, seed=3, name="train")
    assert plan.copies == expected and not plan.warnings
    # r(rare) = sqrt(0.1 / 0.02) = 2.236: every rare image gets 2 or 3 copies, the rest 1
    assert {plan.copies[k] for k in rare_images} <= {2, 3}
    assert len({plan.copies[k] for k in rare_images}) == 2  # the fraction is really drawn per image
    assert {v for k, v in plan.copies.items() if k not in rare_images} == {1}


def test_repeat_factor_base_exponent_cap_and_seed():
    split = imbalanced_split(seed=1)
    spec = CopiesSpec(mode="repeat_factor", threshold=0.3, exponent=1.0, base=0.5, max_copies=4)
    plan = plan_split(split, spec, seed=9, split="s")
    assert plan.copies == lvis_copies(split, 0.3, 1.0, 0.5, seed=9, name="s", cap=4)
    assert max(plan.copies.values()) == 4  # r(rare) = 15 -> 7.5, capped
    other = plan_split(split, spec, seed=10, split="s").copies
    assert other != plan.copies  # the rounding depends on the seed...
    assert plan_split(split, spec, seed=9, split="t").copies != plan.copies  # ...and on the split


def test_repeat_factor_aggregates():
    split = {"a": Counter(x=1, y=1), "b": Counter(x=1), "c": Counter(), "d": Counter(x=1), "e": Counter(x=1)}
    # f(x) = 4/5, f(y) = 1/5; t = 0.8 -> r(x) = 1, r(y) = sqrt(4) = 2
    for aggregate, value in (("max", 2.0), ("sum", 3.0), ("mean", 1.5)):
        spec = CopiesSpec(mode="repeat_factor", threshold=0.8, aggregate=aggregate, base=2.0)
        copies = plan_split(split, spec, seed=0, split="s").copies
        assert copies["a"] == 2 * value and copies["b"] == copies["c"] == 2  # no labels: r = 1


def test_repeat_factor_over_max_total_is_scaled_to_exactly_the_cap_with_a_warning():
    split = imbalanced_split(images=300, rare_share=0.1)
    spec = CopiesSpec(mode="repeat_factor", threshold=0.5, base=2.0, max_total=400)
    plan = plan_split(split, spec, seed=0, split="train")
    assert sum(plan.copies.values()) == 400
    assert len(plan.warnings) == 1 and "max_total 400" in plan.warnings[0]
    unscaled = plan_split(split, CopiesSpec(mode="repeat_factor", threshold=0.5, base=2.0), 0, "train").copies
    rare = [k for k, c in split.items() if c["rare"]]
    # scaling keeps the balance: rare images still get more copies than the others on average
    assert np.mean([plan.copies[k] for k in rare]) > np.mean(
        [v for k, v in plan.copies.items() if k not in rare]
    )
    assert all(plan.copies[k] <= unscaled[k] + 1 for k in split)


def test_per_class_takes_the_max_over_the_image_classes():
    split = {"a": Counter(cat=1, dog=2), "b": Counter(dog=1), "c": Counter(), "d": Counter(bird=3)}
    spec = CopiesSpec(mode="per_class", classes={"cat": 5, "dog": 2}, default=1)
    assert plan_split(split, spec, 0, "s").copies == {"a": 5, "b": 2, "c": 1, "d": 1}
    zero = CopiesSpec(mode="per_class", classes={"cat": 0, "dog": 0}, default=3, max_copies=2)
    assert plan_split(split, zero, 0, "s").copies == {"a": 0, "b": 0, "c": 2, "d": 2}


@given(
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3),
        st.dictionaries(st.sampled_from("xyzw"), st.integers(1, 4), max_size=3).map(Counter),
        min_size=1,
        max_size=12,
    ),
    st.one_of(st.integers(1, 20), st.just("max")),
    st.one_of(st.none(), st.integers(0, 3)),
    st.one_of(st.none(), st.integers(0, 15)),
)
def test_target_instances_is_the_greedy_rule(split, target, cap, limit):
    spec = CopiesSpec(mode="target_instances", target=target, max_copies=cap, max_total=limit)
    plan = plan_split(split, spec, 0, "s")
    inf = math.inf
    assert plan.copies == naive_greedy(
        split, target, inf if cap is None else cap, inf if limit is None else limit
    )
    shuffled = dict(random.Random(0).sample(list(split.items()), len(split)))
    assert plan_split(shuffled, spec, 0, "s").copies == plan.copies  # the file order does not matter


def test_target_instances_counts_co_occurring_classes_and_warns_when_capped():
    split = imbalanced_split(images=200, rare_share=0.02)
    counts = Counter()
    for classes in split.values():
        counts.update(classes)
    plan = plan_split(split, CopiesSpec(mode="target_instances", target=counts["medium"]), 0, "train")
    after = Counter(counts)
    for key, n in plan.copies.items():
        for c, k in split[key].items():
            after[c] += k * n
    assert after["rare"] >= counts["medium"] and after["medium"] >= counts["medium"]
    assert not plan.warnings

    capped = plan_split(split, CopiesSpec(mode="target_instances", target="max", max_total=5), 0, "train")
    assert sum(capped.copies.values()) == 5
    assert len(capped.warnings) == 1
    assert "max_total 5" in capped.warnings[0] and "rare" in capped.warnings[0]


@given(st.integers(0, 2**32), st.sampled_from(["max", "mean", "sum"]))
def test_plans_do_not_depend_on_image_order(seed, aggregate):
    split = imbalanced_split(images=60, rare_share=0.05, seed=seed % 7)
    spec = CopiesSpec(mode="repeat_factor", threshold=0.2, aggregate=aggregate, max_total=70)
    shuffled = dict(random.Random(seed).sample(list(split.items()), len(split)))
    assert plan_split(split, spec, seed, "train").copies == plan_split(shuffled, spec, seed, "train").copies


def test_stochastic_rounding_meets_the_target_in_expectation():
    split = {f"k{i}": Counter(x=1) for i in range(4000)}
    spec = CopiesSpec(mode="per_class", classes={"x": 1.3}, default=0)
    copies = plan_split(split, spec, 5, "s").copies
    assert set(copies.values()) == {1, 2}
    assert np.mean(list(copies.values())) == pytest.approx(1.3, abs=0.03)


def test_instances_counted_by_id_then_named_equal_naming_every_instance():
    """image_classes counts ids first: the counts and their order must be those of naming each
    instance, with two ids sharing a name and ids the categories do not name."""
    from augcli.engine.class_plan import _by_name
    from augcli.engine.stats import class_name

    rng = np.random.default_rng(0)
    names = {1: "cat", 2: "dog", 3: "cat", 4: "7"}
    for _ in range(200):
        ids = rng.integers(0, 9, size=int(rng.integers(0, 40))).tolist()
        naive = Counter(class_name(names, v) for v in ids)
        assert list(_by_name(names, ids).items()) == list(naive.items())
