"""docs/transforms.md's catalogue section is what scripts/gen_transform_docs.py makes from the registry."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_transform_docs", REPO / "scripts" / "gen_transform_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_transform_catalogue_in_the_docs_matches_the_registry():
    gen = _generator()
    text = gen.DOC.read_text(encoding="utf-8")
    assert gen.updated(text) == text, (
        "docs/transforms.md is out of date: run python scripts/gen_transform_docs.py"
    )


def test_every_registered_transform_is_in_the_catalogue():
    from augcli.recipe.catalog import full_registry

    section = _generator().render_catalogue()
    missing = [name for name in full_registry() if f"| `{name}` |" not in section]
    assert missing == []
