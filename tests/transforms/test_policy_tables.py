"""Magnitude -> parameter tables of the policies, against the published formulas.

Expected values are computed here from the formulas in the reference notes
(torchvision's ``linspace(low, high, bins)[i]`` and the TPU ``level_to_arg``
rules), never read back from the implementation's constants.
"""

from __future__ import annotations

import numpy as np
import pytest

from augcli.core.errors import RecipeError
from augcli.recipe import recipe_from_dict
from augcli.transforms.policies import detection_tables as dt
from augcli.transforms.policies import tables
from augcli.transforms.policies.detection import DetectionAutoAugment, colour_step, draw_op, warp_value
from augcli.transforms.policies.steps import CutoutStep, PixelStep, WarpStep
from augcli.transforms.policies.torchvision_policies import RandAugment

W, H = 331, 200


def linear(low: float, high: float, bins: int, i: int) -> float:
    return low + (high - low) * i / (bins - 1)


# (family, bins) -> op -> (low, high) of the documented linear ranges
RANGES = {
    "autoaugment": {
        "ShearX": (0, 0.3),
        "TranslateX": (0, 150 / 331 * W),
        "TranslateY": (0, 150 / 331 * H),
        "Rotate": (0, 30),
        "Brightness": (0, 0.9),
        "Solarize": (1, 0),
    },
    "randaugment": {
        "ShearY": (0, 0.3),
        "TranslateX": (0, 150 / 331 * W),
        "Rotate": (0, 30),
        "Color": (0, 0.9),
        "Solarize": (1, 0),
    },
    "wide": {
        "ShearX": (0, 0.99),
        "TranslateX": (0, 32),
        "TranslateY": (0, 32),
        "Rotate": (0, 135),
        "Sharpness": (0, 0.99),
        "Solarize": (1, 0),
    },
    "augmix": {"ShearX": (0, 0.3), "TranslateX": (0, W / 3), "TranslateY": (0, H / 3), "Rotate": (0, 30)},
}
BINS = {"autoaugment": 10, "randaugment": 31, "wide": 31, "augmix": 10}


@pytest.mark.parametrize("family", sorted(RANGES))
def test_linear_ranges_follow_the_documented_formula(family):
    bins = BINS[family]
    space = tables.space(family, bins, W, H)
    for op, (low, high) in RANGES[family].items():
        magnitudes, _ = space[op]
        for i in range(bins):
            assert magnitudes[i] == pytest.approx(linear(low, high, bins, i)), (op, i)


def test_op_sets_are_the_documented_ones():
    assert set(tables.space("randaugment", 31, W, H)) == {
        "Identity",
        "ShearX",
        "ShearY",
        "TranslateX",
        "TranslateY",
        "Rotate",
        "Brightness",
        "Color",
        "Contrast",
        "Sharpness",
        "Posterize",
        "Solarize",
        "AutoContrast",
        "Equalize",
    }
    assert set(tables.space("wide", 31, W, H)) == set(tables.space("randaugment", 31, W, H))
    autoaugment = set(tables.space("autoaugment", 10, W, H))
    assert autoaugment == set(tables.space("randaugment", 31, W, H)) - {"Identity"} | {"Invert"}
    augmix = {
        "AutoContrast",
        "Equalize",
        "Posterize",
        "Rotate",
        "Solarize",
        "ShearX",
        "ShearY",
        "TranslateX",
        "TranslateY",
    }
    assert set(tables.space("augmix", 10, W, H)) == augmix
    assert set(tables.space("augmix_all", 10, W, H)) == augmix | {
        "Color",
        "Contrast",
        "Brightness",
        "Sharpness",
    }


def test_posterize_bits_per_family():
    # torchvision: round(top - i / ((bins - 1) / span)); the reference notes list the results
    assert list(tables.space("autoaugment", 10, W, H)["Posterize"][0]) == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    randaugment = tables.space("randaugment", 31, W, H)["Posterize"][0]
    assert randaugment[0] == 8 and randaugment[30] == 4 and randaugment[9] == 7
    wide = tables.space("wide", 31, W, H)["Posterize"][0]
    assert wide[0] == 8 and wide[30] == 2
    augmix = tables.space("augmix", 10, W, H)["Posterize"][0]
    assert list(augmix[:3]) == [4, 4, 3] and augmix[9] == 0


def test_randaugment_default_magnitude_gives_the_documented_parameters():
    space = tables.space("randaugment", 31, W, H)
    assert tables.to_step("ShearX", space["ShearX"][0][9]) == WarpStep("ShearX", pytest.approx(0.09))
    assert np.degrees(np.arctan(space["ShearX"][0][9])) == pytest.approx(5.14, abs=0.01)
    assert space["TranslateX"][0][9] == pytest.approx(0.136 * W, rel=1e-2)
    assert tables.to_step("TranslateX", space["TranslateX"][0][9]).value == int(150 / 331 * W * 9 / 30)
    assert tables.to_step("Rotate", space["Rotate"][0][9]).value == pytest.approx(9.0)
    assert tables.to_step("Brightness", -space["Brightness"][0][9]).value == pytest.approx(1 - 0.27)
    assert tables.to_step("Posterize", space["Posterize"][0][9]) == PixelStep("Posterize", 7.0)
    assert tables.to_step("Solarize", space["Solarize"][0][9]).value == pytest.approx(178.5)


