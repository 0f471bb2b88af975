"""Bbox-only ops: the content of each box moves, and the labels inside it move with it.

The painted scene of ``alignment_checks`` (a two-part polygon, an RLE mask, a
box-only instance and keypoint dots, each in its own colour) is warped
inside every box; then the labels are read back against the pixels with the
same checker as the whole-image warps.
"""

from __future__ import annotations

import alignment_checks as alignment
import numpy as np
import pytest
from contract_samples import label_snapshot
from label_raster import iou, rasterise

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.occlusion import POLYGON_HOLES
from augcli.geometry.warp import MatrixWarp
from augcli.transforms.policies.boxes import BBoxCutoutStep, BoxStep, LocalCutout
from augcli.transforms.policies.region import region_of
from augcli.transforms.policies.steps import PixelStep, PolicyOp, WarpStep

IDENTITY = MatrixWarp(np.eye(3), (alignment.W, alignment.H))
ALL_ROWS = (0, 1, 2, 3)


def inside_every_box(inner, sample=None, rows=ALL_ROWS) -> Sample:
    sample = sample or alignment.scene()
    step = BoxStep("Inside", rows, (inner,) * len(rows))
    return PolicyOp(steps=(step,), fill=0).apply(sample)


@pytest.mark.parametrize(
    "inner",
    [
        WarpStep("Rotate", 25.0),
        WarpStep("Rotate", -30.0),
        WarpStep("ShearX", 0.3),
        WarpStep("ShearY", -0.2),
        WarpStep("TranslateX", 9.0),
        WarpStep("TranslateY", -7.0),
    ],
    ids=lambda s: f"{s.op}{s.value:g}",
)
def test_labels_follow_the_content_warped_inside_their_boxes(inner):
    # the keypoint instance is warped in the next test: strong warps push dots across
    # its window's edge, where a dot is cut while its point leaves (and is unlabelled)
    before = alignment.scene()
    out = inside_every_box(inner, before, rows=(0, 1, 2))
    checker = alignment.Checker()
    checker.check(alignment.Run(None, IDENTITY, out))
    checker.assert_quality(grid=False)
    # the box-only instance and the keypoint instance keep their boxes
    np.testing.assert_array_equal(out.instances.boxes[2:], before.instances.boxes[2:])
    assert not np.array_equal(out.image, before.image)


@pytest.mark.parametrize(
    "inner", [WarpStep("Rotate", 12.0), WarpStep("ShearX", -0.15), WarpStep("TranslateY", 4.0)]
)
def test_keypoints_follow_their_dots_inside_their_box(inner):
    before = alignment.scene()
    out = inside_every_box(inner, before, rows=(3,))
    checker = alignment.Checker()
    checker.check(alignment.Run(None, IDENTITY, out))
    assert len(checker.keypoint_errors) == 3
    assert np.mean(checker.keypoint_errors) <= alignment.KEYPOINT_ERROR_PX
    assert not np.allclose(out.instances.keypoints[3], before.instances.keypoints[3])


def test_content_outside_the_boxes_is_untouched():
    before = alignment.scene()
    out = inside_every_box(WarpStep("Rotate", 20.0), before)
    outside = np.ones((alignment.H, alignment.W), bool)
    for box in before.instances.boxes:
        x0, y0, x1, y1 = region_of(box, alignment.W, alignment.H)
        outside[y0:y1, x0:x1] = False
    assert np.array_equal(out.image[outside], before.image[outside])


def test_flip_inside_a_box_mirrors_its_keypoints_and_swaps_left_and_right():
    before = alignment.scene()
    out = inside_every_box(WarpStep("FlipX"), before, rows=(3,))
    x0, _, x1, _ = region_of(before.instances.boxes[3], alignment.W, alignment.H)
    kps_before, kps_after = before.instances.keypoints[3], out.instances.keypoints[3]
    # left_hand and right_hand swap columns; each point is mirrored about the window's centre
    np.testing.assert_allclose(kps_after[0, 0], x0 + x1 - kps_before[1, 0])
    np.testing.assert_allclose(kps_after[1, 0], x0 + x1 - kps_before[0, 0])
    np.testing.assert_allclose(kps_after[2, 0], x0 + x1 - kps_before[2, 0])
    index = alignment.colour_masks(out.image)
    for k, colour in ((0, alignment.MAGENTA), (1, alignment.YELLOW)):
        ys, xs = np.nonzero(index == alignment.palette_index(colour))
        assert np.hypot(xs.mean() + 0.5 - kps_after[k, 0], ys.mean() + 0.5 - kps_after[k, 1]) < 0.5


