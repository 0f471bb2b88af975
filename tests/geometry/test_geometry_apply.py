"""apply_warp: one warp moves every target, and pixels and labels stay in agreement."""

from __future__ import annotations

import copy

import cv2
import numpy as np
import pytest
from geometry_scenes import (
    COLOURS,
    instance_pixels,
    iou,
    label_pixels,
    painted_scene,
    random_scene,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from augcli.core.errors import AnnotationError
from augcli.core.policy import LabelPolicy
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.apply import apply_warp, filter_instances, instance_areas
from augcli.geometry.polygons import polygon_area, polygon_bounds
from augcli.geometry.warp import GridWarp, MatrixWarp, rotation_about, scaling, translation


def hflip(w, h):
    return MatrixWarp([[-1, 0, w], [0, 1, 0], [0, 0, 1]], (w, h))


def vflip(w, h):
    return MatrixWarp([[1, 0, 0], [0, -1, h], [0, 0, 1]], (w, h))


def transpose(w, h):
    return MatrixWarp([[0, 1, 0], [1, 0, 0], [0, 0, 1]], (h, w))


def rot90(w, h):
    return MatrixWarp([[0, 1, 0], [-1, 0, w], [0, 0, 1]], (h, w))


def test_horizontal_flip_maps_x_to_w_minus_x_on_every_target():
    s = painted_scene()
    w, h = s.width, s.height
    out = apply_warp(s, hflip(w, h))
    assert np.array_equal(out.image, s.image[:, ::-1])
    assert np.array_equal(out.semantic, s.semantic[:, ::-1])
    for before, after in zip(s.instances.polygons[:2], out.instances.polygons[:2]):
        for r0, r1 in zip(before, after):
            assert np.allclose(r1, np.stack([w - r0[:, 0], r0[:, 1]], 1))
    assert np.array_equal(rle.decode(out.instances.masks[2]), rle.decode(s.instances.masks[2])[:, ::-1])
    b = s.instances.boxes
    assert np.allclose(out.instances.boxes, np.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]], 1))
    kp, got = s.instances.keypoints, out.instances.keypoints
    mirrored = np.where(kp[:, :, 2:] > 0, np.stack([w - kp[:, :, 0], kp[:, :, 1], kp[:, :, 2]], 2), 0)
    assert np.allclose(got[0], mirrored[0][[1, 0, 2]])  # label 1 swaps left/right
    assert np.allclose(got[2], mirrored[2])  # label 3 has no flip pairs
    assert np.array_equal(out.instances.visibility, np.ones(4))
    assert out.instances.crowd.tolist() == s.instances.crowd.tolist()
    assert out.instances.extra == s.instances.extra
    assert "dropped" not in out.meta


def assert_same_targets(a: Sample, b: Sample) -> None:
    assert np.array_equal(a.image, b.image) and np.array_equal(a.semantic, b.semantic)
    ia, ib = a.instances, b.instances
    assert len(ia) == len(ib) and ia.labels.tolist() == ib.labels.tolist()
    assert np.allclose(ia.boxes, ib.boxes, atol=1e-9)
    assert np.allclose(ia.keypoints, ib.keypoints, atol=1e-9)
    assert ia.extra == ib.extra and ia.crowd.tolist() == ib.crowd.tolist()
    assert np.allclose(ia.visibility, ib.visibility)
    for pa, pb in zip(ia.polygons, ib.polygons):
        assert (pa is None) == (pb is None)
        for ra, rb in zip(pa or [], pb or []):
            assert np.allclose(ra, rb, atol=1e-9)
    for ma, mb in zip(ia.masks, ib.masks):
        assert (ma is None) == (mb is None)
        if ma is not None:
            assert np.array_equal(rle.decode(ma), rle.decode(mb))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from([hflip, vflip, transpose]))
def test_flip_twice_is_identity_on_every_target(seed, flip):
    s = random_scene(seed)
    once = apply_warp(s, flip(s.width, s.height))
    twice = apply_warp(once, flip(once.width, once.height))
    assert_same_targets(twice, s)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31))
