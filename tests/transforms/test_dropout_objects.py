"""Object-aware dropouts: MaskDropout removes whole objects; ConstrainedCoarseDropout cuts
only inside objects of chosen classes."""

from __future__ import annotations

import numpy as np
import pytest
from contract_samples import categories, encode_rle, fire, labelled_sample, textured_image

from augcli.core.errors import TransformError
from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.geometry import rle
from augcli.geometry.occlusion import instance_region
from augcli.transforms.base import SampleContext
from augcli.transforms.catalog import load_all
from augcli.transforms.dropout.mask_dropout import MaskDropoutOp

REGISTRY = load_all()


def overlapping_sample() -> Sample:
    """A box-only car over the left half of a masked person, and a polygon dog elsewhere."""
    image = textured_image(60, 80)
    person = np.zeros((60, 80), dtype=bool)
    person[10:40, 10:30] = True
    dog = [np.array([[50.0, 40.0], [70.0, 40.0], [70.0, 55.0], [50.0, 55.0]])]
    kps = np.array([[[15.5, 20.5, 2]], [[25.5, 25.5, 2]], [[60.5, 45.5, 2]]])
    inst = Instances(
        labels=[1, 3, 4],
        boxes=[[5, 5, 20, 45], [10, 10, 30, 40], [50, 40, 70, 55]],
        polygons=[None, None, dog],
        masks=[None, encode_rle(person), None],
        keypoints=kps,
        extra={"ann_id": ["car", "person", "dog"]},
    )
    semantic = np.zeros((60, 80), np.uint8)
    semantic[person] = 3
    semantic[40:55, 50:70] = 4
    return Sample(image, inst, semantic=semantic, meta={"key": "k"})


def test_mask_dropout_fills_the_object_and_drops_it_with_every_column():
    sample = overlapping_sample()
    op = MaskDropoutOp(instances=(0,), classes=(), fill=0, fill_mask=0, seed=0)
    out = op.apply(sample)
    car = instance_region(sample.instances, 0, 60, 80)
    assert np.all(out.image[car] == 0)
    assert np.array_equal(out.image[~car], sample.image[~car])
    assert np.all(out.semantic[car] == 0) and np.array_equal(out.semantic[~car], sample.semantic[~car])
    assert out.instances.extra["ann_id"] == ["person", "dog"]
    assert out.meta["dropped"] == {"mask_dropout": 1}
    # the person under the removed car loses those pixels, and the keypoint there is occluded
    person = rle.decode(sample.instances.masks[1])
    assert np.array_equal(rle.decode(out.instances.masks[0]), person & ~car)
    assert out.instances.visibility[0] == pytest.approx(1 - (person & car).sum() / person.sum())
    assert out.instances.keypoints[:, 0, 2].tolist() == [2, 2]  # (25.5, 25.5) is not under the car
    assert out.instances.visibility[1] == 1.0


def test_mask_dropout_random_uniform_gives_each_object_its_own_colour():
    sample = overlapping_sample()
    op = MaskDropoutOp(instances=(0, 2), classes=(), fill="random_uniform", fill_mask=None, seed=4)
    out = op.apply(sample)
    for i in (0, 2):
        region = instance_region(sample.instances, i, 60, 80)
        assert len(np.unique(out.image[region].reshape(-1, 3), axis=0)) == 1
    assert np.array_equal(out.semantic, sample.semantic)


@pytest.mark.parametrize("seed", range(8))
def test_mask_dropout_removes_between_min_and_max_objects(seed):
    sample = overlapping_sample()
    transform = REGISTRY["MaskDropout"](max_objects=2, p=1.0)  # an int n means [1, n]
    op = fire(transform, sample, seed)
    assert 1 <= len(op.instances) <= 2 and len(set(op.instances)) == len(op.instances)
    out = op.apply(sample)
    assert len(out.instances) == 3 - len(op.instances)
    removed = {sample.instances.extra["ann_id"][i] for i in op.instances}
    assert removed.isdisjoint(out.instances.extra["ann_id"])


def test_mask_dropout_without_instances_removes_semantic_classes():
    sample = overlapping_sample()
    sample = sample.replace(instances=Instances.empty(1))
    transform = REGISTRY["MaskDropout"](max_objects=[1, 1], fill=0, p=1.0)
    op = fire(transform, sample, 0)
    assert op.instances == () and len(op.classes) == 1 and op.classes[0] in (3, 4)
    out = op.apply(sample)
    removed = sample.semantic == op.classes[0]
    assert np.all(out.semantic[removed] == 0) and np.all(out.image[removed] == 0)
    assert np.array_equal(out.image[~removed], sample.image[~removed])


def context(sample: Sample, cats: Categories | None) -> SampleContext:
    return SampleContext(width=sample.width, height=sample.height, get_sample=lambda: sample, categories=cats)


CATS = Categories([Category(1, "car"), Category(3, "person"), Category(4, "dog")])


