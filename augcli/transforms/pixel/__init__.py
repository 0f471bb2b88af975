"""Photometric transforms: they change pixel values only, never a label.

Importing this package registers every pixel transform.
"""
from augcli.transforms.pixel import blur, color, compression, noise, tone  # noqa: F401

__all__ = ["blur", "color", "compression", "noise", "tone"]
