"""Shared fixtures: the bundled sample dataset copied somewhere writable."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "sample_data"
CONFORMANCE = REPO.parent / "shared" / "conformance"


@pytest.fixture
def sample_dataset(tmp_path: Path) -> Path:
    """A private copy of sample_data/ (tests may write next to it)."""
    target = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, target)
    return target
