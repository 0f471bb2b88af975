"""Fusing matrix warps: used where exact, and never changes the labels."""

from __future__ import annotations

import numpy as np
import pytest
from recipe_fakes import square_sample

from augcli.geometry import apply as geometry
from augcli.geometry.warp import MatrixWarp, rotation_about, scaling, translation
from augcli.recipe.fusion import fused_settings, fuses_exactly, is_pixel_permutation
from augcli.recipe.recipe import recipe_from_dict

FLIP = MatrixWarp(np.array([[-1.0, 0, 64], [0, 1, 0], [0, 0, 1]]), (64, 64))
ROT90 = MatrixWarp(np.array([[0.0, 1, 0], [-1, 0, 64], [0, 0, 1]]), (48, 64))  # input 64 x 48
ROTATE = MatrixWarp(rotation_about(10, 32, 32), (64, 64))
CROP = MatrixWarp(translation(-8, -8), (48, 48))
PAD = MatrixWarp(translation(8, 8), (80, 80))
HALF = MatrixWarp(scaling(0.5, 0.5), (32, 32))
SETTINGS = {"interpolation": 1, "border_mode": 0, "fill": 0, "fill_mask": None}


@pytest.mark.parametrize(
    "first, then, exact",
    [
        (FLIP, ROTATE, True),  # the flip loses nothing
        (HALF, ROTATE.then(MatrixWarp(scaling(0.5, 0.5), (32, 32))), True),
        (ROTATE, CROP, True),  # the crop only looks inside the rotated canvas
        (ROTATE, FLIP, True),
        (ROTATE, HALF, True),
        (CROP, MatrixWarp(rotation_about(10, 24, 24), (48, 48)), False),
        (ROTATE, ROTATE, False),
        (ROTATE, PAD, False),
        (PAD, CROP, True),  # the pad's fill is reproduced by the fused warp's border
        (PAD, MatrixWarp(np.eye(3), (48, 48)), True),
        (CROP, PAD, False),
    ],
)
def test_fusion_is_exact_only_when_no_intermediate_content_is_lost(first, then, exact):
    assert fuses_exactly(first, (64, 64), then) == exact


def test_pixel_permutations_are_recognised():
    assert is_pixel_permutation(FLIP, (64, 64))
    assert is_pixel_permutation(ROT90, (64, 48))
    assert not is_pixel_permutation(ROT90, (64, 64))  # would not fill its canvas
    assert not is_pixel_permutation(HALF, (64, 64))
    assert not is_pixel_permutation(CROP, (64, 64))
    assert not is_pixel_permutation(ROTATE, (64, 64))


def test_fused_settings_need_equal_resampling_unless_one_side_is_a_permutation():
    cubic = {**SETTINGS, "interpolation": 2}
    reflect = {**SETTINGS, "border_mode": 2, "fill": (1, 2, 3)}
    assert fused_settings(ROTATE, SETTINGS, (64, 64), CROP, dict(SETTINGS)) == SETTINGS
    assert fused_settings(ROTATE, SETTINGS, (64, 64), CROP, cubic) is None
    assert fused_settings(ROTATE, reflect, (64, 64), CROP, {**reflect, "fill": (1, 2, 4)}) is None
    assert fused_settings(ROTATE, reflect, (64, 64), CROP, {**reflect, "fill": [1, 2, 3]}) == reflect
    assert fused_settings(FLIP, SETTINGS, (64, 64), ROTATE, cubic) == cubic
    assert fused_settings(ROTATE, cubic, (64, 64), FLIP, SETTINGS) == cubic


def run_both(items, seed, sample=None, labels=None):
    """(fused run, unfused run, resamplings fused, resamplings unfused)."""
    data = {"version": 1, "pipeline": items}
    if labels:
        data["labels"] = labels
    pipeline = recipe_from_dict(data).pipeline
    sample = sample or square_sample()
    results, counts = [], []
    for fuse in (True, False):
        calls = []
        real = geometry.apply_warp

        def spy(s, warp, calls=calls, real=real, **kwargs):
            calls.append(warp)
            return real(s, warp, **kwargs)

        geometry.apply_warp = spy
        try:
            pipeline.fuse = fuse
            results.append(pipeline.run(sample, np.random.default_rng(seed)))
        finally:
            geometry.apply_warp = real
        counts.append(len(calls))
    return results[0], results[1], counts[0], counts[1]


