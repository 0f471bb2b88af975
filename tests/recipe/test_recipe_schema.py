"""Recipe validation: every problem, with its YAML path and line, at once."""

from __future__ import annotations

import pickle

import pytest

from augcli.core.errors import RecipeError
from augcli.recipe.compose import OneOf, SomeOf
from augcli.recipe.recipe import load_recipe, recipe_from_dict, recipe_from_text, validate_recipe_file


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line holding ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def problems_of(text: str) -> list[str]:
    with pytest.raises(RecipeError) as info:
        recipe_from_text(text, source="r.yaml")
    assert info.value.file == "r.yaml" and info.value.exit_code == 3
    return info.value.problems


def only_problem(text: str) -> str:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


def test_a_valid_recipe_becomes_settings_policy_and_pipeline():
    text = """\
version: 1
seed: 11
copies: 3
keep_original: false
labels:
  min_visibility: 0.25
  min_area: 4
  box: corners
  keypoint_flip_pairs: [[1, 2], [3, 4]]
output: {jpeg_quality: 80}
pipeline:
  - _TestShift: {amount: [1, 2], p: 0.3}
  - _TestPaint:
  - OneOf:
      weights: [1, 2]
      transforms:
        - _TestFlip: {}
        - SomeOf: {n: [1, 2], transforms: [{_TestPaint: {value: 5}}, {_TestScale: null}]}
"""
    recipe = recipe_from_text(text)
    assert (recipe.version, recipe.seed, recipe.copies, recipe.keep_original) == (1, 11, 3, False)
    assert recipe.jpeg_quality == 80
    policy = recipe.policy
    assert (policy.min_visibility, policy.min_area, policy.box) == (0.25, 4.0, "corners")
    assert [list(p) for p in policy.keypoint_flip_pairs] == [[1, 2], [3, 4]]
    assert recipe.pipeline.policy is policy
    assert [type(s).__name__ for s in recipe.pipeline] == ["FakeShift", "FakePaint", "OneOf"]
    shift, paint, one_of = recipe.pipeline.steps
    assert shift.amount == (1.0, 2.0) and shift.p == 0.3
    assert paint.value == (1, 20) and paint.p == 0.5  # declared defaults
    assert isinstance(one_of, OneOf) and one_of.weights == [1.0, 2.0] and one_of.p == 0.5
    some_of = one_of.transforms[1]
    assert isinstance(some_of, SomeOf) and some_of.n_range == (1, 2) and some_of.p == 1.0
    assert [leaf.name for leaf in recipe.pipeline.leaves()] == [
        "_TestShift",
        "_TestPaint",
        "_TestFlip",
        "_TestPaint",
        "_TestScale",
    ]
    assert recipe.source_text == text
    # workers may receive the recipe pickled
    clone = pickle.loads(pickle.dumps(recipe))
    assert repr(clone.pipeline) == repr(recipe.pipeline)


def test_defaults_when_only_the_version_is_given():
    recipe = recipe_from_text("version: 1\n")
    assert (recipe.seed, recipe.copies, recipe.keep_original, recipe.jpeg_quality) == (0, 1, True, 95)
    assert recipe.policy.keypoint_flip_pairs == "auto" and len(recipe.pipeline) == 0


def test_unknown_top_level_keys_suggest_the_right_one():
    text = "version: 1\nsede: 3\npipline: []\n"
    problems = problems_of(text)
    assert problems[0].startswith("sede (line 2): unknown key 'sede'; did you mean 'seed'?")
    assert problems[1].startswith("pipline (line 3): unknown key 'pipline'; did you mean 'pipeline'?")


def test_unknown_keys_in_sections_suggest_too():
    text = "version: 1\nlabels:\n  min_vis: 0.2\noutput:\n  quality: 90\n"
    problems = problems_of(text)
    assert problems[0].startswith(
        "labels.min_vis (line 3): unknown key 'min_vis' in labels; did you mean 'min_visibility'?"
    )
    assert problems[1].startswith(
        "output.quality (line 5): unknown key 'quality' in output; did you mean 'jpeg_quality'?"
    )


@pytest.mark.parametrize(
    "line, expected",
    [
        ("seed: abc", "seed (line 2): must be an integer, got 'abc'"),
        ("seed: -1", "seed (line 2): must be >= 0, got -1"),
        ("seed: 1.5", "seed (line 2): must be an integer, got 1.5"),
        ("copies: -1", "copies (line 2): must be >= 0, got -1"),
        ("copies: true", "copies (line 2): must be an integer, got True"),
        ("keep_original: 'yes'", "keep_original (line 2): must be true or false, got 'yes'"),
        ("labels: {min_visibility: 1.5}", "labels.min_visibility (line 2): must be between 0 and 1, got 1.5"),
        ("labels: {min_area: -2}", "labels.min_area (line 2): must be >= 0, got -2"),
        ("labels: {box: loose}", "labels.box (line 2): must be one of 'tight', 'corners', got 'loose'"),
        ("labels: [1]", "labels (line 2): must be a mapping, got a list"),
        ("output: {jpeg_quality: 0}", "output.jpeg_quality (line 2): must be between 1 and 100, got 0"),
        ("output: {jpeg_quality: 101}", "output.jpeg_quality (line 2): must be between 1 and 100, got 101"),
        ("pipeline: {a: 1}", "pipeline (line 2): must be a list of transforms, got a mapping"),
    ],
)
def test_wrong_types_and_out_of_range_values(line, expected):
    assert only_problem("version: 1\n" + line + "\n") == expected


