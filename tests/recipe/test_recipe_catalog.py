"""Integration with the real transform catalogue."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from recipe_fakes import square_sample

from augcli.core.sample import Categories, Category
from augcli.geometry import apply as geometry
from augcli.recipe.catalog import full_registry
from augcli.recipe.compose import CONTAINERS
from augcli.recipe.recipe import example_recipe, load_recipe, recipe_from_text
from augcli.transforms.base import REGISTRY

ISSUE_RECIPE = """\
version: 1
seed: 0
copies: 4              # augmented outputs per input image
keep_original: true    # also write each input image unchanged
labels:
  min_visibility: 0.0
  min_area: 1
  box: tight
  keypoint_flip_pairs: auto
pipeline:
  - HorizontalFlip: {p: 0.5}
  - Affine: {rotate: [-15, 15], scale: [0.9, 1.1], translate_percent: [-0.05, 0.05], p: 0.7}
  - OneOf:
      p: 0.5
      transforms:
        - GaussianBlur: {sigma_limit: [0.2, 1.5]}
        - GaussNoise: {std_range: [0.02, 0.08]}
  - RandomBrightnessContrast: {p: 0.5}
"""
CATEGORIES = Categories([Category(1, "thing", keypoints=("left_hand", "right_hand"))])
RECIPES = sorted((Path(__file__).resolve().parents[2] / "recipes").glob("*.yaml"))


def test_the_full_registry_is_the_catalogue_plus_the_containers():
    names = full_registry()
    assert set(CONTAINERS) <= set(names)
    assert {n for n in names if not n.startswith("_Test")} - set(CONTAINERS) == {
        n for n in REGISTRY if not n.startswith("_Test")
    }
    assert all(names[n].name == n for n in names)


def test_the_issue_recipe_validates_and_runs_deterministically():
    recipe = recipe_from_text(ISSUE_RECIPE)
    assert (recipe.copies, recipe.keep_original, len(recipe.pipeline)) == (4, True, 4)
    sample = square_sample()
    first = [recipe.pipeline.run(sample, np.random.default_rng(s), categories=CATEGORIES) for s in range(6)]
    again = [recipe.pipeline.run(sample, np.random.default_rng(s), categories=CATEGORIES) for s in range(6)]
    for a, b in zip(first, again):
        assert a.ops == b.ops
        assert np.array_equal(a.sample.image, b.sample.image)
        assert np.array_equal(a.sample.instances.boxes, b.sample.instances.boxes)
    assert len({str(r.ops) for r in first}) > 1


@pytest.mark.parametrize("name", sorted(CONTAINERS))
def test_container_examples_validate_and_run(name):
    recipe = example_recipe(CONTAINERS[name].example)
    assert [type(s).__name__ for s in recipe.pipeline] == [recipe.pipeline.steps[0].name]
    for seed in range(3):
        run = recipe.pipeline.run(square_sample(), np.random.default_rng(seed), categories=CATEGORIES)
        assert run.sample.image.dtype == np.uint8


def test_real_matrix_transforms_fuse_without_changing_labels(monkeypatch):
    text = """\
version: 1
pipeline:
  - HorizontalFlip: {p: 1}
  - Affine: {rotate: [-20, 20], scale: [1.1, 1.3], p: 1}
  - CenterCrop: {height: 48, width: 40, p: 1}
  - Resize: {height: 60, width: 50, p: 1}
"""
    pipeline = recipe_from_text(text).pipeline
    calls = []
    real = geometry.apply_warp
    monkeypatch.setattr(geometry, "apply_warp", lambda *a, **k: calls.append(1) or real(*a, **k))
    for seed in range(5):
        runs = []
        for fuse in (True, False):
            calls.clear()
            pipeline.fuse = fuse
            runs.append(
                (
                    pipeline.run(square_sample(), np.random.default_rng(seed), categories=CATEGORIES),
                    len(calls),
                )
            )
        (fused, n_fused), (unfused, n_unfused) = runs
        assert fused.ops == unfused.ops and n_unfused == 4
        assert n_fused < n_unfused
        a, b = fused.sample.instances, unfused.sample.instances
        assert len(a) == len(b)
        assert np.allclose(a.keypoints, b.keypoints, atol=1e-6)
        assert np.allclose(a.boxes, b.boxes, atol=1e-6)


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_starter_recipes_load(path):
    recipe = load_recipe(path)
    assert recipe.version == 1 and len(recipe.pipeline) > 0