@pytest.mark.parametrize("level", range(11))
def test_tpu_level_to_arg(level):
    f = level / 10
    assert warp_value("Rotate", level, inside_box=False) == pytest.approx(f * 30)
    assert warp_value("ShearX", level, inside_box=True) == pytest.approx(f * 0.3)
    assert warp_value("TranslateY", level, inside_box=False) == pytest.approx(f * 250)
    assert warp_value("TranslateY", level, inside_box=True) == pytest.approx(f * 120)
    assert dt.cutout_pad(level, inside_box=False) == int(f * 100)
    assert dt.cutout_pad(level, inside_box=True) == int(f * 50)
    assert dt.bbox_cutout_fraction(level) == pytest.approx(f * 0.75)
    for op in ("Color", "Contrast", "Brightness", "Sharpness"):
        assert colour_step(op, level, tpu=False).value == pytest.approx(f * 1.8 + 0.1)
    assert colour_step("SolarizeAdd", level, tpu=False).value == int(f * 110)
    assert colour_step("Posterize", level, tpu=True).value == int(f * 4)
    assert colour_step("Posterize", level, tpu=False).value == int(f * 4) + 4
    threshold = int(f * 256)
    assert colour_step("Solarize", level, tpu=False).value == threshold
    assert colour_step("Solarize", level, tpu=True).value == (0 if threshold == 256 else threshold)
    assert (
        colour_step("Contrast", level, tpu=True).tpu_mean
        and not colour_step("Contrast", level, False).tpu_mean
    )


class _Ctx:
    width, height = 640, 480


def test_v0_ops_give_the_parameters_of_the_reference_table():
    rng = np.random.default_rng(0)
    translate = draw_op(rng, "TranslateX_BBox", 1.0, 4, _Ctx, 0, False)
    assert isinstance(translate, WarpStep) and abs(translate.value) == pytest.approx(100.0)
    cutout = draw_op(np.random.default_rng(3), "Cutout", 1.0, 8, _Ctx, 0, False)
    x0, y0, x1, y1 = cutout.rect
    assert isinstance(cutout, CutoutStep) and (x1 - x0 <= 160) and (y1 - y0 <= 160)
    assert abs(draw_op(rng, "ShearY_BBox", 1.0, 2, _Ctx, 0, False).value) == pytest.approx(0.06)
    assert abs(draw_op(rng, "Rotate_BBox", 1.0, 10, _Ctx, 0, False).value) == pytest.approx(30.0)
    assert draw_op(rng, "Color", 1.0, 6, _Ctx, 0, False).value == pytest.approx(1.18)
    assert draw_op(rng, "Sharpness", 0.0, 8, _Ctx, 0, False) is None  # probability 0 never fires
    many = [
        draw_op(np.random.default_rng(s), "TranslateY_Only_BBoxes", 0.6, 6, _Ctx, 4, False) for s in range(50)
    ]
    values = [abs(inner.value) for step in many if step for inner in step.inners]
    assert values and np.allclose(values, 72.0)


def test_v0_to_v3_tables_have_the_documented_shape():
    v0, v1, v2, v3 = (dt.POLICIES[name] for name in ("v0", "v1", "v2", "v3"))
    assert len(v0) == 5 and all(len(sub) == 2 for sub in v0)
    assert len(v1) == 20 and v1[:5] == v0 and all(len(sub) == 2 for sub in v1)
    assert len(v2) == 15 and {len(sub) for sub in v2} == {2, 3}
    assert len(v3) == 15 and all(len(sub) == 2 for sub in v3)
    for policy in (v0, v1, v2, v3):
        for sub in policy:
            for op, prob, level in sub:
                assert op in dt.OPS and 0 <= prob <= 1 and 0 <= level <= 10
    used = {op for policy in (v0, v1, v2, v3) for sub in policy for op, _, _ in sub}
    assert {
        "Rotate_BBox",
        "ShearX_Only_BBoxes",
        "Flip_Only_BBoxes",
        "Equalize_Only_BBoxes",
        "Cutout_Only_BBoxes",
        "BBox_Cutout",
        "SolarizeAdd",
        "Posterize",
    } <= used
    # every op of the reference's NAME_TO_FUNC, once
    assert len(dt.OPS) == len(set(dt.OPS)) == 25


@pytest.mark.parametrize(
    "item, needle",
    [
        ({"RandAugment": {"magnitude": 31}}, "between 0 and 30"),
        ({"AutoAugment": {"policy": "coco"}}, "'imagenet', 'cifar10', 'svhn'"),
        ({"DetectionAutoAugment": {"policy": "v9"}}, "'v0', 'v1', 'v2', 'v3'"),
        (
            {"DetectionAutoAugment": {"policy": "custom", "sub_policies": [[["Rotate_BBox", 1.0, 12]]]}},
            "0..10",
        ),
        ({"RandAugment": {"ops": ["Rotate", "Warp"]}}, "ops: must be a non-empty list of ShearX"),
        ({"AutoAugment": {"policy": "custom", "sub_policies": [[["Blur", 0.5, 3]]]}}, "unknown op 'Blur'"),
    ],
)
def test_bad_names_and_magnitudes_are_recipe_errors_with_the_choices(item, needle):
    with pytest.raises(RecipeError) as err:
        recipe_from_dict({"version": 1, "pipeline": [item]})
    assert needle in str(err.value)


def test_detection_defaults_follow_the_reference():
    transform = DetectionAutoAugment()
    assert transform.fill == 128 and transform.interpolation == 0 and transform.table == dt.POLICIES["v0"]
    assert RandAugment().interpolation == 0 and RandAugment().fill == 0