def test_version_is_required_and_must_be_one():
    assert only_problem("seed: 1\n").startswith("recipe: version is missing")
    assert only_problem("version: 2\n").startswith("version (line 1): unsupported recipe version 2")
    assert only_problem("[1, 2]\n").startswith("recipe: a recipe is a mapping")


@pytest.mark.parametrize(
    "pairs, fragment",
    [
        ("autp", "must be auto or a list"),
        ("[1]", "keypoint_flip_pairs[0] (line 2): must be a pair"),
        ("[[1, 2, 3]]", "keypoint_flip_pairs[0] (line 2): must be a pair"),
        ("[[1, 1]]", "cannot pair with itself"),
        ("[[-1, 2]]", "0-based and >= 0"),
        (
            "[[1, 2], [2, 3]]",
            "keypoint_flip_pairs[1] (line 2): keypoint 2 is already paired in keypoint_flip_pairs[0]",
        ),
        ("[[1.0, 2]]", "must be a pair of keypoint indices"),
    ],
)
def test_keypoint_flip_pairs_must_be_distinct_index_pairs(pairs, fragment):
    problem = only_problem(f"version: 1\nlabels: {{keypoint_flip_pairs: {pairs}}}\n")
    assert fragment in problem and problem.startswith("labels.keypoint_flip_pairs")


def test_unknown_transforms_get_suggestions_with_path_and_line():
    text = "version: 1\npipeline:\n  - _TestPaint: {}\n  - _TestShfit: {amount: 3}\n  - _testflip:\n"
    problems = problems_of(text)
    assert problems[0].startswith(
        "pipeline[1]._TestShfit (line 4): unknown transform '_TestShfit'; did you mean '_TestShift'?"
    )
    assert problems[1].startswith(
        "pipeline[2]._testflip (line 5): unknown transform '_testflip'; did you mean '_TestFlip'?"
    )


def test_unknown_parameters_suggest_and_list_the_known_ones():
    text = "version: 1\npipeline:\n  - _TestShift:\n      amout: 3\n"
    problem = only_problem(text)
    assert problem.startswith(
        "pipeline[0]._TestShift.amout (line 4): unknown parameter of _TestShift; did you mean 'amount'?"
    )
    assert "amount, interpolation, p" in problem


def test_parameter_values_are_checked_against_their_declaration():
    text = """\
version: 1
pipeline:
  - _TestShift:
      amount: "a lot"
      p: 1.5
  - _TestPaint: {value: [5, 300]}
"""
    assert problems_of(text) == [
        f"pipeline[0]._TestShift.amount (line {line_of(text, 'a lot')}): must be a number or "
        "[min, max], got 'a lot'",
        f"pipeline[0]._TestShift.p (line {line_of(text, 'p: 1.5')}): must be between 0 and 1, got 1.5",
        f"pipeline[1]._TestPaint.value (line {line_of(text, '300')}): must be between 0 and 255, got 300",
    ]


def test_cross_parameter_checks_point_at_the_parameter():
    text = "version: 1\npipeline:\n  - _TestChecked:\n      low: 2\n      high: 1\n"
    assert only_problem(text) == "pipeline[0]._TestChecked.high (line 5): must be greater than low (2.0)"


@pytest.mark.parametrize(
    "item, fragment",
    [
        ("- _TestPaint", "write a transform as a one-key mapping: `- _TestPaint: {}`"),
        ("- NotAThing", "unknown transform 'NotAThing'"),
        (
            "- {_TestPaint: {}, p: 0.5}",
            "must be a one-key mapping `{TransformName: {parameters}}`, "
            "got a mapping with keys '_TestPaint', 'p'",
        ),
        ("- [_TestPaint]", "got a list"),
        (
            "- _TestPaint: 0.5",
            "parameters of _TestPaint must be a mapping like `{p: 0.5}`, got the number 0.5",
        ),
        ("- _TestPaint: [1]", "got a list"),
    ],
)
def test_pipeline_items_have_one_shape(item, fragment):
    problem = only_problem(f"version: 1\npipeline:\n  {item}\n")
    assert problem.startswith("pipeline[0]") and "(line 3)" in problem
    assert fragment in problem


