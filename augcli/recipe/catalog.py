"""Every name a recipe may use: the registered transforms plus the containers.

Containers live here rather than in ``transforms.base.REGISTRY`` because they
are composition, not transforms: they make no Op, so the registry's contract
tests (pickling, p=0 is identity...) do not apply to them.
"""

from __future__ import annotations

from augcli.recipe.compose import CONTAINERS
from augcli.transforms.base import REGISTRY, Transform


def full_registry() -> dict[str, type[Transform]]:
    """Name -> class for every transform and container a recipe may name."""
    from augcli.transforms.catalog import load_all

    names: dict[str, type[Transform]] = dict(load_all())
    names.update(REGISTRY)  # load_all() fills REGISTRY; later registrations count too
    clash = sorted(set(names) & set(CONTAINERS))
    if clash:
        raise RuntimeError(f"transforms registered under container names: {', '.join(clash)}")
    names.update(CONTAINERS)
    return names
