"""Real public datasets for tests: the vendored subset first, then the team's conformance folder.

``conformance("datumaro/voc_dataset/voc_dataset1")`` returns the path under
``tests/data/`` when it is vendored there, else under ``../shared/conformance``
(beside the checkout), else skips the calling test with one reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENDORED = REPO / "tests" / "data"
SHARED = REPO.parent / "shared" / "conformance"
# A test module that reads the conformance data names this helper or the folder.
READS_SHARED = re.compile(r"\bconformance\b|/ \"shared\"")
SKIP_REASON = "needs ../shared/conformance (the team's conformance datasets), absent beside this checkout"


def conformance(relpath: str | Path) -> Path:
    """The conformance file or folder ``relpath``, or a skip of the calling test."""
    for root in (VENDORED, SHARED):
        path = root / relpath
        if path.exists():
            return path
    pytest.skip(SKIP_REASON)


def conformance_pair(source: str, images: str | None) -> tuple[Path, Path | None]:
    """An annotation path and its optional images folder, both resolved."""
    return conformance(source), conformance(images) if images else None


def reads_shared_data(path: Path) -> bool:
    """Whether the test module at ``path`` may behave differently without ../shared beside the checkout."""
    return bool(READS_SHARED.search(path.read_text(encoding="utf-8")))
