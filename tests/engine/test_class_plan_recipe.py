"""The copies: block and when: in recipes: the documented examples parse, bad ones are located."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from augcli.core.errors import RecipeError
from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.recipe.copies import CopiesSpec
from augcli.recipe.recipe import recipe_from_dict, recipe_from_text

DOCS = Path(__file__).resolve().parents[2] / "docs" / "recipes.md"


def doc_blocks(heading: str) -> list[str]:
    text = DOCS.read_text()
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, flags=re.S)


def test_documented_copies_block_and_when_examples_are_valid():
    (copies,) = doc_blocks("Copies by class")
    spec = recipe_from_text("version: 1\n" + copies).class_copies
    assert spec == CopiesSpec(mode="repeat_factor", threshold=0.01, max_copies=20, max_total=5000)
    (when,) = doc_blocks("Conditions: `when:`")
    steps = recipe_from_text("version: 1\n" + when).pipeline.steps
    assert [s.recipe_when.has_class for s in steps] == [("scooter",), ()]
    assert steps[1].recipe_when.min_instances == 10


@pytest.mark.parametrize(
    "copies, where",
    [
        ({"mode": "per_class", "classes": {"a": -1}}, "copies.classes.a"),
        ({"mode": "repeat_factor", "aggregate": "median"}, "copies.aggregate"),
        ({"mode": "target_instances"}, "copies.target"),
        ({"mode": "repeat_factor", "classes": {"a": 1}}, "copies.classes"),
        ("three", "copies"),
    ],
)
def test_bad_copies_blocks_name_the_key(copies, where):
    with pytest.raises(RecipeError) as caught:
        recipe_from_dict({"version": 1, "copies": copies})
    assert caught.value.problems[0].startswith(where)


@pytest.mark.parametrize(
    "when, where",
    [
        ("rare", "pipeline[0].HorizontalFlip.when"),
        ({"has_class": "x", "min": 2}, "pipeline[0].HorizontalFlip.when.min"),
        ({"min_instances": -1}, "pipeline[0].HorizontalFlip.when.min_instances"),
    ],
)
def test_bad_when_names_the_key(when, where):
    with pytest.raises(RecipeError) as caught:
        recipe_from_dict({"version": 1, "pipeline": [{"HorizontalFlip": {"when": when}}]})
    assert caught.value.problems[0].startswith(where)


def sample(labels: list[int]) -> Sample:
    count = len(labels)
    boxes = np.tile([2.0, 3.0, 10.0, 8.0], (count, 1))
    return Sample(image=np.zeros((20, 30, 3), np.uint8), instances=Instances(labels=labels, boxes=boxes))


CATEGORIES = Categories([Category(1, "cat"), Category(2, "dog")])


@pytest.mark.parametrize(
    "labels, when, fires",
    [
        ([1], {"has_class": ["cat"]}, True),
        ([2], {"has_class": ["cat"]}, False),
        ([2, 1], {"has_class": ["cat", "bird"]}, True),
        ([1], {"has_class": ["cat"], "min_instances": 2}, False),
        ([1, 1], {"has_class": ["cat"], "min_instances": 2}, True),
        ([], {}, False),
        ([2, 2, 1], {"min_instances": 3}, True),
    ],
)
def test_when_gates_the_step_on_the_labels(labels, when, fires):
    recipe = recipe_from_dict({"version": 1, "pipeline": [{"HorizontalFlip": {"p": 1.0, "when": when}}]})
    before = sample(labels)
    run = recipe.pipeline.run(before, np.random.default_rng(0), categories=CATEGORIES)
    assert bool(run.ops) == fires
    expected = before.instances.boxes.copy()
    if fires:
        expected[:, [0, 2]] = 30 - expected[:, [2, 0]]
    np.testing.assert_allclose(run.sample.instances.boxes, expected)


def test_when_sees_the_labels_as_earlier_steps_left_them():
    # the crop keeps the left 10 px: the cat (x 2..10) survives, the dog (x 18..28) leaves, so
    # a step conditioned on the dog no longer fires
    recipe = recipe_from_dict(
        {
            "version": 1,
            "pipeline": [
                {"Crop": {"x_min": 0, "y_min": 0, "x_max": 12, "y_max": 20}},
                {"HorizontalFlip": {"p": 1.0, "when": {"has_class": ["dog"]}}},
            ],
        }
    )
    before = sample([1, 2])
    before.instances.boxes[1] = [18, 3, 28, 8]
    run = recipe.pipeline.run(before, np.random.default_rng(0), categories=CATEGORIES)
    assert [op["op"] for op in run.ops] == ["Crop"]
    assert run.sample.instances.labels.tolist() == [1]
    assert run.dropped_by_class == {"outside": {2: 1}}