def test_container_problems_carry_nested_paths():
    text = """\
version: 1
pipeline:
  - OneOf:
      weights: [1, 2]
      transforms:
        - _TestPaint: {value: -1}
        - SomeOf:
            n: 3
            transforms:
              - _TestFlip: {}
              - Qqqq: {}
  - SomeOf: {n: 3, transforms: [{_TestFlip: {}}, {_TestPaint: {}}]}
  - OneOf: {weights: [1], transforms: [{_TestFlip: {}}, {_TestPaint: {}}]}
  - OneOf: {weights: [1, -1], transforms: [{_TestFlip: {}}, {_TestPaint: {}}]}
  - OneOf: {transforms: [{_TestFlip: {p: 0}}, {_TestPaint: {p: 0}}]}
  - Sequential: {transforms: []}
  - Sequential: {p: 1}
  - SomeOf: {transforms: {_TestFlip: {}}}
"""
    assert problems_of(text) == [
        f"pipeline[0].OneOf.transforms[0]._TestPaint.value (line {line_of(text, '-1}')}): "
        "must be between 0 and 255, got -1",
        f"pipeline[0].OneOf.transforms[1].SomeOf.transforms[1].Qqqq "
        f"(line {line_of(text, 'Qqqq')}): unknown transform 'Qqqq' (`augcli transforms` lists them)",
        # the container's own checks still run around an invalid child
        f"pipeline[0].OneOf.transforms[1].SomeOf.n (line {line_of(text, '            n: 3')}): n asks for "
        "up to 3 of 2 transforms; lower n or set replace: true",
        f"pipeline[1].SomeOf.n (line {line_of(text, '{n: 3')}): n asks for up to 3 of 2 "
        "transforms; lower n or set replace: true",
        f"pipeline[2].OneOf.weights (line {line_of(text, 'weights: [1]')}): weights has 1 "
        "entries for 2 transforms; give one per transform",
        f"pipeline[3].OneOf.weights (line {line_of(text, '[1, -1]')}): must be numbers >= 0, got -1",
        f"pipeline[4].OneOf.transforms (line {line_of(text, 'p: 0}}')}): every child has "
        "p = 0, so OneOf can never pick one; give the children a p or set weights",
        f"pipeline[5].Sequential.transforms (line {line_of(text, 'transforms: []')}): "
        "Sequential needs at least one transform in `transforms`",
        f"pipeline[6].Sequential (line {line_of(text, 'p: 1}')}): Sequential needs "
        "`transforms:` with a list of pipeline items",
        f"pipeline[7].SomeOf.transforms (line {line_of(text, 'transforms: {_TestFlip')}): "
        "must be a list, got {'_TestFlip': {}}",
    ]


def test_every_problem_is_reported_at_once():
    text = """\
version: 1
seed: x
copies: -4
labels:
  box: round
  box: tight
extra_key: 1
pipeline:
  - _TestShift: {amount: [5, 1]}
  - _TestRotat: {}
  - _TestPaint: {vaule: 3}
"""
    expected = [
        ("box: tight", "labels.box"),
        ("extra_key", "extra_key"),
        ("seed: x", "seed"),
        ("copies", "copies"),
        ("box: round", "labels.box"),
        ("amount", "pipeline[0]._TestShift.amount"),
        ("_TestRotat", "pipeline[1]._TestRotat"),
        ("vaule", "pipeline[2]._TestPaint.vaule"),
    ]
    problems = problems_of(text)
    assert [p.split(":")[0] for p in problems] == [
        f"{path} (line {line_of(text, needle)})" for needle, path in expected
    ]
    assert "duplicate key 'box' (first given on line 5)" in problems[0]


def test_recipe_from_dict_validates_the_same_without_lines():
    with pytest.raises(RecipeError) as info:
        recipe_from_dict({"version": 1, "copies": "2", "pipeline": [{"_TestShfit": {}}]})
    assert info.value.problems == [
        "copies: must be an integer, got '2'",
        "pipeline[0]._TestShfit: unknown transform '_TestShfit'; did you mean '_TestShift'? "
        "(`augcli transforms` lists them)",
    ]
    data = {"version": 1, "pipeline": [{"_TestPaint": {"value": 3}}]}
    recipe = recipe_from_dict(data)
    assert recipe.pipeline.steps[0].value == (3, 3)
    assert data == {"version": 1, "pipeline": [{"_TestPaint": {"value": 3}}]}  # not mutated


@pytest.mark.parametrize(
    "name",
    [
        "os.system",
        "augcli.transforms.base.Transform",
        "Transform",
        "__import__",
        "PixelOp",
    ],
)
def test_a_recipe_can_only_name_registered_transforms(name):
    with pytest.raises(RecipeError, match="unknown transform"):
        recipe_from_dict({"version": 1, "pipeline": [{name: {}}]})


def test_validate_recipe_file_lists_problems_or_nothing(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\npipeline:\n  - _TestFlip: {p: 1}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nseed: !!python/object/apply:os.getcwd []\ncopies: -1\n")
    assert validate_recipe_file(good) == []
    assert validate_recipe_file(bad) == [
        "seed (line 2): the YAML tag !!python/object/apply:os.getcwd is not allowed; "
        "a recipe holds plain values, lists and mappings only"
    ]
    assert validate_recipe_file(tmp_path / "nope.yaml") == ["recipe file not found"]
    with pytest.raises(RecipeError) as info:
        load_recipe(bad)
    assert str(info.value).startswith(f"{bad}: seed (line 2)")
