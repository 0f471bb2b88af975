"""Import every transform module once, so the registry is complete."""

from __future__ import annotations

from augcli.transforms.base import REGISTRY, Transform


def load_all() -> dict[str, type[Transform]]:
    """Register every built-in transform and return the registry (name -> class)."""
    import augcli.transforms.dropout  # noqa: F401
    import augcli.transforms.geometric  # noqa: F401
    import augcli.transforms.mixing  # noqa: F401
    import augcli.transforms.pixel  # noqa: F401
    import augcli.transforms.policies  # noqa: F401

    return REGISTRY
