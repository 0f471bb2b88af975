"""Dropout labels: visibility, occluded keypoints, masks losing pixels, fully covered drops."""

from __future__ import annotations

import numpy as np
import pytest
from geometry_scenes import painted_scene

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.occlusion import apply_occlusion
from augcli.geometry.polygons import polygon_to_mask

H, W = 40, 50


def three_instances():
    """Polygon, mask and box-only instances over the same 20x10 block at x 10..30, y 10..20."""
    block = np.zeros((H, W), dtype=bool)
    block[10:20, 10:30] = True
    sq = np.array([[10.0, 10.0], [30.0, 10.0], [30.0, 20.0], [10.0, 20.0]])
    kps = np.array([[[12.5, 12.5, 2], [27.5, 17.5, 2], [0, 0, 0]]] * 3)
    inst = Instances(
        labels=[1, 2, 3],
        boxes=[[10, 10, 30, 20]] * 3,
        polygons=[[sq], None, None],
        masks=[None, rle.encode(block), None],
        keypoints=kps,
        extra={"id": ["a", "b", "c"]},
    )
    return Sample(np.zeros((H, W, 3), np.uint8), inst, meta={"width": W})


def test_half_covered_instances_lose_half_their_visibility():
    s = three_instances()
    covered = np.zeros((H, W), dtype=bool)
    covered[:, :20] = True  # the left half of the block
    out = apply_occlusion(s, covered)
    inst = out.instances
    assert inst.visibility == pytest.approx([0.5, 0.5, 0.5])
    # keypoint on a covered pixel: occluded (v = 1), kept; the other stays visible
    assert inst.keypoints[:, 0].tolist() == [[12.5, 12.5, 1]] * 3
    assert inst.keypoints[:, 1].tolist() == [[27.5, 17.5, 2]] * 3
    assert inst.keypoints[:, 2].tolist() == [[0, 0, 0]] * 3  # unlabeled stays unlabeled
    # the mask loses exactly the covered pixels; its box shrinks to what is left
    assert np.array_equal(rle.decode(inst.masks[1]), rle.decode(s.instances.masks[1]) & ~covered)
    # the box-only instance's box shrinks past the covered columns; the polygon's box holds it
    assert inst.boxes.tolist() == [[10, 10, 30, 20], [20, 10, 30, 20], [20, 10, 30, 20]]
    # polygons stay as they were (no polygon_holes flag: 'keep')
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
    box_share = 35 / 70  # the box x 25..95 is half covered
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
    covered[30:, 40:] = True  # away from every instance
    out = apply_occlusion(s, covered)
    assert out.instances.visibility.tolist() == [1, 1, 1]
    assert out.instances.masks[1] is s.instances.masks[1]


def test_thin_box_without_pixel_centres_uses_the_pixels_it_touches():
    s = Sample(np.zeros((H, W), np.uint8), Instances(labels=[1], boxes=[[10.1, 10.1, 10.4, 30.0]]))
    covered = np.zeros((H, W), dtype=bool)
    covered[10:20, 10] = True
    assert apply_occlusion(s, covered).instances.visibility[0] == pytest.approx(0.5)


def test_covered_map_must_match_the_image():
    with pytest.raises(ValueError, match="does not match"):
        apply_occlusion(three_instances(), np.zeros((H, W + 1), dtype=bool))


# -- upgraded semantics: polygon holes, min_visibility, multiplying visibility, box shrinking -----

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from augcli.core.policy import LabelPolicy  # noqa: E402
from augcli.geometry.occlusion import POLYGON_HOLES, instance_region  # noqa: E402


def with_holes_mode(sample: Sample, mode: str) -> Sample:
    return sample.replace(meta={**sample.meta, POLYGON_HOLES: mode})


def test_polygon_cut_by_a_hole_becomes_an_rle_mask_without_the_covered_pixels():
    s = with_holes_mode(painted_scene(), "rle")
    poly = s.instances.polygons[0]
    shape = polygon_to_mask(poly, s.height, s.width)
    covered = np.zeros_like(shape)
    covered[40:60, 20:70] = True  # bites into polygon 0 only
    out = apply_occlusion(s, covered)
    inst = out.instances
    assert inst.polygons[0] is None and inst.masks[0] is not None
    remaining = rle.decode(inst.masks[0])
    assert np.array_equal(remaining, shape & ~covered)
    assert rle.area(inst.masks[0]) == np.count_nonzero(shape) - np.count_nonzero(shape & covered)
    assert inst.visibility[0] == pytest.approx(rle.area(inst.masks[0]) / np.count_nonzero(shape))
    ys, xs = np.nonzero(remaining)
    assert inst.boxes[0].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    # untouched polygons stay polygons, byte for byte
    assert inst.polygons[1] is s.instances.polygons[1] and inst.masks[1] is None


def test_keep_mode_keeps_the_polygon_and_only_lowers_visibility():
    s = painted_scene()
    covered = np.zeros((s.height, s.width), dtype=bool)
    covered[40:60, 20:70] = True
    for sample in (s, with_holes_mode(s, "keep")):
        out = apply_occlusion(sample, covered)
        assert out.instances.polygons[0] is s.instances.polygons[0]
        assert out.instances.masks[0] is None
        assert out.instances.boxes[0].tolist() == s.instances.boxes[0].tolist()
        assert out.instances.visibility[0] < 1


