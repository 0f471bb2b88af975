"""``--yolo-task``: what each task writes from the sample data, and what it says it dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import augcli
from augcli.cli.app import app
from augcli.core.errors import UsageError

CONVERT = {"version": 1, "copies": 0, "pipeline": []}
SAMPLE_JOINTS = 17


def sample_counts(dataset: Path) -> dict[str, int]:
    data = json.loads(next((dataset / "annotations").glob("*.json")).read_text())
    kept = [a for a in data["annotations"] if not a.get("iscrowd")]
    return {
        "instances": len(kept),
        "with_keypoints": sum(1 for a in kept if any(a.get("keypoints") or [])),
        "with_shape": sum(1 for a in kept if a.get("segmentation")),
        "crowd": len(data["annotations"]) - len(kept),
    }


def line_kinds(out: Path) -> set[str]:
    kinds = set()
    for path in (out / "labels").rglob("*.txt"):
        for line in path.read_text().splitlines():
            values = len(line.split()) - 1
            if values == 4:
                kinds.add("detect")
            elif values == 4 + 3 * SAMPLE_JOINTS:
                kinds.add("pose")
            elif values >= 6 and values % 2 == 0:
                kinds.add("segment")
            else:
                kinds.add(f"? {values}")
    return kinds


def written_lines(out: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in (out / "labels").rglob("*.txt"))


def warning_count(warnings: list[str], text: str) -> int:
    found = [w for w in warnings if text in w]
    assert len(found) == 1, (text, warnings)
    return int(found[0].split()[0])


@pytest.mark.parametrize("task", ["auto", "detect", "segment", "pose"])
def test_every_yolo_task_on_the_sample_data(task, sample_dataset, tmp_path):
    counts = sample_counts(sample_dataset)
    out = tmp_path / task
    report = augcli.expand(sample_dataset, CONVERT, out, workers=1, to="yolo", yolo_task=task)
    written = "segment" if task == "auto" else task  # not every category has keypoints
    assert line_kinds(out) == {written}
    assert written_lines(out) == counts["instances"]
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert ("kpt_shape" in data) == (written == "pose")
    warnings = report.warnings
    assert any(f"writing YOLO {written} labels" in w for w in warnings)
    assert warning_count(warnings, "crowd regions dropped") == counts["crowd"]
    if written == "pose":
        assert data["kpt_shape"] == [SAMPLE_JOINTS, 3] and len(data["flip_idx"]) == SAMPLE_JOINTS
        missing = counts["instances"] - counts["with_keypoints"]
        assert warning_count(warnings, "instances without keypoints") == missing
    else:
        assert warning_count(warnings, "instances lost their keypoints") == counts["with_keypoints"]
    if written != "segment":
        assert warning_count(warnings, "lost their polygon or mask") == counts["with_shape"]
    else:
        assert not [w for w in warnings if "lost their polygon or mask" in w]


def test_yolo_task_on_the_command_line_and_in_the_recipe(sample_dataset, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump(dict(CONVERT, output={"yolo_task": "detect"})))
    args = ["expand", str(sample_dataset), "-r", str(recipe), "--to", "yolo", "-q", "--workers", "1"]
    result = CliRunner().invoke(app, args + ["-o", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert line_kinds(tmp_path / "a") == {"detect"}
    result = CliRunner().invoke(app, args + ["-o", str(tmp_path / "b"), "--yolo-task", "pose"])
    assert result.exit_code == 0, result.output
    assert line_kinds(tmp_path / "b") == {"pose"}
    result = CliRunner().invoke(app, args + ["-o", str(tmp_path / "c"), "--yolo-task", "boxes"])
    assert result.exit_code == 2 and "boxes" in result.stderr


def test_pose_needs_keypoints(tmp_path):
    from format_helpers import noise_image, save_image

    root = tmp_path / "data"
    save_image(root / "images" / "a.png", noise_image(8, 6))
    data = {
        "categories": [{"id": 1, "name": "thing"}],
        "images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2], "area": 4}],
    }
    (root / "annotations").mkdir()
    (root / "annotations" / "instances.json").write_text(json.dumps(data))
    with pytest.raises(UsageError, match="needs keypoints"):
        augcli.expand(root, CONVERT, tmp_path / "out", to="yolo", yolo_task="pose")
