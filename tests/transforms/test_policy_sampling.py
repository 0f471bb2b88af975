"""How the policies draw: uniform sub-policies and ops, op probabilities, signs, bins, per-box p/3.

Counts are compared with their binomial expectation at 5 standard
deviations, so a correct sampler fails with negligible probability and a
wrong rule (p instead of p/3, a biased choice) fails for sure at these sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
from contract_samples import context_for, label_snapshot, labelled_sample, textured_image

from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.transforms.policies import tables
from augcli.transforms.policies.boxes import BoxStep
from augcli.transforms.policies.detection import DetectionAutoAugment
from augcli.transforms.policies.steps import PixelStep, PolicyOp, WarpStep
from augcli.transforms.policies.torchvision_policies import AutoAugment, RandAugment, TrivialAugmentWide

DRAWS = 3000


def assert_rate(count: int, trials: int, p: float) -> None:
    sigma = np.sqrt(trials * p * (1 - p))
    assert abs(count - trials * p) <= 5 * sigma + 1, f"{count}/{trials}, expected rate {p}"


def draws(transform, n: int = DRAWS, sample=None):
    sample = sample or labelled_sample(height=64, width=80)
    ctx = context_for(sample)
    return [transform.sample(np.random.default_rng(seed), ctx) for seed in range(n)]


def test_autoaugment_picks_sub_policies_uniformly():
    names = ["Rotate", "ShearX", "ShearY", "TranslateX", "TranslateY"]
    transform = AutoAugment(policy="custom", sub_policies=[[[name, 1.0, 5]] for name in names])
    ops = [op.steps[0].op for op in draws(transform)]
    for name in names:
        assert_rate(ops.count(name), DRAWS, 1 / 5)


def test_autoaugment_ops_fire_independently_with_their_probability():
    transform = AutoAugment(policy="custom", sub_policies=[[["Equalize", 0.3, None], ["Invert", 0.8, None]]])
    fired = [tuple(step.op for step in op.steps) for op in draws(transform)]
    assert_rate(sum("Equalize" in f for f in fired), DRAWS, 0.3)
    assert_rate(sum("Invert" in f for f in fired), DRAWS, 0.8)
    assert_rate(sum(f == ("Equalize", "Invert") for f in fired), DRAWS, 0.3 * 0.8)


def test_autoaugment_learned_policy_magnitudes_come_from_its_bins():
    # imagenet sub-policy 1: (Posterize 0.4 bin 8) then (Rotate 0.6 bin 9): 4 bits, +-27 degrees
    transform = AutoAugment(policy="imagenet")
    seen = set()
    for op in draws(transform, 600):
        for step in op.steps:
            if step.op == "Rotate":
                seen.add(round(abs(step.value), 6))
    allowed = {round(30 * i / 9, 6) for i in range(10)}
    assert seen and seen <= allowed
    assert {round(30 * 9 / 9, 6), round(30 * 8 / 9, 6)} <= seen


def test_randaugment_draws_ops_uniformly_with_replacement():
    transform = RandAugment(num_ops=2, magnitude=9)
    ops = draws(transform)
    pairs = [tuple(step.op for step in op.steps) for op in ops]
    assert all(len(pair) == 2 for pair in pairs)
    flat = [name for pair in pairs for name in pair]
    counted = {name: flat.count(name) for name in tables.RANDAUGMENT_OPS}
    assert set(counted) == set(flat)
    for name in tables.RANDAUGMENT_OPS:
        assert_rate(counted[name], 2 * DRAWS, 1 / 14)
    assert_rate(sum(a == b for a, b in pairs), DRAWS, 1 / 14)  # with replacement


def test_signs_are_fair_and_every_op_uses_the_shared_magnitude():
    transform = RandAugment(num_ops=1, magnitude=12, ops=["Rotate"])
    values = [op.steps[0].value for op in draws(transform)]
    assert np.allclose(np.abs(values), 30 * 12 / 30)
    assert_rate(sum(v < 0 for v in values), DRAWS, 0.5)


def test_trivialaugment_draws_one_op_and_a_uniform_bin():
    transform = TrivialAugmentWide(num_magnitude_bins=31, ops=["Rotate", "Brightness"])
    ops = draws(transform)
    assert all(len(op.steps) == 1 for op in ops)
    rotations = [op.steps[0].value for op in ops if op.steps[0].op == "Rotate"]
    assert_rate(len(rotations), DRAWS, 0.5)
    bins = np.rint(np.abs(rotations) / (135 / 30)).astype(int)
    assert np.allclose(np.abs(rotations), bins * 135 / 30)
    counts = np.bincount(bins, minlength=31)
    for count in counts:
        assert_rate(int(count), len(rotations), 1 / 31)


def test_detection_bbox_only_ops_fire_per_box_with_p_over_three():
    sample = labelled_sample(height=64, width=80)
    transform = DetectionAutoAugment(policy="custom", sub_policies=[[["Equalize_Only_BBoxes", 0.9, 5]]])
    ops = draws(transform, 1500, sample)
    boxes = [step.rows for op in ops for step in op.steps]
    fired = sum(len(rows) for rows in boxes)
    assert_rate(fired, 1500 * len(sample.instances), 0.9 / 3)
    both = sum(len(rows) == 2 for rows in boxes)
    assert_rate(both, 1500, 0.3 * 0.3)
    orders = {rows for rows in boxes if len(rows) == 2}
    assert orders == {(0, 1), (1, 0)}  # visited in a shuffled order


def test_detection_picks_sub_policies_uniformly():
    subs = [[["Rotate_BBox", 1.0, 5]], [["ShearX_BBox", 1.0, 5]], [["TranslateY_BBox", 1.0, 5]]]
    ops = draws(DetectionAutoAugment(policy="custom", sub_policies=subs))
    names = [op.steps[0].op for op in ops]
    for name in ("Rotate", "ShearX", "TranslateY"):
        assert_rate(names.count(name), DRAWS, 1 / 3)


def test_same_seed_same_records_other_seed_other_records():
    transform = DetectionAutoAugment(policy="v1")
    sample = labelled_sample()
    ctx = context_for(sample)
    first = [transform.sample(np.random.default_rng(s), ctx).record() for s in range(40)]
    again = [transform.sample(np.random.default_rng(s), ctx).record() for s in range(40)]
    assert first == again
    assert len({repr(r) for r in first}) > 10


@pytest.mark.parametrize(
    "op",
    [
        "AutoContrast",
        "Equalize",
        "Invert",
        "Posterize",
        "Solarize",
        "SolarizeAdd",
        "Brightness",
        "Color",
        "Contrast",
        "Sharpness",
        "Identity",
    ],
)
def test_photometric_steps_leave_labels_byte_equal(op):
    sample = labelled_sample()
    value = {"Posterize": 3, "Solarize": 100, "SolarizeAdd": 60}.get(op, 1.6)
    out = PolicyOp(steps=(PixelStep(op, value),)).apply(sample)
    assert label_snapshot(out) == label_snapshot(sample)
    if op != "Identity":
        assert not np.array_equal(out.image, sample.image)
    inside = PolicyOp(steps=(BoxStep("Inside", (0, 1), (PixelStep(op, value),) * 2),)).apply(sample)
    assert label_snapshot(inside) == label_snapshot(sample)


def test_geometric_steps_move_labels():
    sample = labelled_sample()
    out = PolicyOp(steps=(WarpStep("TranslateX", 7.0),)).apply(sample)
    np.testing.assert_allclose(out.instances.boxes[0, [0, 2]], sample.instances.boxes[0, [0, 2]] + 7)
    moved, before = rle.decode(out.instances.masks[1]), rle.decode(sample.instances.masks[1])
    assert np.array_equal(moved[:, 7:], before[:, :-7]) and moved.sum() == before.sum()
    assert np.array_equal(out.semantic[:, 7:], sample.semantic[:, :-7])


LAYOUTS = {
    "grey2d": dict(channels=None),
    "grey1": dict(channels=1),
    "rgba": dict(channels=4),
    "rgb16": dict(channels=3, dtype=np.uint16),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize(
    "op",
    [
        "AutoContrast",
        "Equalize",
        "Invert",
        "Posterize",
        "Solarize",
        "SolarizeAdd",
        "Brightness",
        "Color",
        "Contrast",
        "Sharpness",
    ],
)
def test_photometric_steps_keep_layout_dtype_and_alpha(op, layout):
    image = textured_image(24, 30, **LAYOUTS[layout])
    sample = Sample(image=image, instances=Instances.empty())
    value = {"Posterize": 3, "Solarize": 100, "SolarizeAdd": 60}.get(op, 1.6)
    out = PolicyOp(steps=(PixelStep(op, value),)).apply(sample).image
    assert out.dtype == image.dtype and out.shape == image.shape
    if layout == "rgba":
        assert np.array_equal(out[..., 3], image[..., 3])
    grey_colour = op == "Color" and layout.startswith("grey")  # saturation leaves grey as it is
    few_pixels = op == "Equalize" and layout == "rgb16"  # PIL's step: fewer pixels than levels
    if not (grey_colour or few_pixels):
        assert not np.array_equal(out, image)
