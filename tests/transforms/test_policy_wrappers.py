"""AugMix's mixing and geometry modes; InsideBoxes' choices, regions and refusals."""

from __future__ import annotations

import numpy as np
import pytest
from contract_samples import context_for, label_snapshot, labelled_sample, textured_image

from augcli.core.errors import RecipeError
from augcli.core.sample import Instances, Sample
from augcli.geometry import rle
from augcli.geometry.apply import apply_warp
from augcli.geometry.polygons import polygon_to_mask
from augcli.recipe import check_dataset, recipe_from_dict
from augcli.transforms.params import ParamError
from augcli.transforms.policies.augmix import AugMix, AugMixOp
from augcli.transforms.policies.inside_boxes import InsideBoxes
from augcli.transforms.policies.steps import PixelStep, WarpStep


def test_augmix_output_is_the_documented_convex_mix():
    image = textured_image(30, 40)
    sample = Sample(image=image, instances=Instances.empty())
    chains = ((PixelStep("Invert"),), (PixelStep("Brightness", 0.5),), (PixelStep("Identity"),))
    weights, mix = (0.5, 0.3, 0.2), 0.4
    out = AugMixOp(chains=chains, weights=weights, mix=mix).apply(sample).image
    x = image.astype(np.float64)
    mixed = 0.5 * (255 - x) + 0.3 * np.rint(0.5 * x) + 0.2 * x
    expected = np.clip(np.rint((1 - mix) * x + mix * mixed), 0, 255)
    assert np.abs(out.astype(np.float64) - expected).max() <= 1
    assert out.dtype == np.uint8


def test_augmix_draws_dirichlet_weights_and_a_beta_mix_within_range():
    transform = AugMix(mixture_width=4, alpha=1.0)
    sample = labelled_sample(height=40, width=50)
    ctx = context_for(sample)
    ops = [transform.sample(np.random.default_rng(s), ctx) for s in range(400)]
    weights = np.array([op.weights for op in ops])
    mixes = np.array([op.mix for op in ops])
    assert np.allclose(weights.sum(axis=1), 1.0) and (weights >= 0).all()
    assert abs(weights.mean() - 0.25) < 0.03  # Dirichlet(1, 1, 1, 1) has mean 1/4 per weight
    assert (0 <= mixes).all() and (mixes <= 1).all() and abs(mixes.mean() - 0.5) < 0.05  # Beta(1, 1)
    depths = [len(chain) for op in ops for chain in op.chains]
    assert set(depths) == {1, 2, 3}
    for op in ops[:50]:
        out = op.apply(sample)
        assert out.image.dtype == np.uint8 and out.image.shape == sample.image.shape
        assert label_snapshot(out) == label_snapshot(sample)  # geometry: none


def test_augmix_default_chains_are_colour_only_and_magnitudes_stay_below_severity():
    transform = AugMix(severity=2, all_ops=False)
    ctx = context_for(labelled_sample(height=40, width=50))
    steps = [
        s for seed in range(300) for c in transform.sample(np.random.default_rng(seed), ctx).chains for s in c
    ]
    assert not any(isinstance(s, WarpStep) for s in steps)
    assert {s.op for s in steps} == {"AutoContrast", "Equalize", "Posterize", "Solarize"}
    assert {s.value for s in steps if s.op == "Posterize"} == {4.0}  # bins 0 and 1 of 4, 4, 3, ...


def test_augmix_shared_geometry_moves_the_labels_with_the_single_warp():
    sample = labelled_sample()
    transform = AugMix(geometry="shared")
    ctx = context_for(sample)
    moved = 0
    for seed in range(12):
        op = transform.sample(np.random.default_rng(seed), ctx)
        assert len(op.steps) == 1 and isinstance(op.steps[0], WarpStep)
        out = op.apply(sample)
        reference = apply_warp(sample, op.warp(sample.width, sample.height), interpolation=1)
        assert label_snapshot(out) == label_snapshot(reference)
        moved += label_snapshot(out) != label_snapshot(sample)
    assert moved >= 6


def test_augmix_chains_with_warps_are_refused_for_labelled_datasets():
    recipe = recipe_from_dict({"version": 1, "pipeline": [{"AugMix": {"geometry": "chains"}}]})
    problems = check_dataset(recipe, None, ("image", "boxes"))
    assert problems and "AugMix cannot transform the dataset's boxes" in problems[0]
    assert check_dataset(recipe, None, ("image",)) == []


def test_inside_boxes_is_refused_without_boxes():
    recipe = recipe_from_dict({"version": 1, "pipeline": [{"InsideBoxes": {"transform": {"Equalize": {}}}}]})
    problems = check_dataset(recipe, None, ("image", "semantic"))
    assert problems and "InsideBoxes needs the dataset's boxes" in problems[0]
    assert check_dataset(recipe, None, ("image", "boxes")) == []


@pytest.mark.parametrize(
    "config, needle",
    [
        ({"transform": {"RandomCrop": {"height": 4, "width": 4}}}, "cannot run inside a box"),
        ({"transform": {"Rotate": {"crop_border": True}}}, "changes the size"),
        ({"transform": {"Rotate": {}}, "region": "mask"}, "region: mask works with pixel transforms only"),
        ({"transform": {"Nope": {}}}, "unknown transform 'Nope'"),
        ({"transform": "Equalize"}, "one pipeline item"),
    ],
)
def test_inside_boxes_refuses_what_it_cannot_honour(config, needle):
    with pytest.raises(ParamError) as err:
        InsideBoxes(**config)
    assert needle in str(err.value)
    with pytest.raises(RecipeError):
        recipe_from_dict({"version": 1, "pipeline": [{"InsideBoxes": config}]})


def test_inside_boxes_picks_each_box_with_p_per_box():
    sample = labelled_sample()
    transform = InsideBoxes(transform={"Equalize": {}}, p_per_box=0.25)
    ctx = context_for(sample)
    rows = [transform.sample(np.random.default_rng(s), ctx).steps[0].rows for s in range(2000)]
    fired = sum(len(r) for r in rows)
    assert abs(fired - 0.25 * 4000) <= 5 * np.sqrt(4000 * 0.25 * 0.75)


def test_region_mask_changes_only_the_instance_pixels():
    sample = labelled_sample()
    transform = InsideBoxes(transform={"InvertImg": {}}, p_per_box=1.0, region="mask")
    out = transform.sample(np.random.default_rng(0), context_for(sample)).apply(sample)
    changed = (out.image != sample.image).any(axis=2)
    own = np.zeros(changed.shape, bool)
    own |= polygon_to_mask(sample.instances.polygons[0], sample.height, sample.width)
    own |= rle.decode(sample.instances.masks[1]).astype(bool)
    assert changed.any() and not (changed & ~own).any()
    assert label_snapshot(out) == label_snapshot(sample)
