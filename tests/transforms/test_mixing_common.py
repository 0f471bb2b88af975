"""Label merging and moving shared by the multi-image transforms: every column follows."""

from __future__ import annotations

import numpy as np

from augcli.core.sample import Instances
from augcli.geometry import rle
from augcli.transforms.mixing._common import concat_instances, shift_instances


def wholebody(n: int = 1) -> Instances:
    points = np.array([[3.0, 4.0, 2.0], [0.0, 0.0, 0.0]])
    return Instances(
        labels=[1] * n,
        boxes=[[2, 2, 8, 8]] * n,
        keypoints=np.tile([[[5.0, 5.0, 2.0], [0.0, 0.0, 0.0]]], (n, 1, 1)),
        extra={"ann": ["x"] * n},
        box_sets={"face_box": [np.array([2.0, 2.0, 4.0, 4.0])] * n},
        point_sets={"face_kpts": [points] * n},
    )


def test_shift_moves_every_labelled_coordinate_and_nothing_else():
    mask = np.zeros((10, 10), bool)
    mask[2:5, 3:7] = True
    inst = wholebody().replace(masks=[rle.encode(mask)])
    moved = shift_instances(inst, 10, 5, 40, 30)
    np.testing.assert_array_equal(moved.boxes[0], [12, 7, 18, 13])
    np.testing.assert_array_equal(moved.keypoints[0], [[15, 10, 2], [0, 0, 0]])
    np.testing.assert_array_equal(moved.box_sets["face_box"][0], [12, 7, 14, 9])
    np.testing.assert_array_equal(moved.point_sets["face_kpts"][0], [[13, 9, 2], [0, 0, 0]])
    placed = rle.decode(moved.masks[0])
    assert placed.shape == (30, 40) and placed[7:10, 13:17].all() and placed.sum() == mask.sum()


def test_concat_fills_columns_a_part_lacks():
    plain = Instances(labels=[2, 3], boxes=[[0, 0, 1, 1]] * 2)
    joined = concat_instances([wholebody(), plain])
    assert joined.labels.tolist() == [1, 2, 3]
    assert joined.extra["ann"] == ["x", None, None]
    assert joined.box_sets["face_box"][1:] == [None, None]
    assert joined.point_sets["face_kpts"][1:] == [None, None]
    assert joined.keypoints.shape == (3, 2, 3) and not joined.keypoints[1:].any()
    assert joined.kp_count.tolist() == [2, 0, 0]
