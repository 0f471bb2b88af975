"""Piecewise warps: pieces of the canvas moved on their own, every target split with them."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pytest
from geometry_scenes import COLOURS, instance_pixels, iou, painted_scene, random_scene
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.apply import apply_warp
from augcli.geometry.piecewise import Piece, piecewise_warp
from augcli.geometry.points import map_points
from augcli.geometry.polygons import polygon_area, polygon_to_mask
from augcli.geometry.raster import Resampler
from augcli.geometry.warp import translation


def swap_columns(width: int, height: int, split: int):
    """Left [0, split) and right [split, width) strips trade places."""
    return piecewise_warp(
        [
            Piece((0, 0, split, height), translation(width - split, 0)),
            Piece((split, 0, width, height), translation(-split, 0)),
        ],
        (width, height),
    )


def roll(array: np.ndarray, split: int) -> np.ndarray:
    return np.concatenate([array[:, split:], array[:, :split]], axis=1)


@pytest.mark.parametrize("split", [80, 130])
def test_swapped_strips_move_every_target_with_its_pixels(split):
    s = painted_scene()
    w, h = s.width, s.height
    out = apply_warp(s, swap_columns(w, h, split))
    assert np.array_equal(out.image, roll(s.image, split))
    assert np.array_equal(out.semantic, roll(s.semantic, split))
    assert len(out.instances) == 4
    np.testing.assert_allclose(out.instances.visibility, 1.0)
    for i in range(4):
        pixels = instance_pixels(out, i)
        x0, y0, x1, y1 = out.instances.boxes[i]
        ys, xs = np.nonzero(pixels)
        assert x0 <= xs.min() and xs.max() + 1 <= x1 and y0 <= ys.min() and ys.max() + 1 <= y1
    for i in (0, 1):  # polygons: cut at the seam, each part moved
        before = s.instances.polygons[i]
        after = out.instances.polygons[i]
        assert polygon_area(after) == pytest.approx(polygon_area(before))
        assert iou(polygon_to_mask(after, h, w), instance_pixels(out, i)) >= 0.99
        crosses = min(r[:, 0].min() for r in before) < split < max(r[:, 0].max() for r in before)
        assert len(after) == len(before) + int(crosses)
    mask = rle.decode(out.instances.masks[2])
    assert np.array_equal(mask, roll(rle.decode(s.instances.masks[2]), split))
    kps, moved = s.instances.keypoints, out.instances.keypoints
    labelled = kps[:, :, 2] > 0
    shift = np.where(kps[:, :, 0] < split, w - split, -split)
    np.testing.assert_allclose(moved[:, :, 0][labelled], (kps[:, :, 0] + shift)[labelled])
    np.testing.assert_allclose(moved[:, :, 1:], kps[:, :, 1:])


def test_a_box_only_instance_cut_by_the_seam_becomes_the_box_around_its_parts():
    s = painted_scene()
    out = apply_warp(s, swap_columns(s.width, s.height, 150))  # box 3 spans x 125..180
    np.testing.assert_allclose(out.instances.boxes[3], [0.0, 118.0, 200.0, 150.0])


def shuffle_quadrants(width: int, height: int, order) -> object:
    """Tile k of a 2 x 2 grid (row-major) is shown at position order[k]."""
    tw, th = width // 2, height // 2
    corners = [(0, 0), (tw, 0), (0, th), (tw, th)]
    pieces = []
    for k, (x0, y0) in enumerate(corners):
        ox, oy = corners[order[k]]
        pieces.append(Piece((x0, y0, x0 + tw, y0 + th), translation(ox - x0, oy - y0)))
    return piecewise_warp(pieces, (width, height))


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000), order=st.permutations(range(4)))
def test_shuffled_quadrants_keep_area_and_put_every_part_in_one_tile(seed, order):
    s = random_scene(seed)
    w, h = s.width // 2 * 2, s.height // 2 * 2  # even sizes: four equal tiles
    inst = s.instances  # masks are sized to the old canvas
    keep = [
        i
        for i in range(len(inst))
        if inst.masks[i] is None and inst.boxes[i][2] <= w and inst.boxes[i][3] <= h
    ]
    s = s.replace(
        image=s.image[:h, :w], semantic=s.semantic[:h, :w], instances=inst[np.array(keep, dtype=np.int64)]
    )
    warp = shuffle_quadrants(w, h, order)
    out = apply_warp(s, warp)
    assert len(out.instances) == len(s.instances)
    tiles = [(x, y, x + w // 2, y + h // 2) for y in (0, h // 2) for x in (0, w // 2)]
    for before, after in zip(s.instances.polygons, out.instances.polygons):
        if not before:
            continue
        assert polygon_area(after) == pytest.approx(polygon_area(before), abs=1e-6)
        for ring in after:
            lo, hi = ring.min(axis=0), ring.max(axis=0)
            assert any(
                lo[0] >= x0 - 1e-9 and lo[1] >= y0 - 1e-9 and hi[0] <= x1 + 1e-9 and hi[1] <= y1 + 1e-9
                for x0, y0, x1, y1 in tiles
            )
    # keypoints: the exact point map agrees with where the pixel under them went
    kps = s.instances.keypoints
    labelled = kps[:, :, 2] > 0
    if labelled.any():
        points = kps[labelled][:, :2]
        moved = map_points(points, warp)
        inside = (points[:, 0] < w) & (points[:, 1] < h)
        src_pixels = s.image[points[inside, 1].astype(int), points[inside, 0].astype(int)]
        dst = moved[inside]
        dst_pixels = out.image[
            np.minimum(dst[:, 1].astype(int), h - 1), np.minimum(dst[:, 0].astype(int), w - 1)
        ]
        assert np.array_equal(src_pixels, dst_pixels)


def test_scaled_piece_and_uncovered_output_use_the_general_path():
    """Left half shrunk into the left quarter, right half kept; the second quarter is empty."""
    w, h = 80, 40
    pieces = [Piece((0, 0, 40, 40), np.diag([0.5, 1.0, 1.0])), Piece((40, 0, 80, 40), np.eye(3))]
    warp = piecewise_warp(pieces, (w, h))
    image = np.zeros((h, w, 3), np.uint8)
    image[:, :40] = COLOURS[0]
    image[:, 40:] = COLOURS[1]
    mask = np.zeros((h, w), bool)
    mask[10:30, 20:60] = True  # half in each piece
    polygon = [np.array([[20.0, 10.0], [60.0, 10.0], [60.0, 30.0], [20.0, 30.0]])]
    sample = Sample(
        image=image,
        instances=Instances(
            labels=[1, 2],
            boxes=[[20, 10, 60, 30]] * 2,
            polygons=[polygon, None],
            masks=[None, rle.encode(mask)],
        ),
    )
    out = apply_warp(sample, warp, fill=7)
    assert (out.image[:, :20] == COLOURS[0]).all()
    assert (out.image[:, 20:40] == 7).all()  # no piece reaches here
    assert (out.image[:, 40:] == COLOURS[1]).all()
    np.testing.assert_allclose(
        Resampler(warp).inverse_area_scale((0, 0, 80, 1))[0], [2.0] * 20 + [0.0] * 20 + [1.0] * 40
    )
    np.testing.assert_allclose(out.instances.boxes, [[10, 10, 60, 30]] * 2)
    # the shrunk half covers half the output area but stands for its whole input area
    np.testing.assert_allclose(out.instances.visibility, [1.0, 1.0])
    assert polygon_area(out.instances.polygons[0]) == pytest.approx(10 * 20 + 20 * 20)


def test_input_outside_every_piece_is_lost():
    w, h = 60, 40
    warp = piecewise_warp([Piece((0, 0, 30, 40), translation(30, 0))], (w, h))
    polygon = [np.array([[20.0, 10.0], [40.0, 10.0], [40.0, 30.0], [20.0, 30.0]])]
    sample = Sample(
        image=np.zeros((h, w, 3), np.uint8),
        instances=Instances(
            labels=[1],
            boxes=[[20, 10, 40, 30]],
            polygons=[polygon],
            keypoints=np.array([[[25.0, 15.0, 2], [35.0, 15.0, 2]]]),
        ),
    )
    out = apply_warp(sample, warp)
    assert out.instances.visibility[0] == pytest.approx(0.5)
    np.testing.assert_allclose(out.instances.boxes[0], [50, 10, 60, 30])
    np.testing.assert_allclose(out.instances.keypoints[0], [[55, 15, 2], [0, 0, 0]])
    assert np.isnan(map_points(np.array([[35.0, 15.0]]), warp)).all()


def test_fast_copy_equals_remap():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    warp = shuffle_quadrants(40, 30, [2, 0, 3, 1])
    fast = Resampler(warp).image(image, interpolation=cv2.INTER_LINEAR)
    maps = (warp.map_x - np.float32(0.5), warp.map_y - np.float32(0.5))
    slow = cv2.remap(image, *maps, cv2.INTER_LINEAR)
    assert np.array_equal(fast, slow)


def test_point_map_pickles_and_mixed_orientation_is_refused():
    warp = shuffle_quadrants(40, 30, [1, 0, 3, 2])
    clone = pickle.loads(pickle.dumps(warp.point_map))
    pts = np.array([[3.0, 4.0], [39.0, 29.0]])
    np.testing.assert_allclose(clone(pts), warp.point_map(pts))
    mirror = np.array([[-1.0, 0.0, 40.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    with pytest.raises(ValueError):
        piecewise_warp([Piece((0, 0, 20, 30), mirror), Piece((20, 0, 40, 30), np.eye(3))], (40, 30))
    with pytest.raises(ValueError):
        Piece((0, 0, 1, 1), [[1, 0, 0], [0, 1, 0], [0.1, 0, 1]])
