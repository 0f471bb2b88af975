"""Photometric transforms: they change pixel values only, never a label.

Importing this package registers every pixel transform.
"""

# The catalogue's colour, weather and corruption transforms (issue 4).
from augcli.transforms.pixel import (  # noqa: F401  # noqa: F401
    blur,
    channel_mix,
    color,
    compression,
    corrupt,
    filters,
    gravel,
    histogram,
    lens,
    lighting,
    noise,
    optics,
    resolution,
    sensor_noise,
    tone,
    weather,
)

__all__ = ["blur", "color", "compression", "noise", "tone"]
