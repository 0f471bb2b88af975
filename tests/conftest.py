"""Shared fixtures: the bundled sample dataset copied somewhere writable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conformance import reads_shared_data
from hypothesis import settings

# No per-example deadline (a loaded 2-core CI machine is slow, not wrong); in CI
# the examples are derandomized so a run is reproducible from its log.
settings.register_profile("augcli", deadline=None)
settings.register_profile("augcli-ci", deadline=None, derandomize=True)
settings.load_profile("augcli-ci" if os.environ.get("CI") else "augcli")

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO / "sample_data"


@pytest.fixture
def sample_dataset(tmp_path: Path) -> Path:
    """A private copy of sample_data/ (tests may write next to it)."""
    target = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, target)
    return target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``shared_data`` the tests of modules that read ../shared (the fresh clone runs those)."""
    verdicts: dict[Path, bool] = {}
    for item in items:
        path = Path(item.path)
        if path not in verdicts:
            verdicts[path] = reads_shared_data(path)
        if verdicts[path]:
            item.add_marker(pytest.mark.shared_data)