@pytest.mark.parametrize("labels", [["person"], [3]])
def test_constrained_holes_are_centred_on_the_chosen_objects_pixels(labels):
    sample = overlapping_sample()
    transform = REGISTRY["ConstrainedCoarseDropout"](
        bbox_labels=labels,
        num_holes_range=[2, 4],
        hole_height_range=[0.1, 0.3],
        hole_width_range=[0.1, 0.3],
        p=1.0,
    )
    person = rle.decode(sample.instances.masks[1])
    for seed in range(10):
        op = transform.sample(np.random.default_rng(seed), context(sample, CATS))
        assert 2 <= len(op.holes) <= 4
        for x1, y1, x2, y2 in op.holes:
            cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
            assert person[min(cy, 59), min(cx, 79)] or person[y1:y2, x1:x2].any()
            assert 1 <= y2 - y1 <= 0.3 * 30 + 1 and 1 <= x2 - x1 <= 0.3 * 20 + 1


def test_constrained_box_only_objects_get_holes_inside_their_box():
    sample = overlapping_sample()
    transform = REGISTRY["ConstrainedCoarseDropout"](
        bbox_labels=["car"],
        num_holes_range=[3, 3],
        hole_height_range=[0.2, 0.4],
        hole_width_range=[0.2, 0.4],
        p=1.0,
    )
    for seed in range(10):
        op = transform.sample(np.random.default_rng(seed), context(sample, CATS))
        assert len(op.holes) == 3
        assert all(5 <= x1 and x2 <= 20 and 5 <= y1 and y2 <= 45 for x1, y1, x2, y2 in op.holes)


def test_constrained_mask_indices_cut_every_component_of_the_class():
    sample = overlapping_sample()
    semantic = sample.semantic.copy()
    semantic[50:58, 2:8] = 4  # a second, separate dog component
    sample = sample.replace(semantic=semantic)
    transform = REGISTRY["ConstrainedCoarseDropout"](
        mask_indices=[4],
        num_holes_range=[2, 2],
        hole_height_range=[0.5, 0.5],
        hole_width_range=[0.5, 0.5],
        p=1.0,
    )
    op = transform.sample(np.random.default_rng(1), context(sample, CATS))
    assert len(op.holes) == 4
    in_big = [h for h in op.holes if semantic[(h[1] + h[3]) // 2, (h[0] + h[2]) // 2] == 4 and h[0] >= 40]
    in_small = [h for h in op.holes if h[2] <= 12]
    assert len(in_big) == 2 and len(in_small) == 2
    side_big = round(0.5 * np.sqrt(15 * 20))
    assert all(abs((x2 - x1) - side_big) <= 1 for x1, _, x2, _ in in_big)


def test_constrained_skips_crowd_regions_and_other_classes():
    sample = labelled_sample()  # instance 1 is a crowd of category 2
    transform = REGISTRY["ConstrainedCoarseDropout"](bbox_labels=["crowd"], p=1.0)
    op = fire(transform, sample)
    assert op.holes == () and op.apply(sample) is sample


def test_constrained_unknown_category_is_a_validation_problem_and_a_runtime_error():
    transform = REGISTRY["ConstrainedCoarseDropout"](bbox_labels=["unicorn", 3], p=1.0)
    problems = transform.dataset_problems(CATS)
    assert len(problems) == 1 and "unicorn" in problems[0] and "person" in problems[0]
    assert transform.dataset_problems(None) == []
    with pytest.raises(TransformError, match="unicorn"):
        transform.sample(np.random.default_rng(0), context(overlapping_sample(), CATS))
    with pytest.raises(TransformError, match="unicorn"):
        transform.sample(np.random.default_rng(0), context(overlapping_sample(), None))
    assert REGISTRY["ConstrainedCoarseDropout"](bbox_labels=[99]).dataset_problems(CATS)
    assert REGISTRY["ConstrainedCoarseDropout"](bbox_labels=["dog"]).dataset_problems(categories()) != []


def test_constrained_needs_a_target():
    from augcli.transforms.params import ParamError

    with pytest.raises(ParamError, match="bbox_labels"):
        REGISTRY["ConstrainedCoarseDropout"]()
    with pytest.raises(ParamError, match="mask_indices"):
        REGISTRY["ConstrainedCoarseDropout"](mask_indices=["dog"])


def test_recipe_check_reports_unknown_categories_before_any_pixel_moves():
    from augcli.recipe.recipe import check_dataset, recipe_from_dict

    recipe = recipe_from_dict(
        {"version": 1, "pipeline": [{"ConstrainedCoarseDropout": {"bbox_labels": ["person", "unicorn"]}}]}
    )
    problems = check_dataset(recipe, CATS, ["image", "boxes"])
    assert len(problems) == 1 and "ConstrainedCoarseDropout" in problems[0] and "unicorn" in problems[0]
    fine = recipe_from_dict(
        {"version": 1, "pipeline": [{"ConstrainedCoarseDropout": {"bbox_labels": ["person", 4]}}]}
    )
    assert check_dataset(fine, CATS, ["image", "boxes"]) == []
