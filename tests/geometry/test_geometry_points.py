"""Moving points through matrix and grid warps; the numerical grid inverse."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from augcli.geometry.points import invert_grid, map_points
from augcli.geometry.warp import GridWarp, MatrixWarp, rotation_about

W, H = 160, 120


def sampled(field_x, field_y):
    """Sample a continuous output -> input field at the output pixel centres, as ops do."""
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    return field_x(xs, ys).astype(np.float32), field_y(xs, ys).astype(np.float32)


def test_matrix_points_affine_and_perspective():
    pts = np.array([[0.0, 0.0], [10.0, 5.0], [W, H]])
    rot = rotation_about(90.0, 0.0, 0.0)  # screen-CCW: (x, y) -> (y, -x)
    assert np.allclose(map_points(pts, MatrixWarp(rot, (W, H))), np.stack([pts[:, 1], -pts[:, 0]], 1))
    persp = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.01, 0.0, 1.0]])
    got = map_points(pts, MatrixWarp(persp, (W, H)))
    w = 1 + 0.01 * pts[:, 0]
    assert np.allclose(got, pts / w[:, None])
    behind = map_points(np.array([[-150.0, 3.0]]), MatrixWarp(persp, (W, H)))
    assert np.isnan(behind).all()  # w < 0: behind the horizon
    assert map_points(np.zeros((0, 2)), MatrixWarp(persp, (W, H))).shape == (0, 2)


def elastic_like(amplitude, sigma, seed):
    """A smooth random displacement field, as ElasticTransform draws it."""
    rng = np.random.default_rng(seed)
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (H, W)), (0, 0), sigma)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (H, W)), (0, 0), sigma)
    scale = amplitude / max(np.abs(dx).max(), np.abs(dy).max())
    return dx * scale, dy * scale


@pytest.mark.parametrize("amplitude", [2.0, 6.0])
def test_invert_grid_recovers_output_positions_on_an_elastic_field(amplitude):
    dx, dy = elastic_like(amplitude, 12.0, seed=int(amplitude))
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    map_x, map_y = (xs + dx).astype(np.float32), (ys + dy).astype(np.float32)
    rng = np.random.default_rng(1)
    q = rng.uniform([2, 2], [W - 2, H - 2], size=(2000, 2))
    # forward: the continuous grid value at q (bilinear between the samples, as remap reads it)
    p = np.stack(
        [
            cv2.remap(
                m,
                (q[:, 0] - 0.5).astype(np.float32)[None],
                (q[:, 1] - 0.5).astype(np.float32)[None],
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            )[0]
            for m in (map_x, map_y)
        ],
        1,
    )
    got = invert_grid(map_x, map_y, p)
    err = np.hypot(*(got - q).T)
    assert np.isfinite(got).all() and err.max() < 0.1


def test_invert_grid_on_an_analytic_smooth_field():
    fx = lambda x, y: x + 5.0 * np.sin(y / 13.0) + 3.0 * np.cos(x / 17.0)  # noqa: E731
    fy = lambda x, y: y - 4.0 * np.sin(x / 11.0)  # noqa: E731
    map_x, map_y = sampled(fx, fy)
    q = np.random.default_rng(2).uniform([1, 1], [W - 1, H - 1], size=(3000, 2))
    p = np.stack([fx(q[:, 0], q[:, 1]), fy(q[:, 0], q[:, 1])], 1)
    err = np.hypot(*(invert_grid(map_x, map_y, p) - q).T)
    assert err.max() < 0.1


def test_invert_grid_handles_large_shifts_and_points_off_the_canvas():
    map_x, map_y = sampled(lambda x, y: x + 45.0, lambda x, y: y - 30.0)
    p = np.array([[60.0, 40.0], [100.0, 10.0], [5.0, 5.0], [np.nan, 3.0]])
    got = invert_grid(map_x, map_y, p)
    assert np.allclose(got[:3], p[:3] - [45.0, -30.0], atol=1e-3)  # the third lands off-canvas
    assert got[2, 0] < 0 and np.isnan(got[3]).all()


def test_map_points_prefers_the_ops_exact_point_map():
    map_x, map_y = sampled(lambda x, y: x + 1.0, lambda x, y: y)
    exact = GridWarp(map_x, map_y, point_map=lambda pts: pts - [1.0, 0.0] + 1e-6)
    numeric = GridWarp(map_x, map_y)
    pts = np.array([[10.0, 10.0], [50.0, 70.0]])
    assert np.allclose(map_points(pts, exact), pts - [1.0, 0.0] + 1e-6, atol=0)
    assert np.allclose(map_points(pts, numeric), pts - [1.0, 0.0], atol=1e-3)


def test_folded_grid_reports_unreachable_points_as_nan():
    # every output pixel samples the left half: the right half of the input is unreachable
    map_x, map_y = sampled(lambda x, y: np.minimum(x, W / 2), lambda x, y: y)
    got = invert_grid(map_x, map_y, np.array([[30.0, 20.0], [W / 2 + 30.0, 20.0]]))
    assert np.allclose(got[0], [30.0, 20.0], atol=1e-3)
    assert np.isnan(got[1]).all()


def _shift_right(points):
    return np.asarray(points, float) + [5.0, 0.0]


def _identity(points):
    return np.asarray(points, float)


def test_an_exact_point_map_is_kept_where_the_grid_agrees_and_overruled_where_not():
    ys, xs = np.mgrid[0:40, 0:50] + 0.5
    grid = ((xs - 5).astype(np.float32), ys.astype(np.float32))  # output x shows input x - 5
    pts = np.array([[10.0, 10.0], [30.25, 20.5]])
    agreeing = GridWarp(*grid, point_map=_shift_right)
    assert np.array_equal(map_points(pts, agreeing), _shift_right(pts))  # bit for bit
    wrong = GridWarp(*grid, point_map=_identity)  # puts points on the canvas where the grid disagrees
    np.testing.assert_allclose(map_points(pts, wrong), _shift_right(pts), atol=1e-3)
