"""docs/transforms.md's catalogue section is what scripts/gen_transform_docs.py makes from the registry."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
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


def test_the_module_table_is_what_the_generator_writes():
    gen = _generator()
    assert gen.MODULES_FILE.read_text(encoding="utf-8") == gen.render_modules_file(), (
        "augcli/transforms/modules.py is out of date: run python scripts/gen_transform_docs.py"
    )


def test_each_listed_module_registers_its_transforms_in_a_fresh_process():
    """Importing MODULES[name] alone registers name, so a recipe's lookup never misses one."""
    script = """
import importlib
from augcli.transforms.base import REGISTRY
from augcli.transforms.modules import MODULES
missed = []
for name, module in MODULES.items():
    if name not in REGISTRY:
        importlib.import_module(module)
        if name not in REGISTRY:
            missed.append(name)
print(missed)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_recipe_imports_only_the_transform_modules_it_names():
    script = """
import sys
from augcli.recipe.recipe import recipe_from_dict
recipe_from_dict({"version": 1, "pipeline": [{"HorizontalFlip": {"p": 0.5}}, {"GaussNoise": {}}]})
print(sorted(m for m in sys.modules if m.startswith("augcli.transforms.") and m.count(".") == 3))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(done.stdout)
    assert "augcli.transforms.geometric.flips" in loaded and "augcli.transforms.pixel.noise" in loaded
    assert (
        "augcli.transforms.pixel.corrupt" not in loaded and "augcli.transforms.policies.augmix" not in loaded
    )
