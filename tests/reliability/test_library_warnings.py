"""numpy/Pillow warnings raised while items are processed are recorded, never printed:
one report line, every row (category, message, image, count) in OUT/.augcli/warnings.jsonl."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from reliability_helpers import RECIPE, make_dataset, tree_digest

import augcli
from augcli.engine.library_warnings import WARNINGS_FILE
from augcli.formats.coco import reader as coco_reader

VICTIM = "img_01.png"


@pytest.fixture
def warning_decoder(monkeypatch):
    """The COCO reader's decoder, warning like numpy and Pillow do on odd inputs (for one image)."""
    real = coco_reader.decode_image

    def decode(path, *args, **kwargs):
        if str(path).endswith(VICTIM):
            np.array([1.0]) / np.array([0.0])  # RuntimeWarning: divide by zero
            warnings.warn("Possibly corrupt EXIF data.\n  second line", UserWarning, stacklevel=1)
            warnings.warn("Possibly corrupt EXIF data.\n  second line", UserWarning, stacklevel=1)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(coco_reader, "decode_image", decode)


@pytest.mark.parametrize("workers", [1, 2])
def test_worker_warnings_land_in_the_report(tmp_path, warning_decoder, capfd, workers):
    data = make_dataset(tmp_path / "data")
    report = augcli.expand(data, RECIPE, tmp_path / "out", workers=workers)

    printed = capfd.readouterr()
    assert "Warning" not in printed.err and "Warning" not in printed.out
    rows = [
        json.loads(line) for line in (tmp_path / "out" / ".augcli" / WARNINGS_FILE).read_text().splitlines()
    ]
    assert rows == report.library_warnings
    by_kind = {row["warning"]: row for row in rows}
    assert set(by_kind) == {"RuntimeWarning", "UserWarning"}
    assert all(row["image"].endswith(VICTIM) and row["file"].endswith(VICTIM) for row in rows)
    assert by_kind["UserWarning"]["message"] == "Possibly corrupt EXIF data.\\n  second line"  # escaped
    # one load per task: the copies share it, the two identical warnings are one row counted twice
    assert by_kind["UserWarning"]["count"] == 2
    assert (
        "numpy" in by_kind["RuntimeWarning"]["where"] or "test_library" in by_kind["RuntimeWarning"]["where"]
    )
    lines = [w for w in report.warnings if w.startswith("libraries raised")]
    assert len(lines) == 1 and "3 warnings on 1 image" in lines[0] and WARNINGS_FILE in lines[0]


def test_warnings_do_not_change_the_output(tmp_path, monkeypatch):
    data = make_dataset(tmp_path / "data")
    augcli.expand(data, RECIPE, tmp_path / "plain", workers=1)
    real = coco_reader.decode_image

    def noisy(path, *args, **kwargs):
        warnings.warn("odd file", UserWarning, stacklevel=1)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(coco_reader, "decode_image", noisy)
    augcli.expand(data, RECIPE, tmp_path / "noisy", workers=2)
    skip = lambda p: p.name == WARNINGS_FILE  # noqa: E731
    assert tree_digest(tmp_path / "plain", skip) == tree_digest(tmp_path / "noisy", skip)
    assert not (tmp_path / "plain" / ".augcli" / WARNINGS_FILE).exists()


def test_cli_prints_one_line_per_run(tmp_path):
    """Through the CLI (a fresh interpreter with default warning filters), the decoder's
    warning reaches stderr as one report line, never as Python's two-line warning text."""
    data = make_dataset(tmp_path / "data")
    script = (
        "import sys, warnings\n"
        "from augcli.formats.coco import reader\n"
        "real = reader.decode_image\n"
        "def decode(path, *a, **k):\n"
        "    warnings.warn('Possibly corrupt EXIF data', UserWarning)\n"
        "    return real(path, *a, **k)\n"
        "reader.decode_image = decode\n"
        "from augcli.cli.app import main\n"
        "sys.argv = ['augcli', 'expand', sys.argv[1], '--recipe', sys.argv[2], '--out', sys.argv[3]]\n"
        "main()\n"
    )
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(json.dumps(RECIPE))
    done = subprocess.run(
        [sys.executable, "-c", script, str(data), str(recipe), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    mentions = [line for line in done.stderr.splitlines() if "EXIF" in line or "warnings.warn" in line]
    assert len(mentions) == 1, done.stderr  # Python's own display is a location line plus a code line
    assert "libraries raised" in mentions[0] and "UserWarning: Possibly corrupt EXIF data" in mentions[0]
