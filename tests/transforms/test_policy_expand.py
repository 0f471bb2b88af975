"""Policies through ``augcli expand``: byte-identical trees whatever the worker count."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import augcli
from augcli.recipe import load_recipe

REPO = Path(__file__).resolve().parents[2]
POLICY_RECIPE = {
    "version": 1,
    "seed": 3,
    "copies": 2,
    "keep_original": False,
    "pipeline": [
        {"DetectionAutoAugment": {"policy": "v1"}},
        {"InsideBoxes": {"transform": {"Rotate": {"limit": 15}}, "p_per_box": 0.5}},
        {"RandAugment": {"num_ops": 2, "magnitude": 12}},
        {"AugMix": {"geometry": "shared"}},
    ],
}


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_policy_recipe_is_byte_identical_for_one_and_two_workers(sample_dataset, tmp_path):
    one = augcli.expand(sample_dataset, POLICY_RECIPE, tmp_path / "w1", workers=1)
    two = augcli.expand(sample_dataset, POLICY_RECIPE, tmp_path / "w2", workers=2)
    assert one.images_out == two.images_out == 2 * one.images_in
    assert tree_digest(tmp_path / "w1") == tree_digest(tmp_path / "w2")
    ops = [
        op["op"]
        for line in (tmp_path / "w1" / ".augcli" / "provenance.jsonl").read_text().splitlines()
        for op in json.loads(line).get("ops", [])
    ]
    assert {"DetectionAutoAugment", "RandAugment", "AugMix"} <= set(ops)


def test_starter_recipe_runs_the_detection_policy(sample_dataset, tmp_path):
    recipe = load_recipe(REPO / "recipes" / "detection_autoaugment.yaml")
    report = augcli.expand(sample_dataset, recipe, tmp_path / "out", copies=1, workers=1)
    assert report.images_out == 2 * report.images_in
    written = json.loads(next((tmp_path / "out" / "annotations").glob("*.json")).read_text())
    assert written["annotations"]