def test_four_quarter_turns_are_identity(seed):
    s = random_scene(seed)
    out = s
    for _ in range(4):
        out = apply_warp(out, rot90(out.width, out.height))
    assert_same_targets(out, s)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**31),
    st.floats(-180, 180),
    st.floats(0.6, 1.6),
    st.floats(-0.4, 0.4),
    st.floats(-20, 20),
    st.floats(-20, 20),
    st.sampled_from(["tight", "corners"]),
)
def test_boxes_contain_their_shapes_after_random_affine_warps(seed, angle, scale, shear, tx, ty, mode):
    s = random_scene(seed)
    w, h = s.width, s.height
    m = (
        translation(tx, ty)
        @ rotation_about(angle, w / 2, h / 2)
        @ np.array([[scale, shear, 0], [0, scale, 0], [0, 0, 1.0]])
    )
    out = apply_warp(s, MatrixWarp(m, (w, h)), policy=LabelPolicy(box=mode))
    inst = out.instances
    for i in range(len(inst)):
        box = inst.boxes[i]
        assert 0 <= box[0] <= box[2] <= w and 0 <= box[1] <= box[3] <= h
        if inst.polygons[i]:
            tight, slack = polygon_bounds(inst.polygons[i]), 1e-6
        elif inst.masks[i] is not None:
            # nearest resampling may put a mask pixel up to one pixel past the corner box
            tight, slack = rle.bounds(inst.masks[i]), (1e-6 if mode == "tight" else 1.0)
        else:
            continue
        assert np.all(box[:2] <= tight[:2] + slack) and np.all(box[2:] >= tight[2:] - slack)
        if mode == "tight":
            assert np.allclose(box, tight)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31), st.data())
def test_joint_indexing_keeps_columns_aligned(seed, data):
    s = random_scene(seed, max_instances=8)
    inst = s.instances
    n = len(inst)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    sub = inst[keep]
    kept = np.flatnonzero(keep)
    assert sub.extra["tag"] == kept.tolist()
    for row, i in enumerate(kept):
        assert sub.labels[row] == inst.labels[i] and np.array_equal(sub.boxes[row], inst.boxes[i])
        assert sub.polygons[row] is inst.polygons[i] and sub.masks[row] is inst.masks[i]
        assert np.array_equal(sub.keypoints[row], inst.keypoints[i])
        assert sub.crowd[row] == inst.crowd[i] and sub.visibility[row] == inst.visibility[i]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31), st.floats(-60, 60), st.floats(-60, 60))
def test_warp_drops_whole_rows_and_keeps_the_rest_aligned(seed, tx, ty):
    s = random_scene(seed, max_instances=8)
    out = apply_warp(s, MatrixWarp(translation(tx, ty), (s.width, s.height)))
    tags = out.instances.extra["tag"]
    dropped = len(s.instances) - len(tags)
    assert (out.meta.get("dropped") or {}).get("outside", 0) == dropped
    for row, tag in enumerate(tags):
        src = s.instances
        assert out.instances.labels[row] == src.labels[tag]
        assert out.instances.crowd[row] == src.crowd[tag]
        labeled = (src.keypoints[tag, :, 2] > 0) & (out.instances.keypoints[row, :, 2] > 0)
        assert np.allclose(
            out.instances.keypoints[row, labeled, :2], src.keypoints[tag, labeled, :2] + [tx, ty]
        )


def square_sample():
    """A 40x30 canvas with three 20x10 instances at the same place: polygon, mask, box only."""
    mask = np.zeros((30, 40), dtype=bool)
    mask[10:20, 0:20] = True
    sq = np.array([[0.0, 10.0], [20.0, 10.0], [20.0, 20.0], [0.0, 20.0]])
    inst = Instances(
        labels=[1, 2, 3],
        boxes=[[0, 10, 20, 20]] * 3,
        polygons=[[sq], None, None],
        masks=[None, rle.encode(mask), None],
        keypoints=np.array([[[5.0, 15.0, 2], [15.0, 15.0, 1], [0, 0, 0]]] * 3),
        visibility=np.array([1.0, 0.8, 1.0]),
    )
    return Sample(np.zeros((30, 40, 3), np.uint8), inst, meta={"dropped": {"outside": 2}})


