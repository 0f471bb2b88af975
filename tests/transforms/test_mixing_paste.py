"""CutMix and CopyPaste: pasted labels land on their pixels, covered labels lose what is covered."""

from __future__ import annotations

import numpy as np
import pytest
from mixing_scenes import (
    H,
    W,
    assert_aligned,
    assert_complete,
    colour_id,
    colour_index,
    fire,
    partner_draw,
    scene,
)

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.occlusion import POLYGON_HOLES, instance_region
from augcli.transforms.catalog import load_all

REGISTRY = load_all()
SEEDS = range(5)


def primary(holes: str = "rle") -> Sample:
    sample = scene("a")
    return sample.replace(meta={**sample.meta, POLYGON_HOLES: holes})


def regions_for(out: Sample, pasted: np.ndarray) -> list[np.ndarray]:
    """Partner instances show inside the pasted area, the image's own outside it."""
    return [pasted if label > 10 else ~pasted for label in out.instances.labels]


def cut_area(op) -> np.ndarray:
    x1, y1, x2, y2 = op.rect
    area = np.zeros((H, W), bool)
    area[y1:y2, x1:x2] = True
    return area


def footprint(op) -> np.ndarray:
    donor = op.partners[0]
    area = np.zeros((H, W), bool)
    for i in op.chosen:
        area |= instance_region(donor.instances, i, H, W)
    return area


@pytest.mark.parametrize("seed", SEEDS)
def test_cutmix_labels_follow_pixels_on_both_sides_of_the_cut(seed):
    cutmix = REGISTRY["CutMix"](num_areas=1, beta=0.5, min_visibility=0.02, interpolation=0, p=1.0)
    op, out = fire(cutmix, primary(), seed)
    area = cut_area(op)
    assert_aligned(out, regions_for(out, area), min_iou=0.98, slack=1.0, occluder=area)
    assert_complete(out, {"a": [~area], "b": [area]})
    assert out.instances.labels[out.instances.labels > 10].size or area.sum() < 0.3 * H * W
    index = colour_index(out.image)
    assert (out.semantic[area & (index == colour_id("b", 0))] == 11).all()


def test_cutmix_prefers_a_cut_that_overlaps_no_box():
    box = np.array([10.0, 10.0, 40.0, 40.0])
    sample = Sample(
        image=np.zeros((H, W, 3), np.uint8), instances=Instances(labels=[1], boxes=[box]), meta={"key": "one"}
    )

    def overlapping(num_areas: int) -> int:
        hits = 0
        for seed in range(20):
            op, _ = fire(REGISTRY["CutMix"](num_areas=num_areas, beta=50.0, p=1.0), sample, seed)
            x1, y1, x2, y2 = op.rect
            hits += int(min(box[2], x2) > max(box[0], x1) and min(box[3], y2) > max(box[1], y1))
        return hits

    one, many = overlapping(1), overlapping(12)
    assert one >= 4 and many <= 1, (one, many)  # a single candidate overlaps ~40% of the time


def test_cutmix_keeps_partner_instances_only_above_min_visibility():
    for seed in SEEDS:
        op, out = fire(REGISTRY["CutMix"](num_areas=1, min_visibility=0.6, p=1.0), primary(), seed)
        assert (out.instances.visibility[out.instances.labels > 10] >= 0.6).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("box_mode", ["rectangle", "skip"])
def test_copy_paste_labels_follow_pixels(seed, box_mode):
    transform = REGISTRY["CopyPaste"](scale_range=[0.5, 1.2], box_mode=box_mode, interpolation=0, p=1.0)
    op, out = fire(transform, primary(), seed)
    pasted = footprint(op)
    regions = regions_for(out, pasted)
    assert_aligned(out, regions, min_iou=0.9, slack=1.5, occluder=pasted)
    assert_complete(out, {"a": [~pasted]})
    labels = set(out.instances.labels[len(out.instances) - len(op.chosen) :].tolist())
    assert labels == {int(op.partners[0].instances.labels[i]) for i in op.chosen}
    if box_mode == "skip":
        assert not {13, 14} & labels  # box-only objects are not pasted


def test_copy_paste_never_pastes_crowd_unless_asked():
    def crowd_draw(rng, count=1):
        sample = scene("b", "crowd-partner")
        inst = sample.instances.replace(crowd=np.ones(4, bool))
        return [sample.replace(instances=inst)] * count

    for seed in SEEDS:
        op, out = fire(REGISTRY["CopyPaste"](p=1.0), primary(), seed, draw=crowd_draw)
        assert op.chosen == () and len(out.instances) == 4
        op, _ = fire(REGISTRY["CopyPaste"](paste_crowd=True, p=1.0), primary(), seed, draw=crowd_draw)
        assert op.chosen


def test_copy_paste_class_filter_and_max_objects():
    for seed in SEEDS:
        op, _ = fire(REGISTRY["CopyPaste"](classes=[12, 13], max_objects=1, p=1.0), primary(), seed)
        labels = [int(op.partners[0].instances.labels[i]) for i in op.chosen]
        assert len(labels) <= 1 and set(labels) <= {12, 13}


def test_gaussian_blend_softens_edges_but_not_labels():
    hard = REGISTRY["CopyPaste"](scale_range=[1, 1], hflip=0.0, p=1.0)
    soft = REGISTRY["CopyPaste"](scale_range=[1, 1], hflip=0.0, blend="gaussian", sigma_range=[2, 2], p=1.0)
    op_hard, out_hard = fire(hard, primary(), 3)
    op_soft, out_soft = fire(soft, primary(), 3)
    assert op_hard.chosen == op_soft.chosen
    for a, b in zip(out_hard.instances.boxes, out_soft.instances.boxes):
        np.testing.assert_array_equal(a, b)
    edge = footprint(op_hard)
    differs = (out_hard.image != out_soft.image).any(axis=2)
    assert differs.any() and not differs[edge & np.roll(edge, 3, 0) & np.roll(edge, -3, 0)].all()


