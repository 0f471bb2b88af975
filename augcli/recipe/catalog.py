"""Every name a recipe may use: the registered transforms plus the containers.

Containers live here rather than in ``transforms.base.REGISTRY`` because they
are composition, not transforms: they make no Op, so the registry's contract
tests (pickling, p=0 is identity...) do not apply to them. Transform modules
are imported on the first lookup of a name they define
(``transforms.catalog.TransformNames``), so a recipe pays only for its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from augcli.recipe.compose import CONTAINERS
from augcli.transforms.base import Transform
from augcli.transforms.catalog import TransformNames


class RecipeNames(Mapping[str, type[Transform]]):
    """The containers, then every transform (built-in or registered later)."""

    def __init__(self) -> None:
        self._transforms = TransformNames()
        clash = sorted(name for name in CONTAINERS if name in self._transforms)
        if clash:
            raise RuntimeError(f"transforms registered under container names: {', '.join(clash)}")

    def __getitem__(self, name: str) -> type[Transform]:
        container = CONTAINERS.get(name)
        return container if container is not None else self._transforms[name]

    def __contains__(self, name: object) -> bool:
        return name in CONTAINERS or name in self._transforms

    def __iter__(self) -> Iterator[str]:
        yield from self._transforms
        yield from CONTAINERS

    def __len__(self) -> int:
        return len(self._transforms) + len(CONTAINERS)


def full_registry() -> Mapping[str, type[Transform]]:
    """Name -> class for every transform and container a recipe may name."""
    return RecipeNames()