def test_clipping_scales_visibility_by_the_part_left_on_the_canvas():
    s = square_sample()
    out = apply_warp(s, MatrixWarp(translation(-10, 0), (40, 30)))
    inst = out.instances
    assert np.allclose(inst.visibility, [0.5, 0.4, 0.5])
    assert np.allclose(inst.boxes, [[0, 10, 10, 20]] * 3)
    assert np.allclose(polygon_area(inst.polygons[0]), 100.0)
    assert rle.area(inst.masks[1]) == 100
    # the left keypoint left the canvas: (0, 0, 0); the occluded one keeps v = 1
    assert inst.keypoints[:, 0].tolist() == [[0, 0, 0]] * 3
    assert inst.keypoints[:, 1].tolist() == [[5.0, 15.0, 1.0]] * 3
    assert "dropped" not in out.meta or out.meta["dropped"] == {"outside": 2}


def test_instances_leaving_the_canvas_are_dropped_and_counted():
    s = square_sample()
    before = copy.deepcopy(s.meta)
    out = apply_warp(s, MatrixWarp(translation(25, 0), (40, 30)))
    assert len(out.instances) == 3
    gone = apply_warp(s, MatrixWarp(translation(-25, 0), (40, 30)))
    assert len(gone.instances) == 0
    assert gone.meta["dropped"] == {"outside": 5}
    assert s.meta == before  # the input's counter is untouched


def test_input_sample_is_never_modified():
    s = painted_scene()
    snapshot = copy.deepcopy(s)
    for warp in (hflip(s.width, s.height), MatrixWarp(rotation_about(30, 100, 80), (150, 120))):
        apply_warp(s, warp)
    assert_same_targets(s, snapshot)
    assert s.meta.keys() == snapshot.meta.keys()


def test_semantic_fill_uses_fill_mask_or_the_ignore_index():
    s = painted_scene()
    shift = MatrixWarp(translation(10, 0), (s.width, s.height))
    assert np.all(apply_warp(s, shift).semantic[:, :10] == 255)
    s.meta["ignore_index"] = 99
    assert np.all(apply_warp(s, shift).semantic[:, :10] == 99)
    assert np.all(apply_warp(s, shift, fill_mask=7).semantic[:, :10] == 7)
    assert np.array_equal(apply_warp(s, shift).semantic[:, 10:], s.semantic[:, :-10])


def test_rotation_does_not_swap_keypoints_and_meta_follows_the_canvas():
    s = painted_scene()
    warp = MatrixWarp(scaling(0.5, 0.5), (100, 80))
    out = apply_warp(s, warp)
    assert out.meta["width"] == 100 and out.meta["height"] == 80 and out.image.shape == (80, 100, 3)
    kp = s.instances.keypoints
    assert np.allclose(out.instances.keypoints[:, :, :2], np.where(kp[:, :, 2:] > 0, kp[:, :, :2] / 2, 0))


def test_empty_instances_still_warp_the_pixels():
    s = Sample(np.arange(12, dtype=np.uint8).reshape(3, 4), Instances.empty(num_keypoints=2))
    out = apply_warp(s, hflip(4, 3))
    assert np.array_equal(out.image, s.image[:, ::-1]) and len(out.instances) == 0


def test_grid_warps_mirror_keypoints_when_they_say_so_and_keep_polygons_lean():
    s = painted_scene()
    w, h = s.width, s.height
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    mirror = GridWarp((w - xs).astype(np.float32), ys.astype(np.float32), mirrors=True)
    out = apply_warp(s, mirror)
    assert np.array_equal(out.image, s.image[:, ::-1])
    flipped = apply_warp(s, hflip(w, h))
    assert np.allclose(out.instances.keypoints, flipped.instances.keypoints, atol=1e-2)
    assert np.allclose(out.instances.boxes, flipped.instances.boxes, atol=1e-2)
    # densified for the grid, then simplified back: straight edges need few vertices
    assert [len(r) for r in out.instances.polygons[1]] == [4, 3]


def test_masks_of_the_wrong_size_are_an_annotation_error():
    s = square_sample()
    s.instances.masks[1] = rle.encode(np.zeros((10, 10), dtype=bool))
    with pytest.raises(AnnotationError, match="mask of size"):
        apply_warp(s, hflip(40, 30))


