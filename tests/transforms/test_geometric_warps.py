"""Rotations, affine and grid warps against hand-derived matrices and independent oracles.

Rotation is checked against OpenCV's ``getRotationMatrix2D``, point maps of
grid warps against their sampling grids, sampled parameters against their
declared ranges.
"""

from __future__ import annotations

import math
import pickle

import cv2
import numpy as np
import pytest
from geometric_probes import H, W, apply_h, centres_of, ctx, make, op_of

from augcli.geometry.warp import GridWarp
from augcli.transforms.geometric.affine import RotateOp, largest_rotated_rect
from augcli.transforms.params import ParamError

# --- rotations and affine ---------------------------------------------------------------


def cv_rotation_continuous(angle: float, width: int, height: int) -> np.ndarray:
    """OpenCV's rotation about the image centre, moved from pixel-index to continuous coordinates."""
    cv = np.vstack([cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, 1.0), [0, 0, 1]])
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    return shift @ cv @ np.linalg.inv(shift)


def test_rotate_matches_opencv_and_turns_counter_clockwise():
    for seed in range(10):
        op = op_of("Rotate", seed, limit=[-30, 60])
        assert -30 <= op.angle <= 60
        warp = op.warp(W, H)
        np.testing.assert_allclose(warp.matrix, cv_rotation_continuous(op.angle, W, H), atol=1e-9)
    quarter = RotateOp(angle=90).warp(W, H).matrix
    # a point right of the centre goes above it (y points down)
    np.testing.assert_allclose(
        apply_h(quarter, np.array([[W / 2 + 10, H / 2]])), [[W / 2, H / 2 - 10]], atol=1e-9
    )


def test_rotate_scalar_limit_is_symmetric():
    angles = [op_of("Rotate", seed, limit=5).angle for seed in range(200)]
    assert min(angles) < -4 and max(angles) > 4 and all(abs(a) <= 5 for a in angles)


@pytest.mark.parametrize("angle", [0.0, 10.0, 37.0, 45.0, -80.0, 90.0])
def test_rotate_crop_border_has_no_outside_pixels(angle):
    warp = RotateOp(angle=angle, crop_border=True).warp(W, H)
    out_w, out_h = warp.out_size
    corners = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], float)
    back = apply_h(np.linalg.inv(warp.matrix), corners)
    assert (back >= -1e-6).all() and (back[:, 0] <= W + 1e-6).all() and (back[:, 1] <= H + 1e-6).all()
    rect_w, rect_h = largest_rotated_rect(W, H, angle)
    assert (out_w, out_h) == (int(rect_w), int(rect_h))


def test_largest_rotated_rect_hand_values():
    assert largest_rotated_rect(100, 50, 0) == pytest.approx((100, 50))
    assert largest_rotated_rect(100, 50, 90) == pytest.approx((50, 100), abs=1e-6)
    # a square at 45 degrees keeps the inscribed square of side s / sqrt(2)
    assert largest_rotated_rect(100, 100, 45) == pytest.approx((100 / math.sqrt(2),) * 2)


def test_affine_translate_px_and_scale_compose_about_the_centre():
    op = op_of("Affine", scale=2.0, translate_px={"x": 7, "y": -3})
    mat = op.warp(W, H).matrix
    cx, cy = W / 2, H / 2
    expected = np.array([[2, 0, cx - 2 * cx + 7], [0, 2, cy - 2 * cy - 3], [0, 0, 1]])
    np.testing.assert_allclose(mat, expected, atol=1e-9)


def test_affine_rotate_equals_rotate_op():
    op = op_of("Affine", rotate=[25, 25])
    np.testing.assert_allclose(op.warp(W, H).matrix, cv_rotation_continuous(25, W, H), atol=1e-9)


def test_affine_shear_x_is_negated_like_albumentations():
    op = op_of("Affine", shear={"x": [20, 20]})
    assert op.shear_x == -20 and op.shear_y == 0
    mat = op.warp(W, H).matrix
    # a point below the centre moves left (tan(-20 deg) < 0) by dy * tan(20 deg)
    moved = apply_h(mat, np.array([[W / 2, H / 2 + 10]]))
    np.testing.assert_allclose(moved, [[W / 2 - 10 * math.tan(math.radians(20)), H / 2 + 10]])


def test_affine_sampling_ranges():
    t = make(
        "Affine",
        scale={"x": [0.5, 0.8], "y": [1.2, 1.5]},
        rotate=[-10, 10],
        translate_percent={"x": [-0.1, 0.1]},
        shear=[-5, 5],
    )
    for seed in range(100):
        op = t.make_op(np.random.default_rng(seed), ctx())
        assert 0.5 <= op.scale_x <= 0.8 and 1.2 <= op.scale_y <= 1.5
        assert -10 <= op.rotate <= 10 and -5 <= op.shear_x <= 5 and -5 <= op.shear_y <= 5
        assert abs(op.translate_x) <= 0.1 * W and op.translate_y == 0