def test_unknown_polygon_holes_mode_is_refused():
    covered = np.ones((H, W), dtype=bool)
    with pytest.raises(ValueError, match="polygon_holes"):
        apply_occlusion(with_holes_mode(three_instances(), "maybe"), covered)


def test_min_visibility_drops_the_instance_with_every_column():
    s = three_instances()
    covered = np.zeros((H, W), dtype=bool)
    covered[:, :20] = True  # half of each instance
    extra_mask = np.zeros((H, W), dtype=bool)
    extra_mask[30:35, 30:45] = True  # a fourth instance, untouched
    inst = s.instances
    four = Instances(
        labels=[1, 2, 3, 4],
        boxes=[*inst.boxes.tolist(), [30, 30, 45, 35]],
        polygons=[*inst.polygons, None],
        masks=[*inst.masks, rle.encode(extra_mask)],
        keypoints=np.concatenate([inst.keypoints, [[[31.5, 31.5, 2], [0, 0, 0], [0, 0, 0]]]]),
        extra={"id": ["a", "b", "c", "d"]},
    )
    out = apply_occlusion(s.replace(instances=four), covered, LabelPolicy(min_visibility=0.6))
    assert out.instances.extra == {"id": ["d"]}
    assert out.instances.keypoints.tolist() == [[[31.5, 31.5, 2], [0, 0, 0], [0, 0, 0]]]
    assert out.meta["dropped"] == {"min_visibility": 3}
    kept = apply_occlusion(s.replace(instances=four), covered, LabelPolicy(min_visibility=0.5))
    assert len(kept.instances) == 4


def test_visibility_multiplies_over_successive_occlusions():
    s = three_instances()
    first = np.zeros((H, W), dtype=bool)
    first[:, 10:15] = True  # 1/4 of the block
    second = np.zeros((H, W), dtype=bool)
    second[:, 25:30] = True  # another 1/4
    once = apply_occlusion(s, first)
    twice = apply_occlusion(once, second)
    # the mask instance really lost half its pixels, and its visibility says so
    assert twice.instances.visibility[1] == pytest.approx(0.5)
    assert rle.area(twice.instances.masks[1]) == 100
    # the box-only instance multiplies too (its box shrank to x 15..30, then loses 5 of 15 columns)
    assert twice.instances.visibility[2] == pytest.approx(0.75 * (10 / 15))


def test_box_only_instance_shrinks_only_past_fully_covered_side_rows():
    s = Sample(np.zeros((H, W), np.uint8), Instances(labels=[1, 1], boxes=[[10.3, 10.6, 30.2, 20.4]] * 2))
    middle = np.zeros((H, W), dtype=bool)
    middle[12:18, 15:25] = True  # a hole inside: nothing to shrink
    assert apply_occlusion(s, middle).instances.boxes[0].tolist() == [10.3, 10.6, 30.2, 20.4]
    top = np.zeros((H, W), dtype=bool)
    top[:14, :] = True  # rows 11..13 of the box are gone
    out = apply_occlusion(s, top).instances
    assert out.boxes[0].tolist() == [10.3, 14.0, 30.2, 20.4]
    assert out.visibility[0] == pytest.approx(1 - 3 / 9)  # centres of rows 11..19 lie in the box


def test_instance_region_rasterises_polygon_mask_or_box():
    s = three_instances()
    block = np.zeros((H, W), dtype=bool)
    block[10:20, 10:30] = True
    for i in range(3):
        assert np.array_equal(instance_region(s.instances, i, H, W), block)


@given(
    holes=st.lists(
        st.tuples(st.integers(0, W - 1), st.integers(0, H - 1), st.integers(1, 25), st.integers(1, 25)),
        min_size=1,
        max_size=4,
    ),
    mode=st.sampled_from(["rle", "keep"]),
)
def test_labels_follow_any_covered_pixels(holes, mode):
    s = with_holes_mode(three_instances(), mode)
    kps = np.array([[[12.5, 12.5, 2], [27.5, 17.5, 1], [21.2, 14.9, 2]]] * 3)
    s = s.replace(instances=s.instances.replace(keypoints=kps))
    covered = np.zeros((H, W), dtype=bool)
    for x, y, w, h in holes:
        covered[y : y + h, x : x + w] = True
    block = np.zeros((H, W), dtype=bool)
    block[10:20, 10:30] = True
    hit = np.count_nonzero(block & covered)
    out = apply_occlusion(s, covered)
    if hit == block.sum():
        assert len(out.instances) == 0 and out.meta["dropped"] == {"occluded": 3}
        return
    inst = out.instances
    assert inst.visibility == pytest.approx([1 - hit / 200] * 3)
    # a keypoint becomes v=1 exactly when its pixel is covered; v=1 stays 1; none is deleted
    for j, (x, y, v) in enumerate(kps[0]):
        expected = 1 if covered[int(y), int(x)] else v
        assert inst.keypoints[:, j, 2].tolist() == [expected] * 3
        assert inst.keypoints[:, j, :2].tolist() == [[x, y]] * 3
    assert np.array_equal(rle.decode(inst.masks[1]), block & ~covered)
    if mode == "rle" and hit:
        assert inst.polygons[0] is None
        assert np.array_equal(rle.decode(inst.masks[0]), block & ~covered)
    else:
        assert inst.polygons[0] is s.instances.polygons[0]