@pytest.mark.parametrize("shape", [(30, 40), (30, 40, 1), (30, 40, 4)])
def test_any_channel_layout_keeps_its_shape(shape):
    s = square_sample()
    s.image = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    out = apply_warp(s, MatrixWarp(rotation_about(10, 20, 15), (40, 30)))
    assert out.image.shape == shape and len(out.instances) == 3


def elastic(w, h, amplitude=3.0):
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    return GridWarp(
        (xs + amplitude * np.sin(ys / 15.0)).astype(np.float32),
        (ys + amplitude * np.cos(xs / 19.0)).astype(np.float32),
    )


def perspective(w, h):
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[12, 6], [w - 5, 14], [w - 10, h - 3], [4, h - 15]])
    return MatrixWarp(cv2.getPerspectiveTransform(src, dst).astype(np.float64), (w, h))


@pytest.mark.parametrize(
    "make_warp",
    [
        lambda w, h: MatrixWarp(rotation_about(25.0, w / 2, h / 2) @ scaling(0.85, 0.85), (w, h)),
        lambda w, h: MatrixWarp(translation(-30.3, 10.2) @ scaling(1.4, 0.9), (w - 20, h)),
        perspective,
        elastic,
    ],
    ids=["rotate", "scale-crop", "perspective", "elastic"],
)
def test_painted_objects_and_their_labels_stay_together(make_warp):
    s = painted_scene()
    warp = make_warp(s.width, s.height)
    out = apply_warp(s, warp, interpolation=cv2.INTER_NEAREST)
    assert len(out.instances) == 4
    # polygons: painted once on the input grid and resampled once, so each edge may be off
    # by a pixel here and there; a mask is resampled exactly like the pixels
    assert iou(instance_pixels(out, 0), label_pixels(out, 0)) >= 0.97
    assert iou(instance_pixels(out, 1), label_pixels(out, 1)) >= 0.97
    assert iou(instance_pixels(out, 2), label_pixels(out, 2)) >= 0.995
    painted_box = instance_pixels(out, 3)
    rows, cols = np.nonzero(painted_box)
    x0, y0, x1, y1 = out.instances.boxes[3]
    assert abs(x0 - cols.min()) <= 1.0 and abs(x1 - cols.max() - 1) <= 1.0
    assert abs(y0 - rows.min()) <= 1.0 and abs(y1 - rows.max() - 1) <= 1.0
    for i, colour in ((0, COLOURS[0]), (2, COLOURS[2])):
        for x, y, v in out.instances.keypoints[i]:
            if v > 0:
                assert np.array_equal(out.image[int(y), int(x)], colour)
    if isinstance(warp, MatrixWarp):
        # visibility = the painted share left on the canvas, measured on a canvas big enough for all
        roomy = apply_warp(s, MatrixWarp(warp.matrix, (400, 300)), interpolation=cv2.INTER_NEAREST)
        for i in range(4):
            share = instance_pixels(out, i).sum() / instance_pixels(roomy, i).sum()
            assert out.instances.visibility[i] == pytest.approx(share, abs=0.02)


def test_mask_visibility_counts_input_area_kept_on_canvas():
    s = square_sample()
    # scale by 2 about the origin: the 20x10 mask becomes 40x20, all on the 40x40 canvas
    out = apply_warp(s, MatrixWarp(scaling(2, 2), (40, 40)))
    assert out.instances.visibility == pytest.approx([1.0, 0.8, 1.0])
    half = apply_warp(s, MatrixWarp(scaling(2, 2) @ translation(-10, 0), (40, 40)))
    assert half.instances.visibility == pytest.approx([0.5, 0.4, 0.5])


def test_filter_instances_by_visibility_then_area():
    s = square_sample()
    out = apply_warp(s, MatrixWarp(translation(-10, 0), (40, 30)))  # visibility .5 .4 .5
    kept = filter_instances(out, LabelPolicy(min_visibility=0.45, min_area=0))
    assert kept.instances.labels.tolist() == [1, 3]
    assert kept.meta["dropped"] == {"outside": 2, "min_visibility": 1}
    assert instance_areas(kept.instances, 30, 40).tolist() == [100.0, 100.0]
    small = filter_instances(kept, LabelPolicy(min_area=101))
    assert len(small.instances) == 0 and small.meta["dropped"]["min_area"] == 2
    assert filter_instances(s, LabelPolicy(min_visibility=0.0, min_area=1)) is s
