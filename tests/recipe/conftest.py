"""Register the ``_Test*`` transforms for every recipe test, and remove them after."""

from __future__ import annotations

import pytest
from recipe_fakes import register_fakes, unregister_fakes


@pytest.fixture(autouse=True)
def fake_transforms():
    register_fakes()
    yield
    unregister_fakes()
