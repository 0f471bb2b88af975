"""Dropout labels: visibility, occluded keypoints, masks losing pixels, fully covered drops."""
from __future__ import annotations

import numpy as np
import pytest

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.occlusion import apply_occlusion
from augcli.geometry.polygons import polygon_to_mask

from geometry_scenes import painted_scene

H, W = 40, 50


def three_instances():
    """Polygon, mask and box-only instances over the same 20x10 block at x 10..30, y 10..20."""
    block = np.zeros((H, W), dtype=bool)
    block[10:20, 10:30] = True
    sq = np.array([[10.0, 10.0], [30.0, 10.0], [30.0, 20.0], [10.0, 20.0]])
    kps = np.array([[[12.5, 12.5, 2], [27.5, 17.5, 2], [0, 0, 0]]] * 3)
    inst = Instances(labels=[1, 2, 3], boxes=[[10, 10, 30, 20]] * 3,
                     polygons=[[sq], None, None], masks=[None, rle.encode(block), None],
                     keypoints=kps, extra={"id": ["a", "b", "c"]})
    return Sample(np.zeros((H, W, 3), np.uint8), inst, meta={"width": W})


def test_half_covered_instances_lose_half_their_visibility():
    s = three_instances()
    covered = np.zeros((H, W), dtype=bool)
    covered[:, :20] = True                                   # the left half of the block
    out = apply_occlusion(s, covered)
    inst = out.instances
    assert inst.visibility == pytest.approx([0.5, 0.5, 0.5])
    # keypoint on a covered pixel: occluded (v = 1), kept; the other stays visible
    assert inst.keypoints[:, 0].tolist() == [[12.5, 12.5, 1]] * 3
    assert inst.keypoints[:, 1].tolist() == [[27.5, 17.5, 2]] * 3
    assert inst.keypoints[:, 2].tolist() == [[0, 0, 0]] * 3  # unlabeled stays unlabeled
    # the mask loses exactly the covered pixels; its box shrinks to what is left
    assert np.array_equal(rle.decode(inst.masks[1]), rle.decode(s.instances.masks[1]) & ~covered)
    assert inst.boxes.tolist() == [[10, 10, 30, 20], [20, 10, 30, 20], [10, 10, 30, 20]]
    # polygons stay as they were
    assert np.array_equal(inst.polygons[0][0], s.instances.polygons[0][0])
    assert inst.extra == s.instances.extra and "dropped" not in out.meta


def test_fully_covered_instances_are_dropped_as_occluded():
    s = three_instances()
    covered = np.zeros((H, W), dtype=bool)
    covered[5:25, 5:35] = True
    out = apply_occlusion(s, covered)
    assert len(out.instances) == 0
    assert out.meta["dropped"] == {"occluded": 3} and "dropped" not in s.meta


def test_covered_fraction_follows_the_polygon_shape_not_its_box():
    s = painted_scene()
    poly = s.instances.polygons[0]
    shape = polygon_to_mask(poly, s.height, s.width)
    covered = np.zeros_like(shape)
    covered[:, :60] = True
    covered_share = np.count_nonzero(shape & covered) / np.count_nonzero(shape)
    out = apply_occlusion(s, covered)
    assert out.instances.visibility[0] == pytest.approx(1 - covered_share)
    box_share = 35 / 70                                   # the box x 25..95 is half covered
    assert abs(covered_share - box_share) > 0.01
    # the ellipse mask (x 36..104) is partly covered, the right-hand instances not at all
    mask = rle.decode(s.instances.masks[2])
    assert out.instances.visibility[2] == pytest.approx(1 - (mask & covered).sum() / mask.sum())
    assert out.instances.visibility[[1, 3]].tolist() == [1.0, 1.0]
    assert out.instances.masks[3] is None


def test_nothing_covered_changes_nothing():
    s = three_instances()
    assert apply_occlusion(s, np.zeros((H, W), dtype=bool)) is s
    covered = np.zeros((H, W), dtype=bool)
    covered[30:, 40:] = True                                 # away from every instance
    out = apply_occlusion(s, covered)
    assert out.instances.visibility.tolist() == [1, 1, 1]
    assert out.instances.masks[1] is s.instances.masks[1]


def test_thin_box_without_pixel_centres_uses_the_pixels_it_touches():
    s = Sample(np.zeros((H, W), np.uint8),
               Instances(labels=[1], boxes=[[10.1, 10.1, 10.4, 30.0]]))
    covered = np.zeros((H, W), dtype=bool)
    covered[10:20, 10] = True
    assert apply_occlusion(s, covered).instances.visibility[0] == pytest.approx(0.5)


def test_covered_map_must_match_the_image():
    with pytest.raises(ValueError, match="does not match"):
        apply_occlusion(three_instances(), np.zeros((H, W + 1), dtype=bool))
