"""CoarseDropout: hole filling, semantic maps, label occlusion and parameter checks."""

from __future__ import annotations

import numpy as np
import pytest
from contract_samples import fire, labelled_sample

from augcli.core.errors import TransformError
from augcli.transforms.catalog import load_all
from augcli.transforms.dropout.coarse import CoarseDropoutOp
from augcli.transforms.params import ParamError

REGISTRY = load_all()


def dropout_op(holes, fill=0, fill_mask=None, seed=0):
    return CoarseDropoutOp(holes=tuple(holes), fill=fill, fill_mask=fill_mask, seed=seed)


def test_dropout_fills_holes_and_nothing_else():
    sample = labelled_sample(48, 64)
    out = dropout_op([(2, 3, 10, 12), (30, 30, 40, 35)], fill=(10, 20, 30)).apply(sample)
    covered = np.zeros((48, 64), bool)
    covered[3:12, 2:10] = covered[30:35, 30:40] = True
    assert np.all(out.image[covered] == [10, 20, 30])
    assert np.array_equal(out.image[~covered], sample.image[~covered])


def test_dropout_random_fills():
    sample = labelled_sample(48, 64)
    uniform = dropout_op([(0, 0, 10, 10), (20, 20, 30, 30)], fill="random_uniform", seed=3).apply(sample)
    for x1, y1 in ((0, 0), (20, 20)):
        hole = uniform.image[y1 : y1 + 10, x1 : x1 + 10].reshape(-1, 3)
        assert len(np.unique(hole, axis=0)) == 1
    noisy = dropout_op([(0, 0, 20, 20)], fill="random", seed=3).apply(sample)
    assert len(np.unique(noisy.image[:20, :20].reshape(-1, 3), axis=0)) > 300


def test_dropout_inpainting_blends_with_the_surroundings():
    image = np.full((40, 40, 3), 90, np.uint8)
    sample = labelled_sample(image=image)
    out = dropout_op([(15, 15, 25, 25)], fill="inpaint_telea").apply(sample)
    assert np.all(np.abs(out.image.astype(int) - 90) <= 2)


def test_dropout_semantic_follows_fill_mask_only_when_given():
    sample = labelled_sample(48, 64)
    holes = [(6, 6, 20, 20)]
    kept = dropout_op(holes).apply(sample)
    assert np.array_equal(kept.semantic, sample.semantic)
    filled = dropout_op(holes, fill_mask=255).apply(sample)
    assert np.all(filled.semantic[6:20, 6:20] == 255)
    assert np.array_equal(filled.semantic[20:], sample.semantic[20:])


def test_dropout_occludes_keypoints_and_drops_fully_covered_instances():
    sample = labelled_sample(48, 64)
    # Instance 1 is the mask blob [36, 58) x [18, 40); instance 0's first keypoint is (10, 10).
    out = dropout_op([(8, 8, 12, 12), (34, 16, 60, 42)]).apply(sample)
    assert len(out.instances) == 1
    assert out.instances.extra["ann_id"] == [101]
    assert out.instances.keypoints[0, 0, 2] == 1
    assert out.instances.keypoints[0, 1, 2] == 2


def test_dropout_hole_sizes_follow_pixels_or_fractions():
    sample = labelled_sample(48, 64)
    for seed in range(10):
        transform = REGISTRY["CoarseDropout"](
            num_holes_range=[3, 3], hole_height_range=[4, 6], hole_width_range=[0.25, 0.25], p=1.0
        )
        op = fire(transform, sample, seed)
        assert len(op.holes) == 3
        for x1, y1, x2, y2 in op.holes:
            assert 4 <= y2 - y1 <= 6 and x2 - x1 == 16
            assert 0 <= x1 and x2 <= 64 and 0 <= y1 and y2 <= 48


@pytest.mark.parametrize(
    "config",
    [
        {"hole_height_range": [0, 5]},
        {"hole_width_range": [0.5, 1.5]},
        {"hole_width_range": [0.3, 0.1]},
        {"hole_height_range": 0.2},
        {"fill": "blue"},
        {"fill": -1},
        {"fill_mask": 1.5},
        {"fill_mask": "x"},
    ],
)
def test_dropout_rejects_bad_parameters(config):
    with pytest.raises(ParamError):
        REGISTRY["CoarseDropout"](**config)


def test_dropout_fill_with_wrong_channel_count_is_an_item_error():
    sample = labelled_sample(48, 64)
    with pytest.raises(TransformError):
        dropout_op([(0, 0, 5, 5)], fill=(1, 2)).apply(sample)
