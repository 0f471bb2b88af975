"""Polygon area, densify, clipping, and the rasterisation convention."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from augcli.geometry.polygons import (
    clip_polygon,
    clip_ring_to_rect,
    densify,
    polygon_area,
    polygon_bounds,
    polygon_to_mask,
    polygon_to_mask_in_box,
    ring_area,
    signed_ring_area,
)

W, H = 40, 30


def rect(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


def star_ring(rng, cx, cy, radius, k):
    """A random star-shaped (often concave) simple ring around (cx, cy)."""
    angles = 2 * np.pi * (np.arange(k) + rng.uniform(0, 0.9, k)) / k
    radii = rng.uniform(0.3, 1.0, k) * radius
    return np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1)


# Offsets that keep pixel centres (at .5) off the boundary, so the expected raster is unambiguous.
off_centre = st.sampled_from([0.0, 0.1, 0.3, 0.7, 0.9])


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 30),
    st.integers(0, 20),
    st.integers(1, 9),
    st.integers(1, 9),
    off_centre,
    off_centre,
    off_centre,
    off_centre,
)
def test_rasterised_pixels_are_those_whose_centre_is_inside(x, y, w, h, a, b, c, d):
    x0, y0, x1, y1 = x + a, y + b, x + w + c, y + h + d
    got = polygon_to_mask([rect(x0, y0, x1, y1)], H, W)
    ys, xs = np.mgrid[0:H, 0:W] + 0.5
    expected = (xs > x0) & (xs < x1) & (ys > y0) & (ys < y1)
    assert np.array_equal(got, expected)


def test_integer_square_covers_exactly_its_pixels():
    got = polygon_to_mask([rect(0, 0, 10, 10)], 20, 20)
    assert got.sum() == 100 and got[:10, :10].all()


def test_shoelace_area_and_orientation():
    ccw_on_paper = np.array([[0, 0], [4, 0], [4, 3]], dtype=float)
    assert signed_ring_area(ccw_on_paper) == pytest.approx(6.0)
    assert signed_ring_area(ccw_on_paper[::-1]) == pytest.approx(-6.0)
    assert polygon_area([rect(0, 0, 2, 5), ccw_on_paper]) == pytest.approx(16.0)
    assert polygon_area(None) == 0.0 and ring_area(ccw_on_paper[:2]) == 0.0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.3, 20.0))
def test_densify_bounds_segments_and_keeps_the_shape(seed, step):
    ring = star_ring(np.random.default_rng(seed), 20, 15, 14, 7)
    dense = densify(ring, step)
    edges = np.hypot(*(np.roll(dense, -1, axis=0) - dense).T)
    assert edges.max() <= step + 1e-9
    # every original vertex survives, in order
    positions = [int(np.flatnonzero(np.all(np.isclose(dense, v), axis=1))[0]) for v in ring]
    assert positions == sorted(positions)
    assert ring_area(dense) == pytest.approx(ring_area(ring), rel=1e-9)


def centres_inside(ring, height, width):
    """Even-odd test of every pixel centre against the ring: an oracle independent of pycocotools."""
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    inside = np.zeros((height, width), dtype=bool)
    for (x0, y0), (x1, y1) in zip(ring, np.roll(ring, -1, axis=0)):
        if y0 == y1:
            continue
        crosses = (ys >= min(y0, y1)) & (ys < max(y0, y1))
        x_at = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xs < x_at)
    return inside


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.floats(-15, 55), st.floats(-15, 45))
def test_clipping_keeps_exactly_the_part_on_the_canvas(seed, cx, cy):
    rng = np.random.default_rng(seed)
    ring = star_ring(rng, cx, cy, rng.uniform(3, 25), int(rng.integers(3, 12)))
    clipped = clip_ring_to_rect(ring, W, H)
    whole = centres_inside(ring, H, W)  # every centre is on the canvas
    if clipped is None:
        assert whole.sum() <= 1  # at most a sliver was on the canvas
        return
    assert clipped.min() >= 0 and clipped[:, 0].max() <= W and clipped[:, 1].max() <= H
    assert np.count_nonzero(centres_inside(clipped, H, W) != whole) <= 1  # a tie at most
    # area oracle: a 10x finer raster of the unclipped ring, cut by the canvas
    fine = centres_inside(ring * 10, H * 10, W * 10)
    assert ring_area(clipped) == pytest.approx(fine.sum() / 100, abs=0.02 * ring_area(clipped) + 1.0)


def distance_to_ring(points, ring):
    a, b = ring, np.roll(ring, -1, axis=0)
    ab = b - a
    t = np.clip(((points[:, None] - a) * ab).sum(-1) / np.maximum((ab**2).sum(-1), 1e-12), 0, 1)
    nearest = a + t[..., None] * ab
    return np.hypot(*(points[:, None] - nearest).transpose(2, 0, 1)).min(axis=1)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.floats(-15, 55), st.floats(-15, 45))
@example(452, 11.875, 4.875)  # a pixel centre 0.258 px from its edge (seen once)
def test_rasterisation_disagrees_with_exact_centres_only_right_at_the_edges(seed, cx, cy):
    """pycocotools draws the ring upsampled 5x with vertices rounded to that grid:
    a rounded vertex moves by up to 0.1*sqrt(2) px and the upsampled scan of a
    steep edge by about as much again, so a centre up to 0.3 px from the exact
    edge may fall on either side; anything farther is a real raster error."""
    rng = np.random.default_rng(seed)
    ring = star_ring(rng, cx, cy, rng.uniform(3, 25), int(rng.integers(3, 12)))
    differ = np.argwhere(polygon_to_mask([ring], H, W) != centres_inside(ring, H, W))
    centres = differ[:, ::-1] + 0.5
    assert np.all(distance_to_ring(centres, ring) < 0.3)


def test_clipping_edge_cases():
    inside = rect(2, 3, 10, 12)
    assert np.array_equal(clip_ring_to_rect(inside, W, H), inside)
    assert clip_ring_to_rect(rect(50, 5, 60, 9), W, H) is None  # fully outside
    assert clip_ring_to_rect(np.array([[1, 1], [5, 5], [9, 9.0]]), W, H) is None  # no area
    assert clip_ring_to_rect(rect(1, 1, 5, 5)[:2], W, H) is None  # two points
    half = clip_ring_to_rect(rect(-10, 5, 10, 15), W, H)
    assert ring_area(half) == pytest.approx(100.0)
    assert polygon_bounds([half]).tolist() == [0, 5, 10, 15]
    # a ring that touches the canvas only along its edge has no area left
    assert clip_ring_to_rect(rect(-5, 5, 0, 10), W, H) is None
    parts = clip_polygon([rect(-10, 5, 10, 15), rect(45, 0, 50, 5)], W, H)
    assert len(parts) == 1


def test_window_raster_equals_the_same_window_of_the_full_raster():
    rng = np.random.default_rng(7)
    ring = star_ring(rng, 18, 14, 16, 9)
    full = polygon_to_mask([ring], H, W)
    window = polygon_to_mask_in_box([ring], 5, 4, 20, 17)
    assert np.array_equal(window, full[4:21, 5:25])
