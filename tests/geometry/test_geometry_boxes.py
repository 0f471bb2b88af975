"""Boxes: warped corners and outlines, clipping, areas, tight boxes of shapes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.geometry import rle
from augcli.geometry.boxes import (
    box_areas,
    box_from_mask,
    boxes_from_masks,
    boxes_from_polygons,
    clip_boxes,
    warp_boxes,
)
from augcli.geometry.points import map_points
from augcli.geometry.warp import GridWarp, MatrixWarp, rotation_about

W, H = 100, 80


def fill_points(boxes, k=25):
    """Points spread over each box, edges included."""
    t = np.linspace(0, 1, k)
    u, v = np.meshgrid(t, t)
    x0, y0, x1, y1 = (boxes[:, i][:, None] for i in range(4))
    xs = x0 + u.ravel() * (x1 - x0)
    ys = y0 + v.ravel() * (y1 - y0)
    return np.stack([xs, ys], axis=2)


@settings(max_examples=40, deadline=None)
@given(st.floats(-180, 180), st.floats(0.5, 2.0), st.floats(-0.5, 0.5))
def test_warped_box_is_the_tight_box_of_the_warped_area(angle, scale, shear):
    m = rotation_about(angle, 50, 40) @ np.array([[scale, shear, 0], [0, scale, 0], [0, 0, 1.0]])
    boxes = np.array([[10.0, 12.0, 40.0, 30.0], [60.0, 5.0, 61.0, 70.0]])
    got = warp_boxes(boxes, MatrixWarp(m, (W, H)))
    pts = map_points(fill_points(boxes).reshape(-1, 2), MatrixWarp(m, (W, H))).reshape(2, -1, 2)
    assert np.allclose(got[:, :2], pts.min(axis=1)) and np.allclose(got[:, 2:], pts.max(axis=1))


def test_grid_warp_box_follows_bent_edges():
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    bend = GridWarp(xs.astype(np.float32), (ys - 6 * np.sin(np.pi * xs / W)).astype(np.float32))
    box = np.array([[20.0, 30.0, 80.0, 50.0]])
    got = warp_boxes(box, bend)[0]
    # every point moves down by 6 sin(pi x / W): the corners least, the middle of the
    # bottom edge most, which the four corners alone would miss
    assert abs(got[1] - (30.0 + 6 * np.sin(np.pi * 20 / W))) < 0.01
    assert abs(got[3] - (50.0 + 6.0)) < 0.05  # outline sampled every few px
    assert np.allclose(got[[0, 2]], [20.0, 80.0], atol=0.01)


def test_clip_and_areas():
    boxes = np.array(
        [[-5.0, -5.0, 10.0, 10.0], [90.0, 70.0, 120.0, 90.0], [200, 200, 210, 210], [5.0, 5.0, 4.0, 8.0]]
    )
    clipped = clip_boxes(boxes, W, H)
    assert clipped.tolist()[:3] == [[0, 0, 10, 10], [90, 70, 100, 80], [100, 80, 100, 80]]
    assert box_areas(clipped).tolist() == [100, 100, 0, 0]
    assert box_areas(np.array([[np.nan, 0, 1, 1]])).tolist() == [0]


def test_tight_boxes_of_polygons_and_masks():
    polys = [[np.array([[3.0, 4.0], [9.0, 2.5], [7.0, 11.0]])], None]
    assert boxes_from_polygons(polys)[0].tolist() == [3.0, 2.5, 9.0, 11.0]
    assert np.isnan(boxes_from_polygons(polys)[1]).all()
    rng = np.random.default_rng(5)
    stack = np.zeros((20, 30, 4), dtype=bool)
    stack[:, :, :3] = rng.random((20, 30, 3)) < 0.02
    boxes = boxes_from_masks(stack)
    for k in range(3):
        expected = box_from_mask(stack[:, :, k])
        assert boxes[k].tolist() == expected.tolist() == rle.bounds(rle.encode(stack[:, :, k])).tolist()
    assert np.isnan(boxes[3]).all() and box_from_mask(stack[:, :, 3]) is None