def assert_same_labels(a, b, tol=1e-6):
    ia, ib = a.sample.instances, b.sample.instances
    assert len(ia) == len(ib)
    assert np.allclose(ia.boxes, ib.boxes, atol=tol)
    assert np.allclose(ia.keypoints, ib.keypoints, atol=tol)
    assert np.allclose(ia.visibility, ib.visibility, atol=tol)
    for pa, pb in zip(ia.polygons, ib.polygons):
        assert len(pa) == len(pb)
        for ra, rb in zip(pa, pb):
            assert _same_ring(ra, rb, tol), (ra, rb)
    assert a.dropped == b.dropped


def _same_ring(ra, rb, tol):
    """Equal rings up to the starting vertex."""
    ra, rb = np.asarray(ra), np.asarray(rb)
    if ra.shape != rb.shape:
        return False
    return any(np.allclose(np.roll(ra, k, axis=0), rb, atol=tol) for k in range(len(ra)))


GEOMETRIC_MIX = [
    {"_TestFlip": {"p": 0.5}},
    {"_TestRotate": {"p": 0.8}},
    {"_TestCrop": {"p": 0.7}},
    {"_TestScale": {"p": 0.5}},
    {"_TestFlip": {"p": 0.5}},
    {"_TestPerspective": {"p": 0.3}},
]


def test_fused_labels_equal_unfused_labels_and_fusion_is_used():
    saved = 0
    for seed in range(30):
        fused, unfused, n_fused, n_unfused = run_both(GEOMETRIC_MIX, seed)
        assert fused.ops == unfused.ops
        assert n_unfused == len(fused.ops) and n_fused <= n_unfused
        assert_same_labels(fused, unfused)
        saved += n_unfused - n_fused
    assert saved >= 30  # typically three or four warps become one


def test_fused_pixels_match_where_the_chain_is_exact():
    items = [
        {"_TestFlip": {"p": 1}},
        {"_TestRotate": {"p": 1, "amount": 17}},
        {"_TestCrop": {"p": 1, "amount": 0.75}},
    ]
    fused, unfused, n_fused, n_unfused = run_both(items, seed=0)
    assert (n_fused, n_unfused) == (1, 3)
    a = fused.sample.image.astype(int)
    b = unfused.sample.image.astype(int)
    assert a.shape == b.shape == (48, 48, 3)
    assert np.abs(a - b).max() <= 1


def test_a_crop_into_a_pads_border_fuses_to_the_same_pixels():
    items = [{"_TestPad": {"p": 1}}, {"_TestCrop": {"p": 1, "amount": 0.9}}]
    fused, unfused, n_fused, n_unfused = run_both(items, seed=0)
    assert (n_fused, n_unfused) == (1, 2)
    assert fused.sample.image.shape == (72, 72, 3)
    assert not fused.sample.image[:, -3:].any()  # the pad's fill shows at the edge
    assert np.array_equal(fused.sample.image, unfused.sample.image)
    assert_same_labels(fused, unfused)


@pytest.mark.parametrize(
    "items",
    [
        [{"_TestRotate": {"p": 1}}, {"_TestGrid": {"p": 1}}, {"_TestFlip": {"p": 1}}],
        [{"_TestFlip": {"p": 1}}, {"_TestPaint": {"p": 1}}, {"_TestRotate": {"p": 1}}],
        [{"_TestShift": {"p": 1}}, {"_TestShift": {"p": 1}}, {"_TestLabels": {"p": 1}}],
        [{"_TestCrop": {"p": 1}}, {"_TestRotate": {"p": 1}}],
    ],
)
def test_non_matrix_and_inexact_steps_give_byte_identical_results(items):
    for seed in range(3):
        fused, unfused, n_fused, n_unfused = run_both(items, seed)
        assert fused.ops == unfused.ops
        assert np.array_equal(fused.sample.image, unfused.sample.image)
        assert_same_labels(fused, unfused, tol=0.0)


def test_two_flips_fuse_into_the_identity_on_every_target():
    sample = square_sample()
    items = [{"_TestFlip": {"p": 1}}, {"_TestFlip": {"p": 1}}]
    fused, unfused, n_fused, _ = run_both(items, seed=0, sample=sample)
    assert n_fused == 1
    assert np.array_equal(fused.sample.image, sample.image)
    assert np.allclose(fused.sample.instances.boxes, sample.instances.boxes)
    assert np.allclose(fused.sample.instances.keypoints, sample.instances.keypoints)
    assert_same_labels(fused, unfused)
