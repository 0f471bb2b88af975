"""``clip_polygon_measured`` is ``clip_polygon`` plus the two ``polygon_area`` sums, bit for bit
(apply_warp's visibility uses it, so it must not change a single output)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.geometry.polygons import clip_polygon, clip_polygon_measured, polygon_area

coordinate = st.floats(min_value=-60.0, max_value=160.0, allow_nan=False, allow_infinity=False)
ring = st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=9).map(
    lambda points: np.asarray(points, dtype=np.float64)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ring, min_size=0, max_size=4), st.integers(1, 120), st.integers(1, 120))
def test_measured_clip_matches_clip_and_areas(polygon, width, height):
    clipped, before, after = clip_polygon_measured(polygon, width, height)
    reference = clip_polygon(polygon, width, height)
    assert len(clipped) == len(reference)
    assert all(np.array_equal(a, b) for a, b in zip(clipped, reference))
    assert before == polygon_area(polygon)
    assert after == polygon_area(reference)


def test_a_ring_inside_is_measured_once_and_kept_as_it_is():
    square = np.array([[10.0, 10.0], [50.0, 10.0], [50.0, 40.0], [10.0, 40.0]])
    clipped, before, after = clip_polygon_measured([square], 100, 100)
    assert np.array_equal(clipped[0], square)
    assert before == after == 1200.0
    outside = square + 500.0
    assert clip_polygon_measured([square, outside], 100, 100)[1:] == (2400.0, 1200.0)
