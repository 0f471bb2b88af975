"""Class-aware copies and ``when:`` through ``expand``: per-image copies, per-class counts, determinism."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from class_data import count_from_json, lvis_copies, make_imbalanced_coco, naive_greedy

import augcli
from augcli.core.errors import RecipeError
from augcli.engine.stats import dataset_stats
from augcli.formats.registry import open_reader

REPO = Path(__file__).resolve().parents[2]
PIPELINE = [{"HorizontalFlip": {"p": 0.5}}, {"Affine": {"rotate": [-25, 25], "scale": [0.8, 1.2], "p": 0.9}}]


def recipe(copies, pipeline=PIPELINE, seed=11, **rest) -> dict:
    return {"version": 1, "seed": seed, "copies": copies, "pipeline": pipeline, **rest}


def copies_per_image(out: Path) -> Counter:
    rows = (json.loads(line) for line in (out / ".augcli" / "provenance.jsonl").read_text().splitlines())
    return Counter(row["key"] for row in rows)


def split_of_json(path: Path, crowd: bool = False) -> dict[str, Counter]:
    """Per image file name: its instances by class name (crowd ones only with ``crowd``), from the JSON."""
    doc = json.loads(path.read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    by_id = {img["id"]: img["file_name"] for img in doc["images"]}
    out = {name: Counter() for name in by_id.values()}
    for ann in doc["annotations"]:
        if crowd or not ann.get("iscrowd"):
            out[by_id[ann["image_id"]]][names[ann["category_id"]]] += 1
    return out


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".augcli" not in p.parts
    }


@pytest.fixture(scope="module")
def rare_dataset(tmp_path_factory) -> Path:
    """100 images, the class ``rare`` in 2 of them (2 %)."""
    return make_imbalanced_coco(tmp_path_factory.mktemp("rare"), images=100, rare_images=2, seed=5)


def test_repeat_factor_writes_the_formula_s_copies_per_image(rare_dataset, tmp_path):
    block = {"mode": "repeat_factor", "threshold": 0.08, "exponent": 0.5}
    report = augcli.expand(rare_dataset, recipe(block), tmp_path / "out", workers=1)
    split = split_of_json(rare_dataset)
    expected = lvis_copies(split, 0.08, 0.5, 1.0, seed=11, name="default")
    written = copies_per_image(tmp_path / "out")
    assert {k: written[k] for k in split} == expected
    rare = [k for k, c in split.items() if c["rare"]]
    assert len(rare) == 2 and all(expected[k] >= 2 for k in rare)  # r(rare) = sqrt(0.08 / 0.02) = 2
    assert report.images_out == len(split) + sum(expected.values())


def test_per_class_counts_after_expansion_match_stats_and_an_independent_count(rare_dataset, tmp_path):
    block = {"mode": "per_class", "classes": {"rare": 4, "medium": 2}, "default": 1}
    crop = {"RandomCrop": {"height": 18, "width": 24, "p": 0.7}}  # drops instances now and then
    report = augcli.expand(rare_dataset, recipe(block, PIPELINE + [crop]), tmp_path / "out", workers=1)
    out_json = next((tmp_path / "out").rglob("*.json"))
    independent = count_from_json(out_json)
    stats = dataset_stats(open_reader(tmp_path / "out")).to_dict()["splits"]["default"]["classes"]
    source = count_from_json(rare_dataset)
    for name in ("common", "medium", "rare"):
        assert report.classes[name]["out"] == stats[name]["instances"] == independent[name]["instances"]
        assert report.classes[name]["in"] == source[name]["instances"]
    dropped = sum(n for row in report.classes.values() for n in row["dropped"].values())
    assert dropped > 0 and dropped == sum(report.dropped.values())
    # the rare class was multiplied the most
    assert independent["rare"]["instances"] / source["rare"]["instances"] > 3
    assert independent["common"]["instances"] / source["common"]["instances"] < 2.5


def test_workers_and_file_order_do_not_change_the_output(tmp_path):
    block = {"mode": "repeat_factor", "threshold": 0.1, "max_total": 120}
    steps = PIPELINE + [{"GaussianBlur": {"p": 1.0, "when": {"has_class": ["rare"]}}}]
    data = make_imbalanced_coco(tmp_path / "a", images=60, rare_images=3, seed=2)
    shuffled = make_imbalanced_coco(tmp_path / "b", images=60, rare_images=3, seed=2, shuffle=True)
    assert data.read_bytes() != shuffled.read_bytes()
    one = augcli.expand(data, recipe(block, steps), tmp_path / "w1", workers=1)
    two = augcli.expand(data, recipe(block, steps), tmp_path / "w2", workers=2)
    assert tree_digest(tmp_path / "w1") == tree_digest(tmp_path / "w2")
    assert one.classes == two.classes
    augcli.expand(shuffled, recipe(block, steps), tmp_path / "s", workers=2)
    assert copies_per_image(tmp_path / "s") == copies_per_image(tmp_path / "w1")
    images = lambda root: {p.name: p.read_bytes() for p in (root / "images").iterdir()}  # noqa: E731
    assert images(tmp_path / "s") == images(tmp_path / "w1")


def test_when_applies_a_step_only_to_matching_images(rare_dataset, tmp_path):
    steps = [{"HorizontalFlip": {"p": 1.0, "when": {"has_class": ["rare"], "min_instances": 1}}}]
    augcli.expand(rare_dataset, recipe(2, steps), tmp_path / "out", workers=1)
    rows = [
        json.loads(line)
        for line in (tmp_path / "out" / ".augcli" / "provenance.jsonl").read_text().splitlines()
    ]
    split = split_of_json(rare_dataset)
    flipped = {row["key"] for row in rows if row["ops"]}
    assert flipped == {k for k, c in split.items() if c["rare"]}
    many = [{"HorizontalFlip": {"p": 1.0, "when": {"min_instances": 4}}}]
    augcli.expand(rare_dataset, recipe(1, many), tmp_path / "many", workers=1)
    rows = (tmp_path / "many" / ".augcli" / "provenance.jsonl").read_text().splitlines()
    crowded = {k for k, c in split_of_json(rare_dataset, crowd=True).items() if sum(c.values()) >= 4}
    assert {row["key"] for row in map(json.loads, rows) if row["ops"]} == crowded and crowded


def test_dry_run_reports_the_plan_per_class(rare_dataset, tmp_path):
    block = {"mode": "target_instances", "target": "max"}
    report = augcli.expand(rare_dataset, recipe(block), tmp_path / "out", dry_run=True, workers=1)
    split = split_of_json(rare_dataset)
    planned = naive_greedy(split, "max")
    assert report.images_out == len(split) + sum(planned.values())
    everything = split_of_json(rare_dataset, crowd=True)
    for name, row in report.class_plan["default"].items():
        holding = [k for k, c in everything.items() if c[name]]
        assert row["instances"] == sum(everything[k][name] for k in holding)
        assert row["copies"] == sum(planned[k] for k in holding)
        assert row["expected"] == sum(everything[k][name] * (1 + planned[k]) for k in holding)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_target_over_max_total_is_capped_with_a_warning(rare_dataset, tmp_path):
    block = {"mode": "target_instances", "target": "max", "max_total": 3}
    report = augcli.expand(rare_dataset, recipe(block), tmp_path / "out", dry_run=True, workers=1)
    assert report.images_out == 100 + 3
    assert any("max_total 3" in w and "capped" in w for w in report.warnings)


def test_copies_option_overrides_the_block(rare_dataset, tmp_path):
    block = {"mode": "per_class", "classes": {"rare": 5}}
    report = augcli.expand(rare_dataset, recipe(block), tmp_path / "out", copies=1, workers=1)
    assert set(copies_per_image(tmp_path / "out").values()) == {1} and report.class_plan is None


@pytest.mark.parametrize(
    "changes",
    [
        {"copies": {"mode": "per_class", "classes": {"scooter": 3}}},
        {"pipeline": [{"HorizontalFlip": {"when": {"has_class": ["scooter"]}}}]},
        {
            "pipeline": [
                {"OneOf": {"transforms": [{"HorizontalFlip": {}}], "when": {"has_class": ["scooter"]}}}
            ]
        },
    ],
)
def test_unknown_class_names_are_recipe_errors_listing_the_classes(rare_dataset, tmp_path, changes):
    with pytest.raises(RecipeError) as caught:
        augcli.expand(rare_dataset, {**recipe(1), **changes}, tmp_path / "out", workers=1)
    message = str(caught.value)
    assert "'scooter'" in message and "common, medium, rare, unused" in message
    assert not (tmp_path / "out").exists()


def test_cli_recipe_errors_are_one_line_with_exit_3(rare_dataset, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncopies: {mode: per_class, classes: {scooter: 2}}\npipeline: []\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "augcli",
            "expand",
            str(rare_dataset),
            "-r",
            str(bad),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "scooter" in result.stderr and "common" in result.stderr
    for text in ("copies: {mode: sometimes}", "copies: {mode: repeat_factor, threshold: -1}"):
        bad.write_text(f"version: 1\n{text}\npipeline: []\n")
        result = subprocess.run(
            [sys.executable, "-m", "augcli", "validate", str(bad)], capture_output=True, text=True, cwd=REPO
        )
        assert result.returncode == 3 and "copies" in result.stderr and "(line 2)" in result.stderr


def test_an_interrupted_class_planned_run_resumes_to_the_same_tree_and_counts(tmp_path):
    data = make_imbalanced_coco(tmp_path / "d", images=30, rare_images=2, seed=8)
    block = {"mode": "repeat_factor", "threshold": 0.2}
    whole = augcli.expand(data, recipe(block), tmp_path / "whole", workers=1)

    def interrupt(result, task, seen=[]):  # noqa: B006 (a counter shared by the calls of one run)
        seen.append(result)
        if len(seen) == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        augcli.expand(data, recipe(block), tmp_path / "cut", workers=1, on_result=interrupt)
    resumed = augcli.expand(data, recipe(block), tmp_path / "cut", workers=2, resume=True)
    assert tree_digest(tmp_path / "whole") == tree_digest(tmp_path / "cut")
    assert resumed.classes == whole.classes
    again = augcli.expand(data, recipe(block), tmp_path / "cut", workers=1, resume=True)  # finished
    assert again.classes == whole.classes
