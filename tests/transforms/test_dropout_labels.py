"""Every dropout transform in the registry: the labels agree with the pixels it dropped.

Each transform runs from its YAML example with its fill forced to 0, a value
the textured test image never holds, so the covered pixels can be read back
from the output image. Then, for every surviving instance: visibility is the
uncovered fraction of its shape, masks (and polygons cut into, with
``polygon_holes: rle``) lost exactly the covered pixels, and a labelled
keypoint became v=1 exactly when its pixel is covered. A new dropout
transform is tested here without writing a test for it.
"""

from __future__ import annotations

import numpy as np
import pytest
from contract_samples import fire, label_snapshot, labelled_sample, parse_example

from augcli.core.policy import LabelPolicy
from augcli.geometry import rle
from augcli.geometry.occlusion import POLYGON_HOLES, instance_region
from augcli.transforms.catalog import load_all

REGISTRY = load_all()
LABEL_FREE = {"PatchGaussian"}  # noise, not occlusion: labels stay byte-equal
OCCLUDERS = sorted(name for name, cls in REGISTRY.items() if cls.kind == "dropout" and name not in LABEL_FREE)
# stronger settings than the examples, so that most seeds really cover something
STRONGER = {
    "CoarseDropout": {
        "num_holes_range": [3, 6],
        "hole_height_range": [0.1, 0.3],
        "hole_width_range": [0.1, 0.3],
    },
    "Erasing": {"scale": [0.1, 0.3]},
    "PixelDropout": {"dropout_prob": 0.3},
    "ConstrainedCoarseDropout": {"hole_height_range": [0.3, 0.6], "hole_width_range": [0.3, 0.6]},
    "MaskDropout": {"max_objects": [1, 1]},
}
SEEDS = range(6)


def occluder(name: str):
    _, config = parse_example(REGISTRY[name])
    config = {**config, **STRONGER.get(name, {}), "p": 1.0}
    names = {p.name for p in REGISTRY[name].all_params()}
    config["drop_value" if "drop_value" in names else "fill"] = 0
    return REGISTRY[name](**config)


def covered_pixels(before, after) -> np.ndarray:
    return (after.image == 0).all(axis=2) & (before.image != 0).any(axis=2)


def sample_in_mode(mode: str):
    sample = labelled_sample()
    return sample.replace(meta={**sample.meta, POLYGON_HOLES: mode})


def check_labels_follow_pixels(before, after, covered, mode: str) -> int:
    """Assert the surviving labels agree with ``covered``; returns how many shape pixels were hit."""
    ids = before.instances.extra["ann_id"]
    total_hit = 0
    for k, ann in enumerate(after.instances.extra["ann_id"]):
        i = ids.index(ann)
        shape = instance_region(before.instances, i, before.height, before.width)
        hit = int(np.count_nonzero(shape & covered))
        total_hit += hit
        assert after.instances.visibility[k] == pytest.approx(1 - hit / shape.sum())
        had_polygon = before.instances.polygons[i] is not None
        if before.instances.masks[i] is not None or (had_polygon and mode == "rle" and hit):
            assert after.instances.polygons[k] is None
            assert np.array_equal(rle.decode(after.instances.masks[k]), shape & ~covered)
        else:
            assert after.instances.polygons[k] is before.instances.polygons[i]
        kps_before, kps_after = before.instances.keypoints[i], after.instances.keypoints[k]
        assert np.array_equal(kps_after[:, :2], kps_before[:, :2])
        for (x, y, v), v_after in zip(kps_before, kps_after[:, 2]):
            hidden = v > 0 and covered[int(y), int(x)]
            assert v_after == (1 if hidden else v)
    return total_hit


