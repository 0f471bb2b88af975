"""Where the built-in transforms live, so a recipe imports only the modules it names.

``transforms.modules.MODULES`` (written by scripts/gen_transform_docs.py, kept
in sync by a test) maps each built-in name to the module that registers it.
Importing the other 90-odd modules would cost every process 0.1-0.2 CPU-s; a recipe
names a handful.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping

from augcli.transforms.base import REGISTRY, Transform
from augcli.transforms.modules import MODULES

PACKAGES = ("dropout", "geometric", "mixing", "pixel", "policies")


def transform_class(name: str) -> type[Transform] | None:
    """The class registered as ``name``, importing its module first if it is a built-in."""
    cls = REGISTRY.get(name)
    if cls is None and name in MODULES:
        importlib.import_module(MODULES[name])
        cls = REGISTRY.get(name)
    return cls


class TransformNames(Mapping[str, type[Transform]]):
    """Name -> class for every built-in and registered transform; a module is imported on first use."""

    def __getitem__(self, name: str) -> type[Transform]:
        cls = transform_class(name)
        if cls is None:
            raise KeyError(name)
        return cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in MODULES or name in REGISTRY)

    def __iter__(self) -> Iterator[str]:
        yield from MODULES
        yield from (name for name in REGISTRY if name not in MODULES)

    def __len__(self) -> int:
        return len(MODULES) + sum(1 for name in REGISTRY if name not in MODULES)


def transform_modules() -> list[str]:
    """Every module of the transform packages (what ``MODULES`` must cover)."""
    found = []
    for package in PACKAGES:
        root = importlib.import_module(f"augcli.transforms.{package}")
        found += [info.name for info in pkgutil.iter_modules(root.__path__, root.__name__ + ".")]
    return sorted(found)


def load_all() -> dict[str, type[Transform]]:
    """Import every transform module and return the registry (name -> class)."""
    for module in transform_modules():
        importlib.import_module(module)
    return REGISTRY
