"""Running the tree: contexts, flush points, drops, flip pairs, no mutation."""

from __future__ import annotations

import numpy as np
import pytest
from recipe_fakes import square_sample

from augcli.core.errors import RecipeError
from augcli.core.sample import Categories, Category, Instances, Sample
from augcli.geometry import apply as geometry
from augcli.recipe.recipe import recipe_from_dict


@pytest.fixture
def warp_calls(monkeypatch):
    """Every apply_warp call's keyword settings, in order (the real function still runs)."""
    calls = []
    real = geometry.apply_warp

    def spy(sample, warp, **kwargs):
        calls.append(kwargs)
        return real(sample, warp, **kwargs)

    monkeypatch.setattr(geometry, "apply_warp", spy)
    return calls


def pipeline_of(*items, labels=None, fuse=True):
    data = {"version": 1, "pipeline": list(items)}
    if labels:
        data["labels"] = labels
    pipeline = recipe_from_dict(data).pipeline
    pipeline.fuse = fuse
    return pipeline


def fixed(name, amount=None, **extra):
    params = {"p": 1.0, **extra}
    if amount is not None:
        params["amount"] = amount
    return {name: params}


def test_context_sees_the_canvas_after_pending_warps(warp_calls):
    pipeline = pipeline_of(fixed("_TestScale", 0.5), fixed("_TestFlip"), fixed("_TestPaint"))
    run = pipeline.run(square_sample(64), np.random.default_rng(0))
    assert run.ops[-1]["seen_size"] == [32, 32]
    assert len(warp_calls) == 1 and run.sample.image.shape[:2] == (32, 32)


@pytest.mark.parametrize(
    "items, expected_calls",
    [
        ([fixed("_TestFlip"), fixed("_TestRotate"), fixed("_TestCrop"), fixed("_TestScale")], 1),
        ([fixed("_TestFlip"), fixed("_TestPaint"), fixed("_TestFlip")], 2),
        ([fixed("_TestFlip"), fixed("_TestGrid"), fixed("_TestFlip")], 3),
        ([fixed("_TestFlip"), fixed("_TestLabels"), fixed("_TestFlip")], 2),
        ([fixed("_TestFlip"), {"_TestLabels": {"p": 0.0}}, fixed("_TestFlip")], 1),
        ([fixed("_TestCrop"), fixed("_TestRotate")], 2),  # rotating would bring back cropped content
        ([fixed("_TestRotate"), fixed("_TestRotate")], 2),  # ...or the first rotation's lost corners
        ([fixed("_TestShift"), fixed("_TestShift")], 2),
        ([fixed("_TestRotate", interpolation=2), fixed("_TestCrop", interpolation=0)], 2),
        ([], 0),
    ],
)
def test_pending_warps_flush_where_they_must(warp_calls, items, expected_calls):
    pipeline_of(*items).run(square_sample(), np.random.default_rng(1))
    assert len(warp_calls) == expected_calls


def test_a_pixel_permutation_adopts_the_other_warps_resampling(warp_calls):
    pipeline = pipeline_of(
        fixed("_TestFlip", interpolation=0),
        fixed("_TestRotate", interpolation=2),
        fixed("_TestFlip", interpolation=4),
    )
    pipeline.run(square_sample(), np.random.default_rng(1))
    assert [c["interpolation"] for c in warp_calls] == [2]


def test_a_transform_that_reads_labels_sees_every_earlier_op():
    items = [fixed("_TestRotate"), fixed("_TestCrop"), fixed("_TestLabels")]
    fused = pipeline_of(*items).run(square_sample(), np.random.default_rng(3))
    unfused = pipeline_of(*items, fuse=False).run(square_sample(), np.random.default_rng(3))
    note = fused.ops[-1]
    assert note == unfused.ops[-1]
    crop = fused.ops[1]["amount"]
    assert note["size"] == [round(64 * crop)] * 2 and note["count"] == 2
    assert note["first_box"] != [20.0, 20.0, 36.0, 36.0]


def test_the_input_sample_is_left_untouched():
    sample = square_sample()
    before = (
        sample.image.copy(),
        sample.instances.boxes.copy(),
        sample.instances.keypoints.copy(),
        [r.copy() for r in sample.instances.polygons[0]],
        dict(sample.meta),
    )
    pipeline = pipeline_of(fixed("_TestRotate"), fixed("_TestPaint"), fixed("_TestShift", 50))
    run = pipeline.run(sample, np.random.default_rng(0), categories=_categories(("a", "b")))
    assert run.sample is not sample
    assert np.array_equal(sample.image, before[0])
    assert np.array_equal(sample.instances.boxes, before[1])
    assert np.array_equal(sample.instances.keypoints, before[2])
    assert all(np.array_equal(a, b) for a, b in zip(sample.instances.polygons[0], before[3]))
    assert sample.meta == before[4] and "dropped" not in sample.meta


def test_dropped_instances_are_counted_by_reason():
    sample = square_sample()
    gone = pipeline_of(fixed("_TestShift", 70)).run(sample, np.random.default_rng(0))
    assert len(gone.sample.instances) == 0 and sum(gone.dropped.values()) == 2
    small = pipeline_of(fixed("_TestPaint"), labels={"min_area": 250}).run(sample, np.random.default_rng(0))
    areas = [256.0, abs(_shoelace(sample.instances.polygons[1][0]))]
    assert small.dropped == {"min_area": sum(a < 250 for a in areas)}
    kept = pipeline_of(fixed("_TestPaint")).run(sample, np.random.default_rng(0))
    assert kept.dropped == {} and len(kept.sample.instances) == 2


def _shoelace(ring):
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _categories(names):
    return Categories([Category(id=1, name="thing", keypoints=tuple(names))])


def _flipped_keypoints(labels, names):
    sample = square_sample()
    categories = None if names is None else _categories(names)
    run = pipeline_of(fixed("_TestFlip"), labels=labels).run(
        sample, np.random.default_rng(0), categories=categories
    )
    return sample.instances.keypoints, run.sample.instances.keypoints


@pytest.mark.parametrize("names", [("a", "b"), None])
def test_explicit_flip_pairs_swap_keypoints_on_mirroring(names):
    before, after = _flipped_keypoints({"keypoint_flip_pairs": [[0, 1]]}, names)
    mirrored = before.copy()
    mirrored[..., 0] = 64 - mirrored[..., 0]
    assert np.allclose(after, mirrored[:, [1, 0]])


def test_auto_flip_pairs_follow_the_names():
    before, plain = _flipped_keypoints(None, ("a", "b"))
    _, named = _flipped_keypoints(None, ("left_eye", "right_eye"))
    mirrored = before.copy()
    mirrored[..., 0] = 64 - mirrored[..., 0]
    assert np.allclose(plain, mirrored)
    assert np.allclose(named, mirrored[:, [1, 0]])


@pytest.mark.parametrize("names", [("a", "b"), None])
def test_flip_pairs_outside_a_category_fail_loudly(names):
    with pytest.raises(RecipeError, match="out of range"):
        _flipped_keypoints({"keypoint_flip_pairs": [[0, 5]]}, names)


def test_runs_on_a_sample_without_instances_or_channels():
    sample = Sample(
        image=np.arange(48 * 40, dtype=np.uint8).reshape(48, 40) % 251, instances=Instances.empty()
    )
    run = pipeline_of(fixed("_TestRotate"), fixed("_TestScale", 0.5)).run(sample, np.random.default_rng(0))
    assert run.sample.image.shape == (24, 20) and len(run.sample.instances) == 0
    assert [op["op"] for op in run.ops] == ["_TestMatrix", "_TestMatrix"]