@pytest.mark.parametrize("mode", ["rle", "keep"])
@pytest.mark.parametrize("name", OCCLUDERS)
def test_labels_follow_the_dropped_pixels(name, mode):
    transform = occluder(name)
    hits = 0
    for seed in SEEDS:
        sample = sample_in_mode(mode)
        op = fire(transform, sample, seed)
        out = op.apply(sample)
        covered = covered_pixels(sample, out)
        hits += check_labels_follow_pixels(sample, out, covered, mode)
        gone = set(sample.instances.extra["ann_id"]) - set(out.instances.extra["ann_id"])
        for ann in gone:  # only fully covered or removed objects leave
            i = sample.instances.extra["ann_id"].index(ann)
            shape = instance_region(sample.instances, i, sample.height, sample.width)
            assert np.all(covered[shape])
            hits += int(shape.sum())
        assert sum(out.meta.get("dropped", {}).values()) == len(gone)
    assert hits > 0, f"{name} never covered a labelled pixel; the test proves nothing"


@pytest.mark.parametrize("name", OCCLUDERS)
def test_min_visibility_drops_exactly_the_instances_below_it(name):
    transform = occluder(name)
    for seed in SEEDS:
        sample = sample_in_mode("rle")
        op = fire(transform, sample, seed)
        free = op.apply(sample)
        threshold = 0.9
        strict = op.apply(sample, LabelPolicy(min_visibility=threshold))
        expected = [
            ann
            for ann, vis in zip(free.instances.extra["ann_id"], free.instances.visibility)
            if vis >= threshold
        ]
        assert strict.instances.extra["ann_id"] == expected
        if len(expected) < len(free.instances):
            assert strict.meta["dropped"]["min_visibility"] == len(free.instances) - len(expected)
            assert strict.instances.keypoints.shape[0] == len(expected)


@pytest.mark.parametrize("name", OCCLUDERS)
def test_semantic_map_takes_fill_mask_exactly_under_the_covered_pixels(name):
    names = {p.name for p in REGISTRY[name].all_params()}
    key = "mask_drop_value" if "mask_drop_value" in names else "fill_mask"
    _, config = parse_example(REGISTRY[name])
    transform = REGISTRY[name](
        **{
            **config,
            **STRONGER.get(name, {}),
            key: 7,
            "p": 1.0,
            ("drop_value" if "drop_value" in names else "fill"): 0,
        }
    )
    sample = labelled_sample()
    for seed in SEEDS:
        out = fire(transform, sample, seed).apply(sample)
        covered = covered_pixels(sample, out)
        assert np.all(out.semantic[covered] == 7)
        assert np.array_equal(out.semantic[~covered], sample.semantic[~covered])


@pytest.mark.parametrize("name", sorted(n for n in OCCLUDERS if n != "MaskDropout"))
def test_semantic_map_is_kept_by_default(name):
    # the default fill_mask is null: the object is occluded, not gone (MaskDropout defaults to 0)
    defaults = {p.name: p.default for p in REGISTRY[name].all_params()}
    assert defaults.get("fill_mask", defaults.get("mask_drop_value", "missing")) is None
    sample = labelled_sample()
    out = fire(occluder(name), sample, 0).apply(sample)
    assert np.array_equal(out.semantic, sample.semantic)


@pytest.mark.parametrize("seed", range(4))
def test_patch_gaussian_changes_only_its_patch_and_never_a_label(seed):
    transform = REGISTRY["PatchGaussian"](patch_size_range=[40, 60], sigma_range=[0.2, 0.2], p=1.0)
    sample = labelled_sample()
    op = fire(transform, sample, seed)
    out = op.apply(sample)
    assert label_snapshot(out) == label_snapshot(sample)
    x1, y1, x2, y2 = op.patch
    outside = np.ones(sample.image.shape[:2], dtype=bool)
    outside[y1:y2, x1:x2] = False
    assert np.array_equal(out.image[outside], sample.image[outside])
    diff = out.image[y1:y2, x1:x2].astype(float) - sample.image[y1:y2, x1:x2]
    assert 0.8 * 0.2 * 255 < diff.std() < 1.05 * 0.2 * 255  # clipping only shrinks the spread
    assert abs(diff.mean()) < 5
