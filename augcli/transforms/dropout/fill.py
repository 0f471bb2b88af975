"""Filling dropped pixels, and the parameter checks every dropout transform shares.

A fill is a number, one number per channel, or one of ``FILL_MODES``:
'random' (noise per pixel), 'random_uniform' (one random colour per hole or
region), 'inpaint_telea' / 'inpaint_ns' (OpenCV inpainting). A single number
or a colour-only tuple leaves an alpha channel untouched; a tuple with one
value per channel, alpha included, fills alpha too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from augcli.core.errors import TransformError
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import keep_shape, max_value, num_channels, split_alpha

FILL_MODES = ("random", "random_uniform", "inpaint_telea", "inpaint_ns")
Hole = tuple[int, int, int, int]  # x1, y1, x2, y2 in pixels, end exclusive

FILL_DOC = (
    "hole fill: a number, one number per channel, 'random' (noise), 'random_uniform' "
    "(one random colour per hole), 'inpaint_telea' or 'inpaint_ns'"
)
FILL_MASK_DOC = (
    "class written into the semantic map under the holes; null (the default) leaves "
    "the map as it is: the object is occluded, not gone"
)


def fill_param(default: Any = 0, doc: str = FILL_DOC) -> Param:
    return Param("fill", "any", default, doc, shape="number, [numbers per channel] or a fill name")


def fill_mask_param(default: int | None = None, doc: str = FILL_MASK_DOC) -> Param:
    return Param("fill_mask", "any", default, doc, nullable=True, shape="int")


def holes_covered(holes: Sequence[Hole], height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), dtype=bool)
    for x1, y1, x2, y2 in holes:
        mask[y1:y2, x1:x2] = True
    return mask


def fill_holes(
    image: np.ndarray, holes: Sequence[Hole], covered: np.ndarray, fill: Any, seed: int
) -> np.ndarray:
    """A copy of ``image`` with rectangular holes filled ('random_uniform': one colour per hole)."""
    if fill == "random_uniform":
        out = image.copy()
        colours = num_channels(split_alpha(image)[0])
        rng = np.random.default_rng(seed)
        for hole in holes:
            colour = rng.integers(0, max_value(image) + 1, size=colours, dtype=image.dtype)
            _region(out, hole, colours)[...] = colour[0] if image.ndim == 2 else colour
        return out
    if fill in FILL_MODES:
        return fill_pixels(image, covered, fill, seed)
    value, width = _constant(image, fill)
    out = image.copy()
    for hole in holes:
        _region(out, hole, width)[...] = value
    return out


def fill_pixels(
    image: np.ndarray, covered: np.ndarray, fill: Any, seed: int, regions: Sequence[np.ndarray] | None = None
) -> np.ndarray:
    """A copy of ``image`` with the ``covered`` pixels filled.

    'random_uniform' paints each of ``regions`` (boolean maps) in one colour,
    or all covered pixels in one colour when no regions are given.
    """
    out = image.copy()
    if not covered.any():
        return out
    colours = num_channels(split_alpha(image)[0])
    maxv = max_value(image)
    if fill in ("random", "random_uniform"):
        rng = np.random.default_rng(seed)
        if fill == "random":
            count = int(np.count_nonzero(covered))
            shape = (count,) if image.ndim == 2 else (count, colours)
            _channels(out, colours)[covered] = rng.integers(0, maxv + 1, size=shape, dtype=image.dtype)
            return out
        for region in regions if regions is not None else [covered]:
            colour = rng.integers(0, maxv + 1, size=colours, dtype=image.dtype)
            _channels(out, colours)[region] = colour[0] if image.ndim == 2 else colour
        return out
    if fill in ("inpaint_telea", "inpaint_ns"):
        _channels(out, colours)[covered] = _inpaint(image, covered, colours, fill)[covered]
        return out
    value, width = _constant(image, fill)
    _channels(out, width)[covered] = value
    return out


def _constant(image: np.ndarray, fill: Any) -> tuple[Any, int]:
    """(value to assign, how many leading channels it covers) for a numeric fill."""
    values = np.clip(np.rint(np.asarray(fill, dtype=np.float64).reshape(-1)), 0, max_value(image))
    colours = num_channels(split_alpha(image)[0])
    if len(values) == 1:
        return values[0].astype(image.dtype), colours
    if image.ndim == 2:
        raise TransformError(f"fill has {len(values)} values for a single-channel image")
    if len(values) not in (colours, num_channels(image)):
        raise TransformError(
            f"fill has {len(values)} values for an image with {num_channels(image)} channels"
        )
    return values.astype(image.dtype), len(values)


def _channels(image: np.ndarray, count: int) -> np.ndarray:
    return image if image.ndim == 2 else image[..., :count]


def _region(image: np.ndarray, hole: Hole, count: int) -> np.ndarray:
    x1, y1, x2, y2 = hole
    return image[y1:y2, x1:x2] if image.ndim == 2 else image[y1:y2, x1:x2, :count]


def _inpaint(image: np.ndarray, covered: np.ndarray, colours: int, mode: str) -> np.ndarray:
    """OpenCV inpainting of the colour channels (8-bit; uint16 goes through its 8-bit view)."""
    colour = np.ascontiguousarray(_channels(image, colours))
    if colours not in (1, 3):
        raise TransformError(f"inpainting needs 1 or 3 colour channels, got {colours}")
    src = colour if colour.dtype == np.uint8 else ((colour.astype(np.uint32) + 128) // 257).astype(np.uint8)
    flag = cv2.INPAINT_TELEA if mode == "inpaint_telea" else cv2.INPAINT_NS
    filled = keep_shape(cv2.inpaint(src, covered.astype(np.uint8), 3, flag), src)
    return filled if colour.dtype == np.uint8 else filled.astype(np.uint16) * 257


def fill_semantic(
    semantic: np.ndarray | None, covered: np.ndarray, fill_mask: int | None
) -> np.ndarray | None:
    """The semantic map with ``fill_mask`` under the covered pixels (unchanged when None)."""
    if fill_mask is None or semantic is None or not covered.any():
        return semantic
    out = semantic.copy()
    out[covered] = fill_mask
    return out


# -- parameter checks ---------------------------------------------------------------------------


def check_fill(value: Any, name: str = "fill", modes: Sequence[str] = FILL_MODES) -> Any:
    """A number, a tuple of numbers, or one of ``modes``; returns the normalised value."""
    if isinstance(value, str):
        if value not in modes:
            named = f" or one of {', '.join(modes)}" if modes else ""
            raise ParamError(f"{name} must be a number or a list of numbers{named}, got {value!r}", name)
        return value
    numbers = value if isinstance(value, (list, tuple)) else [value]
    if not numbers or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in numbers):
        raise ParamError(f"{name} values must be non-negative numbers, got {value!r}", name)
    return tuple(float(v) for v in value) if isinstance(value, (list, tuple)) else float(value)


def check_class(value: Any, name: str = "fill_mask") -> int | None:
    """None or a non-negative integer class of the semantic map."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value < 0
        or not float(value).is_integer()
    ):
        raise ParamError(f"{name} must be null or a non-negative integer class, got {value!r}", name)
    return int(value)


def hole_range(name: str, value: Any) -> tuple[str, float, float]:
    """('px', lo, hi) for integer pixel sizes, ('frac', lo, hi) for fractions of the side."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
    ):
        raise ParamError(
            f"{name} must be [min, max] of ints (pixels) or floats (fractions), got {value!r}", name
        )
    lo, hi = value
    if lo > hi:
        raise ParamError(f"{name} must have min <= max, got {list(value)}", name)
    if all(isinstance(v, int) for v in value):
        if lo < 1:
            raise ParamError(f"{name} in pixels must be >= 1, got {list(value)}", name)
        return ("px", int(lo), int(hi))
    if not (0 < lo and hi <= 1):
        raise ParamError(f"{name} as fractions must lie in (0, 1], got {list(value)}", name)
    return ("frac", float(lo), float(hi))


def draw_size(rng: np.random.Generator, spec: tuple[str, float, float], extent: int) -> int:
    """A side length in [1, extent] from a ``hole_range`` spec."""
    unit, lo, hi = spec
    size = (
        int(rng.integers(int(lo), int(hi) + 1)) if unit == "px" else int(round(extent * rng.uniform(lo, hi)))
    )
    return min(max(size, 1), extent)
