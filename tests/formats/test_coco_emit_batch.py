"""``annotation_dicts`` (one rounding pass per sample) writes what ``annotation_dict``
writes for each instance on its own: polygons, RLE, keypoints, box-only, after warps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from augcli.formats.coco.emit import annotation_dict, annotation_dicts
from augcli.formats.registry import open_reader
from augcli.recipe.recipe import recipe_from_dict

ROOT = Path(__file__).resolve().parents[2]
DATASETS = [
    ROOT / "sample_data",
    ROOT / "tests/data/datumaro/coco_dataset/coco_instances/annotations/instances_train.json",
    ROOT / "tests/data/datumaro/coco_dataset/coco_person_keypoints/annotations/person_keypoints_train.json",
]
WARPS = {
    "version": 1,
    "pipeline": [
        {"Affine": {"rotate": [-30, 30], "scale": [0.7, 1.3], "translate_percent": [-0.2, 0.2], "p": 1}},
        {"CoarseDropout": {"num_holes_range": [2, 6], "p": 0.5}},
    ],
}


def one_by_one(instances, width, height, keep=False):
    return [annotation_dict(instances, i, width, height, keep) for i in range(len(instances))]


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda p: p.parts[-3] if p.suffix else p.name)
def test_batch_emit_matches_one_by_one(dataset):
    reader = open_reader(dataset)
    recipe = recipe_from_dict(WARPS)
    checked = 0
    for key in reader.keys():
        sample = reader.load(key)
        runs = [sample] + [
            recipe.pipeline.run(sample, np.random.default_rng(seed), categories=reader.categories).sample
            for seed in range(6)
        ]
        for s in runs:
            for keep in (False, True):
                assert annotation_dicts(s.instances, s.width, s.height, keep) == one_by_one(
                    s.instances, s.width, s.height, keep
                )
            checked += len(s.instances)
    assert checked > 0


def test_batch_rounding_keeps_each_ring_apart():
    reader = open_reader(ROOT / "sample_data")
    sample = next(s for s in map(reader.load, reader.keys()) if any(sample_has_polygon(s)))
    batch = annotation_dicts(sample.instances, sample.width, sample.height)
    for annotation, polygon in zip(batch, sample.instances.polygons):
        if polygon:
            assert [len(ring) for ring in annotation["segmentation"]] == [2 * len(r) for r in polygon]


def sample_has_polygon(sample):
    return [bool(p) for p in sample.instances.polygons]