def test_affine_balanced_scale_zooms_out_half_the_time():
    t = make("Affine", scale=[0.5, 4.0], balanced_scale=True)
    scales = np.array([t.make_op(np.random.default_rng(s), ctx()).scale_x for s in range(400)])
    assert 0.4 < np.mean(scales < 1) < 0.6
    assert scales.min() >= 0.5 and scales.max() <= 4.0


def test_affine_fit_output_keeps_the_whole_image():
    op = op_of("Affine", rotate=[30, 30], scale=1.2, fit_output=True)
    warp = op.warp(W, H)
    corners = apply_h(warp.matrix, np.array([[0, 0], [W, 0], [W, H], [0, H]], float))
    assert corners.min() >= -1e-9
    assert corners[:, 0].max() <= warp.out_size[0] and corners[:, 1].max() <= warp.out_size[1]
    assert warp.out_size[0] > W and warp.out_size[1] > H


def test_affine_rejects_bad_configs():
    for cfg in (
        {"translate_px": 3, "translate_percent": 0.1},
        {"scale": [0, 1]},
        {"shear": {"z": 1}},
        {"keep_ratio": True, "scale": {"x": [1, 2]}},
        {"scale": "big"},
    ):
        with pytest.raises(ParamError):
            make("Affine", **cfg)


def test_shift_scale_rotate_ranges():
    t = make(
        "ShiftScaleRotate",
        shift_limit=0.1,
        scale_limit=[-0.2, 0.3],
        rotate_limit=20,
        shift_limit_y=[0.0, 0.05],
    )
    for seed in range(100):
        op = t.make_op(np.random.default_rng(seed), ctx())
        assert 0.8 <= op.scale_x == op.scale_y <= 1.3
        assert abs(op.rotate) <= 20 and abs(op.translate_x) <= 0.1 * W
        assert 0 <= op.translate_y <= 0.05 * H


def test_perspective_corners_jitter_inwards_and_map_to_the_frame():
    for seed in range(50):
        op = op_of("Perspective", seed, scale=[0.05, 0.2])
        corners = np.array(op.corners)
        frame = np.array([[0, 0], [W, 0], [W, H], [0, H]], float)
        jitter = np.abs(corners - frame) / [W, H]
        assert (jitter < 0.32).all()
        warp = op.warp(W, H)
        assert warp.out_size == (W, H)
        np.testing.assert_allclose(apply_h(warp.matrix, corners), frame, atol=1e-3)


def test_perspective_without_keep_size_uses_the_quad_size():
    op = op_of("Perspective", 3, scale=0.1, keep_size=False)
    warp = op.warp(W, H)
    assert warp.out_size[0] <= W and warp.out_size[1] <= H
    assert warp.out_size[0] > W * 0.3 and warp.out_size[1] > H * 0.3


# --- grid warps -------------------------------------------------------------------------


def test_grid_distortion_steps_in_range_and_exact_point_map():
    for normalized in (True, False):
        op = op_of("GridDistortion", 4, num_steps=4, distort_limit=0.4, normalized=normalized)
        assert all(0.6 <= s <= 1.4 for s in op.steps_x + op.steps_y)
        warp = op.warp(W, H)
        assert isinstance(warp, GridWarp) and warp.out_size == (W, H)
        # sampling then mapping forward returns every output pixel centre exactly
        sources = np.c_[warp.map_x.ravel(), warp.map_y.ravel()]
        np.testing.assert_allclose(warp.point_map(sources), centres_of((H, W)), atol=1e-3)
        if normalized:
            assert warp.map_x.min() >= 0 and warp.map_x.max() <= W
            np.testing.assert_allclose(
                warp.point_map(np.array([[0, 0], [W, H]])), [[0, 0], [W, H]], atol=1e-9
            )


def test_grid_distortion_point_map_pickles():
    warp = op_of("GridDistortion", 1, distort_limit=0.3).warp(W, H)
    again = pickle.loads(pickle.dumps(warp.point_map))
    pts = np.array([[3.0, 4.0], [150.5, 100.25]])
    np.testing.assert_array_equal(again(pts), warp.point_map(pts))


def test_elastic_field_is_deterministic_and_scaled_by_alpha():
    op = op_of("ElasticTransform", 5, alpha=30, sigma=5)
    a, b = op.warp(W, H), op.warp(W, H)
    np.testing.assert_array_equal(a.map_x, b.map_x)
    base_x = np.arange(W) + 0.5
    dx = a.map_x - base_x[None, :]
    assert 0.3 < np.abs(dx).mean() < 30
    weak = op_of("ElasticTransform", 5, alpha=3, sigma=5).warp(W, H)
    np.testing.assert_allclose(weak.map_x - base_x[None, :], dx / 10, atol=1e-4)
    same = op_of("ElasticTransform", 5, alpha=30, sigma=5, same_dxdy=True).warp(W, H)
    base_y = np.arange(H) + 0.5
    np.testing.assert_allclose(same.map_x - base_x[None, :], same.map_y - base_y[:, None], atol=1e-4)
