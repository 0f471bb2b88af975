"""Folding warps end to end: counted in the run report, deterministic across workers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from rich.console import Console

import augcli
from augcli.cli.summary import print_summary

FOLDING_RECIPE = {
    "version": 1,
    "seed": 3,
    "copies": 2,
    "keep_original": False,
    "pipeline": [{"ThinPlateSpline": {"p": 1.0}}],  # the default strength folds
}


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_folded_instances_are_counted_and_workers_agree(sample_dataset, tmp_path):
    one = augcli.expand(sample_dataset, FOLDING_RECIPE, tmp_path / "w1", workers=1)
    two = augcli.expand(sample_dataset, FOLDING_RECIPE, tmp_path / "w2", workers=2)
    assert tree_digest(tmp_path / "w1") == tree_digest(tmp_path / "w2")
    assert one.raster_path == two.raster_path > 0
    provenance = [
        json.loads(line)
        for line in (tmp_path / "w1" / ".augcli" / "provenance.jsonl").read_text().splitlines()
    ]
    assert sum(p.get("raster_path", 0) for p in provenance) == one.raster_path
    console = Console(record=True, width=120)
    print_summary(one, console)
    row = next(line for line in console.export_text().splitlines() if "instances on folds" in line)
    assert row.replace("│", " ").split()[-1] == str(one.raster_path)
    again = augcli.expand(sample_dataset, FOLDING_RECIPE, tmp_path / "w1", workers=1, resume=True)
    assert again.raster_path == one.raster_path  # a finished run reports the same count
