"""``augcli stats``: counts against independent counts, the label-only reader path, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from class_data import count_from_json, make_imbalanced_coco

import augcli
from augcli.engine.stats import SIZE_EDGES, STATS_SCHEMA_VERSION, dataset_stats
from augcli.formats.registry import open_reader

REPO = Path(__file__).resolve().parents[2]
COPY_ONLY = {"version": 1, "copies": 0, "pipeline": []}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "augcli", *args], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_counts_match_an_independent_count_of_the_json(tmp_path):
    path = make_imbalanced_coco(tmp_path / "d", images=60, rare_images=3)
    split = dataset_stats(open_reader(path)).to_dict()["splits"]["default"]
    expected = count_from_json(path)
    assert split["classes"] == expected
    assert expected["unused"]["instances"] == 0 and expected["rare"]["images"] == 3

    doc = json.loads(path.read_text())
    per_image = Counter(a["image_id"] for a in doc["annotations"])
    histogram = Counter(per_image.get(img["id"], 0) for img in doc["images"])
    assert split["instances_per_image"]["histogram"] == {str(k): v for k, v in sorted(histogram.items())}
    areas = np.array([a["bbox"][2] * a["bbox"][3] for a in doc["annotations"]])
    assert split["box_sizes"] == {
        "small": int((areas < 32**2).sum()),
        "medium": int(((areas >= 32**2) & (areas < 96**2)).sum()),
        "large": int((areas >= 96**2).sum()),
    }
    sides = np.sqrt(areas)
    bins = [int(((sides >= lo) & (sides < hi)).sum()) for lo, hi in zip(SIZE_EDGES, SIZE_EDGES[1:])]
    assert split["box_size_histogram"]["counts"] == bins + [int((sides >= SIZE_EDGES[-1]).sum())]
    assert split["crowd"] == sum(a["iscrowd"] for a in doc["annotations"])


def test_keypoint_visibility_counts_on_the_sample(sample_dataset):
    doc = json.loads((next(sample_dataset.rglob("*.json"))).read_text())
    expected = Counter(v for a in doc["annotations"] for v in (a.get("keypoints") or [])[2::3])
    assert expected, "the sample data has keypoints"
    split = dataset_stats(open_reader(sample_dataset)).to_dict()["splits"]["default"]
    assert split["keypoint_visibility"] == {str(k): v for k, v in sorted(expected.items())}


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, Path]:
    """The sample data as written by every format (a copies: 0 conversion)."""
    base = tmp_path_factory.mktemp("formats")
    out = {"coco": REPO / "sample_data"}
    for fmt in ("voc", "yolo", "masks"):
        augcli.expand(REPO / "sample_data", COPY_ONLY, base / fmt, to=fmt, workers=1)
        out[fmt] = base / fmt
    return out


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "masks"])
def test_labels_are_what_load_gives_without_decoding(converted, fmt, monkeypatch):
    reader = open_reader(converted[fmt])
    loaded = {key: reader.load(key) for key in reader.keys()}
    # from here on no pixel may be decoded
    for module in ("augcli.formats.coco.reader", "augcli.formats.voc.reader", "augcli.formats.yolo.reader"):
        monkeypatch.setattr(f"{module}.decode_image", _no_decoding, raising=False)
    for key, sample in loaded.items():
        labels = reader.labels(key)
        inst = sample.instances
        np.testing.assert_array_equal(labels.labels, inst.labels)
        np.testing.assert_allclose(labels.boxes, inst.boxes, atol=1e-9)
        np.testing.assert_array_equal(labels.crowd, inst.crowd)
        if labels.width is not None:
            assert (labels.width, labels.height) == (sample.width, sample.height)
        if inst.keypoints is not None:
            counts = inst.kp_count if inst.kp_count is not None else [inst.keypoints.shape[1]] * len(inst)
            expected = [v for row, n in zip(inst.keypoints, counts) for v in row[:n, 2]]
            np.testing.assert_array_equal(labels.visibility, expected)


def _no_decoding(*args, **kwargs):
    raise AssertionError("labels() decoded an image")


def test_every_format_counts_the_same_classes(converted):
    by_format = {
        fmt: {
            name: c["instances"]
            for name, c in next(iter(dataset_stats(open_reader(p)).to_dict()["splits"].values()))[
                "classes"
            ].items()
        }
        for fmt, p in converted.items()
        if fmt != "masks"
    }
    doc = json.loads(next((REPO / "sample_data").rglob("*.json")).read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    expected = Counter(names[a["category_id"]] for a in doc["annotations"])
    assert by_format["coco"] == by_format["voc"] == dict(sorted(expected.items()))
    # YOLO cannot hold crowd regions: the conversion drops them (and warns), the rest is there
    crowd = Counter(names[a["category_id"]] for a in doc["annotations"] if a.get("iscrowd"))
    assert by_format["yolo"] == dict(sorted((expected - crowd + Counter(dict.fromkeys(expected, 0))).items()))


def test_cli_json_and_compare(tmp_path):
    source = make_imbalanced_coco(tmp_path / "a", images=30, rare_images=2, seed=1)
    other = make_imbalanced_coco(tmp_path / "b", images=50, rare_images=6, seed=2)
    result = run_cli("stats", str(source), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == dataset_stats(open_reader(source), str(source)).to_dict()

    result = run_cli("stats", str(source), "--compare", str(other), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == STATS_SCHEMA_VERSION == data["source"]["schema_version"]
    a, b = count_from_json(source), count_from_json(other)
    rare = data["comparison"]["default"]["classes"]["rare"]
    assert rare["instances"] == [a["rare"]["instances"], b["rare"]["instances"]]
    assert rare["images"] == [2, 6]
    assert rare["ratio"] == pytest.approx(b["rare"]["instances"] / a["rare"]["instances"], abs=1e-4)
    assert data["comparison"]["default"]["classes"]["unused"]["ratio"] is None  # 0 before: no ratio

    table = run_cli("stats", str(source), "--compare", str(other))
    assert table.returncode == 0, table.stderr
    assert "rare" in table.stdout and "ratio" in table.stdout


def test_cli_bad_source_is_one_line_exit_4(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    result = run_cli("stats", str(bad))
    assert result.returncode == 4
    assert result.stderr.strip().count("\n") == 0 and "not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_box_less_annotation_gets_the_box_load_derives(tmp_path):
    path = make_imbalanced_coco(tmp_path / "d", images=3, rare_images=1)
    doc = json.loads(path.read_text())
    ann = doc["annotations"][0]
    x, y, w, h = ann.pop("bbox")
    ann["segmentation"] = [[x, y, x + w, y, x + w * 0.5, y + h]]
    path.write_text(json.dumps(doc))
    reader = open_reader(path)
    key = next(k for k in reader.keys() if reader.labels(k).labels.size)
    np.testing.assert_allclose(reader.labels(key).boxes, reader.load(key).instances.boxes)
    np.testing.assert_allclose(reader.labels(key).boxes[0], [x, y, x + w, y + h])