def one_object_sample(
    mask: np.ndarray | None, box, polygon=None, keypoint=None, label=1, colour=200
) -> Sample:
    """A 100x80 grey image holding one object (mask, polygon or box-only) painted in ``colour``."""
    image = np.full((80, 100, 3), 30, np.uint8)
    x0, y0, x1, y1 = box
    image[y0:y1, x0:x1] = colour
    keypoints = None
    if keypoint is not None:
        keypoints = np.array([[[*keypoint, 2.0]]])
    inst = Instances(
        labels=[label],
        boxes=[box],
        polygons=[polygon] if polygon is not None else [],
        masks=[rle.encode(mask)] if mask is not None else [],
        keypoints=keypoints,
    )
    return Sample(image=image, instances=inst, meta={"key": f"object-{label}", POLYGON_HOLES: "rle"})


def half_cover_draw(rng, count=1):
    """A partner whose one polygon object covers x 20..40, y 10..50: the left half of the primary's."""
    ring = np.array([[20, 10], [40, 10], [40, 50], [20, 50]], float)
    return [one_object_sample(None, (20, 10, 40, 50), polygon=[ring], label=7, colour=90)] * count


EXACT = {"scale_range": [1, 1], "hflip": 0.0, "p": 1.0}


@pytest.mark.parametrize("shape", ["mask", "polygon"])
def test_a_pasted_object_over_half_an_instance_halves_it(shape):
    area = np.zeros((80, 100), bool)
    area[20:40, 20:60] = True
    ring = np.array([[20, 20], [60, 20], [60, 40], [20, 40]], float)
    sample = one_object_sample(
        area if shape == "mask" else None,
        (20, 20, 60, 40),
        polygon=[ring] if shape == "polygon" else None,
        keypoint=(30.5, 30.5),
    )
    op, out = fire(REGISTRY["CopyPaste"](**EXACT), sample, 0, draw=half_cover_draw)
    assert op.chosen == (0,)
    kept = out.instances[np.flatnonzero(out.instances.labels == 1)]
    assert len(kept) == 1
    assert rle.area(kept.masks[0]) == 400 and kept.polygons[0] is None  # a cut polygon becomes RLE
    assert kept.visibility[0] == pytest.approx(0.5)
    np.testing.assert_array_equal(kept.boxes[0], [40, 20, 60, 40])
    assert kept.keypoints[0, 0, 2] == 1  # under the pasted object: labelled, occluded
    assert (out.image[20:40, 20:40] == 90).all() and (out.image[20:40, 40:60] == 200).all()


def box_only_draw(rng, count=1):
    return [one_object_sample(None, (20, 10, 40, 50), label=7, colour=90)] * count


def test_box_only_copy_paste_pastes_the_box_as_a_rectangle():
    sample = one_object_sample(None, (20, 20, 60, 40))
    op, out = fire(REGISTRY["CopyPaste"](**EXACT, box_mode="rectangle"), sample, 0, draw=box_only_draw)
    pasted = out.instances[np.flatnonzero(out.instances.labels == 7)]
    np.testing.assert_array_equal(pasted.boxes[0], [20, 10, 40, 50])
    assert (out.image[10:50, 20:40] == 90).all()
    primary_box = out.instances[np.flatnonzero(out.instances.labels == 1)]
    np.testing.assert_array_equal(primary_box.boxes[0], [40, 20, 60, 40])  # shrunk past the covered half
    assert primary_box.visibility[0] == pytest.approx(0.5)
    _, skipped = fire(REGISTRY["CopyPaste"](**EXACT, box_mode="skip"), sample, 0, draw=box_only_draw)
    assert skipped.instances.labels.tolist() == [1]


def test_feathered_rectangles_fade_in_at_their_edge():
    sample = one_object_sample(None, (60, 60, 90, 75))
    _, out = fire(REGISTRY["CopyPaste"](**EXACT, feather=4), sample, 0, draw=box_only_draw)
    column = out.image[30, 20:40, 0].astype(int)
    assert column[0] < column[3] <= column[10] == 90  # 30 (background) rising to the pasted 90
    assert 30 < column[0]


def test_a_min_visibility_policy_drops_covered_instances_with_every_column():
    from augcli.core.policy import LabelPolicy

    area = np.zeros((80, 100), bool)
    area[20:40, 20:60] = True
    sample = one_object_sample(area, (20, 20, 60, 40), keypoint=(50.5, 30.5))
    op, _ = fire(REGISTRY["CopyPaste"](**EXACT), sample, 0, draw=half_cover_draw)
    out = op.apply(sample, LabelPolicy(min_visibility=0.6))
    assert out.instances.labels.tolist() == [7]
    assert out.meta["dropped"] == {"min_visibility": 1}
    assert out.instances.keypoints.shape == (1, 1, 3)


def test_partner_draw_counts_one_partner_per_op():
    draw = partner_draw()
    for name in ("MixUp", "CutMix", "CopyPaste"):
        fire(
            REGISTRY[name](num_areas=1, p=1.0) if name == "CutMix" else REGISTRY[name](p=1.0),
            primary(),
            1,
            draw,
        )
    assert len(draw.given) == 3
