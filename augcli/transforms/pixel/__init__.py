"""Photometric transforms: they change pixel values only, never a label.

Importing this package registers every pixel transform.
"""
from augcli.transforms.pixel import blur, color, compression, noise, tone  # noqa: F401
# The catalogue's colour, weather and corruption transforms (issue 4).
from augcli.transforms.pixel import (  # noqa: F401
    channel_mix, corrupt, filters, histogram, lens, lighting, optics, resolution, sensor_noise,
    weather,
)

__all__ = ["blur", "color", "compression", "noise", "tone"]
