"""MixUp: the instances are the union of both images', each on its own source's pixels."""

from __future__ import annotations

import numpy as np
import pytest
from mixing_scenes import H, W, assert_aligned, colour_id, colour_index, fire, scene

from augcli.core.policy import DEFAULT_POLICY
from augcli.geometry.occlusion import instance_region
from augcli.transforms.catalog import load_all
from augcli.transforms.mixing._common import place, shift_instances

MIXUP = load_all()["MixUp"]
SEEDS = range(4)


def wide_partner_draw(rng, count=1):
    """Palette-b scenes padded to 200 x 120, so the letterbox really scales and pads."""
    out = []
    for _ in range(count):
        sample = scene("b", "wide")
        image = np.zeros((H, 200, 3), np.uint8)
        image[:, :W] = sample.image
        semantic = np.zeros((H, 200), np.uint8)
        semantic[:, :W] = sample.semantic
        instances = shift_instances(sample.instances, 0, 0, 200, H)  # masks on the wider canvas
        out.append(sample.replace(image=image, semantic=semantic, instances=instances))
    return out


def unmixed(op, out, primary):
    """Both source images recovered from the blend: out = r * primary + (1 - r) * partner."""
    r = op.ratio
    partner = place(
        op.partners[0],
        np.array(op.matrix),
        (W, H),
        fill=op.fill,
        fill_mask=op.fill_mask,
        interpolation=0,
        policy=DEFAULT_POLICY,
    )
    mixed = out.image.astype(np.float64)
    recovered_b = (mixed - r * primary.image) / (1 - r)
    recovered_a = (mixed - (1 - r) * partner.image) / r
    return np.clip(recovered_a, 0, 255).astype(np.uint8), np.clip(recovered_b, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("partner_fit", ["letterbox", "resize"])
@pytest.mark.parametrize("seed", SEEDS)
def test_instances_are_the_union_each_on_its_source_pixels(seed, partner_fit):
    primary = scene("a")
    op, out = fire(
        MIXUP(partner_fit=partner_fit, interpolation=0, p=1.0), primary, seed, draw=wide_partner_draw
    )
    assert 0.3 < op.ratio < 0.7
    labels = out.instances.labels.tolist()
    assert labels == [1, 2, 3, 4, 11, 12, 13, 14]
    image_a, image_b = unmixed(op, out, primary)
    everywhere = [np.ones((H, W), bool)] * len(labels)
    a_rows, b_rows = np.arange(4), np.arange(4, 8)
    assert_aligned(out.replace(image=image_a, instances=out.instances[a_rows]), everywhere[:4], min_iou=0.99)
    assert_aligned(
        out.replace(image=image_b, instances=out.instances[b_rows]), everywhere[:4], min_iou=0.85, slack=1.5
    )


def test_semantic_map_takes_the_heavier_image_and_keeps_the_primary_under_the_pad():
    primary = scene("a")
    for seed in range(12):
        op, out = fire(MIXUP(alpha=0.3, interpolation=0, p=1.0), primary, seed, draw=wide_partner_draw)
        if op.ratio >= 0.5:
            np.testing.assert_array_equal(out.semantic, primary.semantic)
            continue
        _, image_b = unmixed(op, out, primary)
        index = colour_index(image_b)
        partner_box = index == colour_id("b", 2)
        assert (out.semantic[partner_box] == 13).mean() > 0.98
        pad = np.zeros((H, W), bool)
        pad[: int(op.matrix[1][2])] = True  # the letterbox band above the partner
        np.testing.assert_array_equal(out.semantic[pad], primary.semantic[pad])
        return
    pytest.fail("no seed gave the partner the larger weight")


def test_partner_masks_and_polygons_are_on_the_primary_canvas():
    op, out = fire(MIXUP(p=1.0), scene("a"), 0, draw=wide_partner_draw)
    for i in range(len(out.instances)):
        assert instance_region(out.instances, i, H, W).any()
        if out.instances.masks[i] is not None:
            assert list(out.instances.masks[i]["size"]) == [H, W]
    assert op.record()["ratio"] == op.ratio and op.record()["partners"] == ["wide"]