def test_content_leaving_its_box_is_cut_and_visibility_drops():
    before = alignment.scene()
    out = inside_every_box(WarpStep("TranslateX", 30.0), before, rows=(0,))
    kept = out.instances.visibility[0]
    assert 0.2 < kept < 0.9
    pixels = alignment.colour_masks(out.image) == alignment.palette_index(alignment.RED)
    assert iou(rasterise(out.instances.polygons[0], alignment.H, alignment.W), pixels) > 0.99
    x0, y0, x1, y1 = region_of(before.instances.boxes[0], alignment.W, alignment.H)
    assert out.instances.boxes[0][2] <= x1 + 1e-9  # the polygon stays in its window


def test_a_shape_pushed_out_of_its_box_entirely_is_dropped_and_counted():
    out = inside_every_box(WarpStep("TranslateY", 200.0), rows=(0,))
    assert 1 not in out.instances.labels
    assert out.meta["dropped"] == {"outside": 1}


def overlapping_scene(mode: str) -> Sample:
    """A box-only instance whose box cuts through a polygon instance."""
    sample = alignment.scene()
    inst = sample.instances
    crossing = np.array([40.0, 20.0, 90.0, 60.0])  # cuts the polygon's first ring
    instances = Instances(
        labels=[*inst.labels, 5],
        boxes=[*inst.boxes, crossing],
        polygons=[*inst.polygons, None],
        masks=[*inst.masks, None],
        keypoints=np.concatenate([inst.keypoints, np.zeros((1, 3, 3))]),
        kp_count=np.array([0, 0, 0, 3, 0]),
    )
    return sample.replace(instances=instances, meta={**sample.meta, POLYGON_HOLES: mode})


def test_a_polygon_crossing_a_warped_box_becomes_a_mask_when_the_writer_stores_masks():
    out = inside_every_box(WarpStep("Rotate", 30.0), overlapping_scene("rle"), rows=(4,))
    row = list(out.instances.labels).index(1)
    assert out.instances.polygons[row] is None and out.instances.masks[row] is not None
    red = alignment.colour_masks(out.image) == alignment.palette_index(alignment.RED)
    assert iou(rle.decode(out.instances.masks[row]), red) > 0.99
    assert not out.meta.get("dropped")


def test_a_polygon_crossing_a_warped_box_is_dropped_and_counted_otherwise():
    out = inside_every_box(WarpStep("Rotate", 30.0), overlapping_scene("keep"), rows=(4,))
    assert 1 not in out.instances.labels
    assert out.meta["dropped"] == {"inside_box_cut": 1}


def test_pixel_and_cutout_ops_inside_boxes_change_only_the_windows():
    before = alignment.scene()
    for inner in (PixelStep("Invert"), LocalCutout(0.5, 0.5, 6)):
        out = inside_every_box(inner, before)
        changed = (out.image != before.image).any(axis=2)
        for box in before.instances.boxes:
            x0, y0, x1, y1 = region_of(box, alignment.W, alignment.H)
            changed[y0:y1, x0:x1] = False
        assert not changed.any()
        assert label_snapshot(out) == label_snapshot(before)


def test_local_cutout_is_a_clipped_square_centred_in_the_window():
    assert LocalCutout(0.5, 0.5, 4).rect_in(20, 10) == (6, 1, 14, 9)
    assert LocalCutout(0.0, 0.99, 4).rect_in(20, 10) == (0, 5, 4, 10)


def test_bbox_cutout_fills_a_fraction_of_one_box():
    before = alignment.scene()
    out = PolicyOp(steps=(BBoxCutoutStep(choice=0.6, u=0.5, v=0.5, pad_fraction=0.5),), fill=0).apply(before)
    changed = (out.image != before.image).any(axis=2)
    ys, xs = np.nonzero(changed)
    x0, y0, x1, y1 = region_of(before.instances.boxes[2], alignment.W, alignment.H)  # int(0.6 * 4) = 2
    assert xs.min() >= x0 and xs.max() < x1 and ys.min() >= y0 and ys.max() < y1
    assert xs.max() - xs.min() + 1 == 2 * int(0.5 * (x1 - x0) / 2)
    np.testing.assert_array_equal(out.instances.boxes, before.instances.boxes)


def test_extra_box_and_point_sets_inside_a_warped_box_move_with_it():
    before = alignment.scene()
    inst = before.instances
    face = [None, None, np.array([110.0, 80.0, 120.0, 90.0]), None]
    points = [None, None, np.array([[112.0, 84.0, 2.0], [200.0, 5.0, 2.0]]), None]
    sample = before.replace(
        instances=inst.replace(box_sets={"face_box": face}, point_sets={"face_kpts": points})
    )
    out = inside_every_box(WarpStep("TranslateX", 5.0), sample, rows=(2,))
    np.testing.assert_allclose(out.instances.box_sets["face_box"][2], [115.0, 80.0, 125.0, 90.0])
    moved = out.instances.point_sets["face_kpts"][2]
    np.testing.assert_allclose(moved[0], [117.0, 84.0, 2.0])  # inside the box: moved
    np.testing.assert_allclose(moved[1], [200.0, 5.0, 2.0])  # outside it: untouched
