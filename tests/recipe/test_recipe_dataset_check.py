"""check_dataset: what a pipeline cannot honour on a given dataset, before any pixel."""

from __future__ import annotations

from augcli.core.sample import Categories, Category
from augcli.recipe.recipe import check_dataset, recipe_from_dict, recipe_from_text

TEXT = """\
version: 1
pipeline:
  - _TestFlip: {}
  - OneOf:
      transforms:
        - _TestPaint: {}
        - _TestBoxesOnly: {}
"""

PEOPLE = Categories([Category(1, "person", keypoints=("nose", "left_eye", "right_eye")), Category(2, "ball")])


def test_a_transform_missing_a_dataset_target_is_reported_where_it_is_written():
    recipe = recipe_from_text(TEXT)
    problems = check_dataset(recipe, PEOPLE, {"image", "boxes", "keypoints", "polygons"})
    assert problems == [
        "pipeline[1].OneOf.transforms[1]._TestBoxesOnly (line 7): _TestBoxesOnly cannot "
        "transform the dataset's polygons, keypoints (it supports image, boxes)"
    ]


def test_no_problem_when_the_dataset_holds_only_supported_targets():
    recipe = recipe_from_text(TEXT)
    assert check_dataset(recipe, PEOPLE, {"image", "boxes"}) == []
    assert check_dataset(recipe, None, set()) == []


def test_flip_pairs_must_fit_every_category_with_keypoints():
    def problems(pairs):
        recipe = recipe_from_dict({"version": 1, "labels": {"keypoint_flip_pairs": pairs}})
        return check_dataset(recipe, PEOPLE, {"image", "keypoints"})

    assert problems([[1, 2]]) == []
    assert problems([[1, 3], [0, 2]]) == [
        "labels.keypoint_flip_pairs: [1, 3] is out of range for category 'person', "
        "which has 3 keypoints (0..2)"
    ]
    assert problems("auto") == []
    no_keypoints = Categories([Category(2, "ball")])
    recipe = recipe_from_dict({"version": 1, "labels": {"keypoint_flip_pairs": [[5, 6]]}})
    assert check_dataset(recipe, no_keypoints, {"image", "boxes"}) == []
