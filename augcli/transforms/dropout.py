"""CoarseDropout: cut rectangular holes and tell every label what they cover.

The op fills the holes in the image itself, writes ``fill_mask`` into the
semantic map when one is given (otherwise the map keeps its classes: the
object is occluded, not gone), and hands the covered-pixel mask to
``geometry.occlusion.apply_occlusion``, which lowers visibility, marks covered
keypoints as occluded (v=1), removes covered mask pixels and drops instances
that are fully covered.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import cv2
import numpy as np

from augcli.core.errors import TransformError
from augcli.core.policy import DEFAULT_POLICY, LabelPolicy
from augcli.core.sample import Sample
from augcli.geometry.occlusion import apply_occlusion
from augcli.transforms.base import Op, SampleContext, Transform, register
from augcli.transforms.params import Param, ParamError
from augcli.transforms.pixel.imageops import (
    draw_seed, keep_shape, max_value, num_channels, split_alpha,
)

FILL_MODES = ("random", "random_uniform", "inpaint_telea", "inpaint_ns")
Hole = tuple[int, int, int, int]      # x1, y1, x2, y2 in pixels, end exclusive


@dataclass(frozen=True)
class CoarseDropoutOp(Op):
    kind: ClassVar[str] = "dropout"
    name: ClassVar[str] = "CoarseDropout"
    holes: tuple[Hole, ...]
    fill: Any                          # number, per-channel tuple or one of FILL_MODES
    fill_mask: Optional[int]
    seed: int                          # for the random fill modes

    def covered(self, height: int, width: int) -> np.ndarray:
        mask = np.zeros((height, width), dtype=bool)
        for x1, y1, x2, y2 in self.holes:
            mask[y1:y2, x1:x2] = True
        return mask

    def apply(self, sample: Sample, policy: LabelPolicy = DEFAULT_POLICY) -> Sample:
        covered = self.covered(sample.height, sample.width)
        image = fill_holes(sample.image, self.holes, covered, self.fill, self.seed)
        semantic = sample.semantic
        if self.fill_mask is not None and semantic is not None:
            semantic = semantic.copy()
            semantic[covered] = self.fill_mask
        return apply_occlusion(sample.replace(image=image, semantic=semantic), covered)


def fill_holes(image: np.ndarray, holes: tuple[Hole, ...], covered: np.ndarray,
               fill: Any, seed: int) -> np.ndarray:
    """A copy of ``image`` with the holes filled; alpha is filled only by a full per-channel fill."""
    maxv = max_value(image)
    out = image.copy()
    colours = num_channels(split_alpha(image)[0])
    if fill in ("random", "random_uniform"):
        rng = np.random.default_rng(seed)
        if fill == "random":
            count = int(covered.sum())
            shape = (count,) if image.ndim == 2 else (count, colours)
            _channels(out, colours)[covered] = rng.integers(0, maxv + 1, size=shape, dtype=image.dtype)
        else:
            for hole in holes:
                colour = rng.integers(0, maxv + 1, size=colours, dtype=image.dtype)
                _region(out, hole, colours)[...] = colour[0] if image.ndim == 2 else colour
        return out
    if fill in ("inpaint_telea", "inpaint_ns"):
        _channels(out, colours)[covered] = _inpaint(image, covered, colours, fill)[covered]
        return out
    values = np.clip(np.rint(np.asarray(fill, dtype=np.float64).reshape(-1)), 0, maxv)
    if len(values) == 1 or image.ndim == 2:
        if len(values) != 1:
            raise TransformError(f"fill has {len(values)} values for a single-channel image")
        width = colours
    elif len(values) in (colours, num_channels(image)):
        width = len(values)
    else:
        raise TransformError(f"fill has {len(values)} values for an image with {num_channels(image)} channels")
    value = values[0] if len(values) == 1 else values
    for hole in holes:
        _region(out, hole, width)[...] = value
    return out


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


def _hole_range(name: str, value: Any) -> tuple[str, float, float]:
    """('px', lo, hi) for integer pixel sizes, ('frac', lo, hi) for fractions of the side."""
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)):
        raise ParamError(f"{name} must be [min, max] of ints (pixels) or floats (fractions), got {value!r}", name)
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


def _check_fill(value: Any) -> Any:
    if isinstance(value, str):
        if value not in FILL_MODES:
            raise ParamError(f"fill must be a number, a list of numbers or one of {', '.join(FILL_MODES)}, "
                             f"got {value!r}", "fill")
        return value
    numbers = value if isinstance(value, (list, tuple)) else [value]
    if not numbers or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in numbers):
        raise ParamError(f"fill values must be non-negative numbers, got {value!r}", "fill")
    return tuple(float(v) for v in value) if isinstance(value, (list, tuple)) else float(value)


def _draw_size(rng: np.random.Generator, spec: tuple[str, float, float], extent: int) -> int:
    unit, lo, hi = spec
    size = int(rng.integers(lo, hi + 1)) if unit == "px" else int(round(extent * rng.uniform(lo, hi)))
    return min(max(size, 1), extent)


@register
class CoarseDropout(Transform):
    """Cut random rectangular holes; labels lose what the holes cover."""

    kind = "dropout"
    params = (
        Param("num_holes_range", "int_range", (1, 2), "how many holes to cut (min, max)", low=1),
        Param("hole_height_range", "any", (0.1, 0.2),
              "hole height range: two ints (pixels) or two floats (fractions of the image height)"),
        Param("hole_width_range", "any", (0.1, 0.2),
              "hole width range: two ints (pixels) or two floats (fractions of the image width)"),
        Param("fill", "any", 0,
              "hole fill: a number, one number per channel, 'random' (noise), 'random_uniform' "
              "(one random colour per hole), 'inpaint_telea' or 'inpaint_ns'"),
        Param("fill_mask", "any", None,
              "class written into the semantic map under the holes; null leaves the map as it is",
              nullable=True),
    )
    default_p = 0.5
    example = ("- CoarseDropout: {num_holes_range: [1, 4], hole_height_range: [0.05, 0.15], "
               "hole_width_range: [0.05, 0.15], fill: 0, p: 0.5}")
    deviations = ("Boxes, polygons, RLE masks and keypoints follow the holes too (visibility drops, "
                  "covered keypoints become v=1, fully covered instances are dropped); "
                  "a single-number fill leaves alpha untouched; fill_mask applies to the semantic map.")

    def check(self) -> None:
        self._hole_height = _hole_range("hole_height_range", self.hole_height_range)
        self._hole_width = _hole_range("hole_width_range", self.hole_width_range)
        self.fill = _check_fill(self.fill)
        fill_mask = self.fill_mask
        if fill_mask is not None and (isinstance(fill_mask, bool) or not isinstance(fill_mask, (int, float))
                                      or fill_mask < 0 or not float(fill_mask).is_integer()):
            raise ParamError(f"fill_mask must be null or a non-negative integer class, got {fill_mask!r}",
                             "fill_mask")
        self.cfg["fill"] = self.fill

    def make_op(self, rng: np.random.Generator, ctx: SampleContext) -> Optional[Op]:
        height, width = ctx.height, ctx.width
        holes: list[Hole] = []
        for _ in range(int(rng.integers(self.num_holes_range[0], self.num_holes_range[1] + 1))):
            h = _draw_size(rng, self._hole_height, height)
            w = _draw_size(rng, self._hole_width, width)
            y1 = int(rng.integers(0, height - h + 1))
            x1 = int(rng.integers(0, width - w + 1))
            holes.append((x1, y1, x1 + w, y1 + h))
        fill_mask = None if self.fill_mask is None else int(self.fill_mask)
        return CoarseDropoutOp(holes=tuple(holes), fill=self.fill, fill_mask=fill_mask, seed=draw_seed(rng))
