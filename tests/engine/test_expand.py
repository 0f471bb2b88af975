"""End-to-end behaviour of expand: determinism, identity, output safety, reports."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augcli
from augcli.core.errors import UsageError

RANDOM_RECIPE = {
    "version": 1,
    "seed": 7,
    "copies": 2,
    "keep_original": True,
    "pipeline": [
        {"HorizontalFlip": {"p": 0.5}},
        {"Affine": {"rotate": [-20, 20], "scale": [0.8, 1.2], "p": 0.9}},
        {
            "OneOf": {
                "p": 0.8,
                "transforms": [
                    {"GaussianBlur": {"sigma_limit": [0.2, 1.5]}},
                    {"GaussNoise": {"std_range": [0.02, 0.08]}},
                ],
            }
        },
        {"CoarseDropout": {"p": 0.5}},
        {"RandomBrightnessContrast": {"p": 0.5}},
    ],
}


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def annotation_file(root: Path) -> Path:
    found = sorted(root.rglob("*.json"))
    assert len(found) == 1, found
    return found[0]


def test_workers_one_and_two_write_identical_trees(sample_dataset, tmp_path):
    one = augcli.expand(sample_dataset, RANDOM_RECIPE, tmp_path / "w1", workers=1)
    two = augcli.expand(sample_dataset, RANDOM_RECIPE, tmp_path / "w2", workers=2)
    assert one.images_out == two.images_out == one.images_in * 3
    assert tree_digest(tmp_path / "w1") == tree_digest(tmp_path / "w2")


def test_other_seed_changes_the_output(sample_dataset, tmp_path):
    augcli.expand(sample_dataset, RANDOM_RECIPE, tmp_path / "a", workers=1)
    augcli.expand(sample_dataset, RANDOM_RECIPE, tmp_path / "b", workers=1, seed=8)
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "b")


def test_empty_pipeline_round_trips_the_annotation_file(sample_dataset, tmp_path):
    recipe = {"version": 1, "copies": 0, "keep_original": True, "pipeline": []}
    report = augcli.expand(sample_dataset, recipe, tmp_path / "out", workers=1)
    source_json = annotation_file(sample_dataset)
    out_json = tmp_path / "out" / source_json.relative_to(sample_dataset)
    assert json.loads(out_json.read_text()) == json.loads(source_json.read_text())
    for path in sorted((sample_dataset / "images").iterdir()):
        assert (tmp_path / "out" / "images" / path.name).read_bytes() == path.read_bytes()
    assert report.annotations_out == report.annotations_in


def test_augmented_copies_are_named_and_numbered_after_the_input(sample_dataset, tmp_path):
    recipe = dict(RANDOM_RECIPE, copies=2)
    augcli.expand(sample_dataset, recipe, tmp_path / "out", workers=1)
    source = json.loads(annotation_file(sample_dataset).read_text())
    out = json.loads(annotation_file(tmp_path / "out").read_text())
    max_image = max(im["id"] for im in source["images"])
    max_ann = max(a["id"] for a in source["annotations"])
    originals = out["images"][: len(source["images"])]
    assert originals == source["images"]
    augmented = out["images"][len(source["images"]) :]
    assert [im["id"] for im in augmented] == list(range(max_image + 1, max_image + 1 + len(augmented)))
    new_anns = [a for a in out["annotations"] if a["id"] > max_ann]
    assert [a["id"] for a in new_anns] == list(range(max_ann + 1, max_ann + 1 + len(new_anns)))
    for im in augmented:
        stem, ext = Path(im["file_name"]).stem, Path(im["file_name"]).suffix
        assert stem.rsplit("__aug", 1)[1] in {"1", "2"}
        path = tmp_path / "out" / "images" / Path(im["file_name"]).name
        with Image.open(path) as decoded:
            assert decoded.size == (im["width"], im["height"])
            assert decoded.format == ("PNG" if ext.lower() == ".png" else "JPEG")


def test_labels_stay_inside_their_images(sample_dataset, tmp_path):
    augcli.expand(sample_dataset, RANDOM_RECIPE, tmp_path / "out", workers=1)
    out = json.loads(annotation_file(tmp_path / "out").read_text())
    sizes = {im["id"]: (im["width"], im["height"]) for im in out["images"]}
    for ann in out["annotations"]:
        w, h = sizes[ann["image_id"]]
        x, y, bw, bh = ann["bbox"]
        assert -1e-6 <= x and -1e-6 <= y and x + bw <= w + 1e-3 and y + bh <= h + 1e-3
        assert bw > 0 and bh > 0 and ann["area"] > 0
        if isinstance(ann.get("segmentation"), list):
            for ring in ann["segmentation"]:
                pts = np.asarray(ring).reshape(-1, 2)
                assert len(ring) % 2 == 0 and len(pts) >= 3
                assert pts[:, 0].min() >= x - 1e-2 and pts[:, 0].max() <= x + bw + 1e-2


def test_output_inside_input_is_refused(sample_dataset):
    with pytest.raises(UsageError, match="inside the input"):
        augcli.expand(sample_dataset, RANDOM_RECIPE, sample_dataset / "out")


def test_non_empty_output_needs_overwrite_and_an_augcli_marker(sample_dataset, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        augcli.expand(sample_dataset, RANDOM_RECIPE, foreign)
    with pytest.raises(UsageError, match="not written by augcli"):
        augcli.expand(sample_dataset, RANDOM_RECIPE, foreign, overwrite=True)
    assert (foreign / "keep.txt").read_text() == "mine"
    out = tmp_path / "out"
    augcli.expand(sample_dataset, RANDOM_RECIPE, out, workers=1)
    first = tree_digest(out)
    augcli.expand(sample_dataset, RANDOM_RECIPE, out, workers=1, overwrite=True)
    assert tree_digest(out) == first


def test_dry_run_writes_nothing(sample_dataset, tmp_path):
    report = augcli.expand(sample_dataset, RANDOM_RECIPE, tmp_path / "out", dry_run=True)
    assert not (tmp_path / "out").exists()
    assert report.images_out == report.images_in * 3


def test_missing_image_is_skipped_and_reported(sample_dataset, tmp_path):
    victim = sorted((sample_dataset / "images").iterdir())[0]
    victim.unlink()
    report = augcli.expand(sample_dataset, RANDOM_RECIPE, tmp_path / "out", workers=1)
    assert any(victim.name in json.dumps(s) for s in report.skipped)
    lines = (tmp_path / "out" / ".augcli" / "report.jsonl").read_text().splitlines()
    assert any(victim.name in line for line in lines)
    out = json.loads(annotation_file(tmp_path / "out").read_text())
    # no copies of it and no entry naming a file OUT lacks (the report keeps the entry raw)
    assert not [im for im in out["images"] if victim.stem in im["file_name"]]
    assert any(
        isinstance(s.get("raw"), dict) and s["raw"].get("file_name") == victim.name for s in report.skipped
    )
    assert not any(
        p.stem.startswith(victim.stem) for p in (tmp_path / "out").rglob("*.*") if p.suffix != ".json"
    )
