"""augcli: expand a labeled image dataset offline with label-aware augmentations."""

__version__ = "0.1.0"


def expand(*args, **kwargs):
    """Expand a dataset; see ``augcli.engine.runner.expand``."""
    from augcli.engine.runner import expand as _expand

    return _expand(*args, **kwargs)


__all__ = ["expand", "__version__"]
